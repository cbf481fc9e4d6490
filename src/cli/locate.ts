/** `anycast-guard locate SERVICE`: the URLs to use for a service, best first, one a line. */
import { locate, type LocateOptions } from '../client/index.js';
import { loadClientTls } from '../director/index.js';

export interface LocateCliOptions {
  readonly discovery?: string;
  readonly director?: readonly string[];
  readonly anycast?: string;
  readonly preferAnycast?: boolean;
  readonly json?: boolean;
  readonly timeout?: number;
  readonly client?: string;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export async function runLocate(
  service: string,
  options: LocateCliOptions,
  print: (text: string) => void,
  printError: (text: string) => void,
): Promise<void> {
  const files = {
    ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
    ...(options.certFile === undefined ? {} : { certFile: options.certFile }),
    ...(options.keyFile === undefined ? {} : { keyFile: options.keyFile }),
  };
  const tls = Object.keys(files).length === 0 ? undefined : await loadClientTls(files);
  const locateOptions: LocateOptions = {
    ...(tls === undefined ? {} : { tls }),
    ...(options.discovery === undefined ? {} : { discovery: options.discovery }),
    ...(options.director === undefined ? {} : { directors: options.director }),
    ...(options.anycast === undefined ? {} : { anycast: options.anycast }),
    ...(options.preferAnycast === true ? { preferAnycast: true } : {}),
    ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout }),
    ...(options.client === undefined ? {} : { client: options.client }),
  };
  const result = await locate(service, locateOptions);
  if (options.json === true) {
    print(JSON.stringify(result, null, 2));
    return;
  }
  for (const t of result.tried) printError(`anycast-guard: ${t.url}: ${t.error}`);
  if (result.source === 'anycast')
    printError(`anycast-guard: no director answered: using the anycast URL`);
  for (const url of result.urls) print(url);
}
