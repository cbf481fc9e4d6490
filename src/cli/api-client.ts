/**
 * The CLI's side of the operator API: one request to the unix socket (default)
 * or to a URL with a bearer token, and errors an operator can act on.
 */
import { request as httpRequest } from 'node:http';
import { readFile } from 'node:fs/promises';
import {
  DEFAULT_API_SOCKET,
  DEFAULT_CONFIG_PATH,
  loadApiConfig,
  type ApiConfig,
} from '../config/index.js';
import { errorMessage, joinHostPort } from '../util/index.js';

export interface ApiTarget {
  /** Unix socket path; used unless `url` is given. */
  readonly socket?: string;
  readonly url?: string;
  readonly tokenFile?: string;
}

/** What the operator passed: the flags, and the configuration file to read the rest from. */
export interface ApiTargetOptions {
  readonly config?: string;
  readonly socket?: string;
  readonly url?: string;
  readonly tokenFile?: string;
}

/**
 * Where the daemon's API is. A flag wins; what no flag says comes from the `[api]` of
 * `--config FILE` (or of the default file, when it exists): its socket, or else its
 * listener as a URL with its token file, so the CLI finds the daemon the file configures.
 */
export async function resolveApiTarget(
  options: ApiTargetOptions,
  defaultConfig = DEFAULT_CONFIG_PATH,
): Promise<ApiTarget> {
  const tokenFlag = options.tokenFile === undefined ? {} : { tokenFile: options.tokenFile };
  if (options.socket !== undefined && options.url === undefined) return { socket: options.socket };
  let api: ApiConfig | undefined;
  if (options.config !== undefined) api = await loadApiConfig(options.config);
  else if (options.url === undefined) {
    // The default file only helps: when it is missing, unreadable to this user or broken,
    // the default socket, as before.
    api = await loadApiConfig(defaultConfig).catch(() => undefined);
  }
  if (options.url !== undefined)
    return api?.tokenFile === undefined || options.tokenFile !== undefined
      ? { url: options.url, ...tokenFlag }
      : { url: options.url, tokenFile: api.tokenFile };
  if (api === undefined) return { socket: DEFAULT_API_SOCKET };
  if (api.socket !== false) return { socket: api.socket };
  if (api.listen === false)
    throw new ApiClientError(
      `${options.config ?? defaultConfig}: [api] has socket = false and listen = false: the daemon serves no API to ask`,
    );
  const tokenFile = options.tokenFile ?? api.tokenFile;
  return {
    url: `http://${joinHostPort(loopbackFor(api.listen.host), api.listen.port)}`,
    ...(tokenFile === undefined ? {} : { tokenFile }),
  };
}

/** A wildcard listener is reached on the loopback address of its family. */
function loopbackFor(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

export class ApiClientError extends Error {
  readonly kind = 'cli.api_request';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiClientError';
  }
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

const TIMEOUT_MS = 10_000;

/** Sends one request; a non-2xx answer is an ApiClientError carrying the API's own message. */
export async function callApi(
  target: ApiTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let token: string | undefined;
  if (target.url !== undefined && target.tokenFile !== undefined) {
    try {
      token = (await readFile(target.tokenFile, 'utf8')).trim();
    } catch (error) {
      throw new ApiClientError(
        `cannot read the token file ${target.tokenFile}: ${errorMessage(error)}`,
      );
    }
    headers.authorization = `Bearer ${token}`;
  }
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const socket = target.socket ?? DEFAULT_API_SOCKET;
  let where: { socketPath: string } | { host: string; port: number };
  if (target.url === undefined) where = { socketPath: socket };
  else {
    let url: URL;
    try {
      url = new URL(target.url);
    } catch {
      throw new ApiClientError(`not a URL: ${target.url}`);
    }
    if (url.protocol !== 'http:') throw new ApiClientError(`only http:// URLs: ${target.url}`);
    where = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) };
  }
  const response = await new Promise<ApiResponse>((resolve, reject) => {
    const req = httpRequest({ ...where, method, path, headers, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON: keep the text for the message.
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(payload);
  }).catch((error: unknown) => {
    throw new ApiClientError(connectionMessage(target, socket, error));
  });
  if (response.status < 200 || response.status > 299) {
    const message =
      typeof response.body === 'object' &&
      response.body !== null &&
      typeof (response.body as { error?: unknown }).error === 'string'
        ? (response.body as { error: string }).error
        : `HTTP ${response.status}`;
    throw new ApiClientError(message, response.status);
  }
  return response.body;
}

function connectionMessage(target: ApiTarget, socket: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (target.url === undefined) {
    if (code === 'ENOENT' || code === 'ECONNREFUSED')
      return `anycast-guard is not running (no socket at ${socket})`;
    if (code === 'EACCES')
      return `cannot open ${socket}: permission denied (run as root or as a member of its group)`;
    return `cannot talk to anycast-guard at ${socket}: ${errorMessage(error)}`;
  }
  if (code === 'ECONNREFUSED')
    return `anycast-guard is not running (nothing listening at ${target.url})`;
  return `cannot talk to anycast-guard at ${target.url}: ${errorMessage(error)}`;
}
