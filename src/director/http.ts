/**
 * Small JSON-over-HTTP client for directors, nodes and the locate client: one
 * request, a timeout, a bounded answer, and errors that name the URL and the reason.
 * node:http with keep-alive agents (a director's links and a node's ads reuse their
 * connections; Node 20's fetch costs several times more per request).
 *
 * https:// URLs are verified against the system store, or against `ca` when given
 * (ClientTls); `cert` and `key` are presented to a director that asks for a client
 * certificate (mutual TLS). Each ClientTls has its own keep-alive agent.
 */
import { readFile } from 'node:fs/promises';
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DirectorError } from './errors.js';
import { errorCode, errorMessage } from '../util/index.js';

/** PEM text: the CA to verify with (instead of the system store), a client certificate. */
export interface ClientTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** Paths of a ClientTls, as configuration files name them. */
export interface ClientTlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** Reads the files of a ClientTls; the error names the file and the reason. */
export async function loadClientTls(files: ClientTlsFiles): Promise<ClientTls> {
  const read = async (path: string | undefined, what: string) => {
    if (path === undefined) return undefined;
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      throw new DirectorError(
        'KEY_INVALID',
        `cannot read the ${what} ${path}: ${errorCode(error) ?? errorMessage(error)}`,
        { cause: error },
      );
    }
  };
  const [ca, cert, key] = await Promise.all([
    read(files.caFile, 'CA file'),
    read(files.certFile, 'certificate file'),
    read(files.keyFile, 'TLS key file'),
  ]);
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

const tlsAgents = new WeakMap<ClientTls, HttpsAgent>();

function httpsAgent(tls: ClientTls | undefined): HttpsAgent {
  if (tls === undefined) return agents.https;
  let agent = tlsAgents.get(tls);
  if (agent === undefined) {
    agent = new HttpsAgent({ ...AGENT_OPTIONS, ...tls });
    tlsAgents.set(tls, agent);
  }
  return agent;
}

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
  /** The answer's headers (e.g. Retry-After of a director catching up). */
  readonly headers?: IncomingHttpHeaders;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  readonly timeoutMs: number;
  /** Largest answer accepted (default 16 MiB). */
  readonly maxBytes?: number;
  /** For https:// URLs: the CA and client certificate (default: the system store, none). */
  readonly tls?: ClientTls;
  /** More request headers (e.g. a prober's user-agent). */
  readonly headers?: Readonly<Record<string, string>>;
}

const AGENT_OPTIONS = { keepAlive: true, maxSockets: 8, keepAliveMsecs: 10_000 };
const agents = {
  http: new HttpAgent(AGENT_OPTIONS),
  https: new HttpsAgent(AGENT_OPTIONS),
};

export async function requestJson(url: string, options: RequestOptions): Promise<JsonResponse> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new DirectorError('DIRECTOR_UNREACHABLE', `not a URL: ${url}`);
  }
  const https = target.protocol === 'https:';
  if (!https && target.protocol !== 'http:')
    throw new DirectorError('DIRECTOR_UNREACHABLE', `${url}: only http:// and https:// URLs`);
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const text = await new Promise<{ status: number; text: string; headers: IncomingHttpHeaders }>(
    (resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(
        target,
        {
          method: options.method ?? 'GET',
          agent: https ? httpsAgent(options.tls) : agents.http,
          headers: {
            accept: 'application/json',
            ...options.headers,
            ...(payload === undefined
              ? {}
              : {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                }),
          },
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              request.destroy(
                new DirectorError(
                  'DIRECTOR_UNREACHABLE',
                  `${url}: the answer is larger than ${maxBytes} bytes`,
                ),
              );
              return;
            }
            chunks.push(chunk);
          });
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
              headers: response.headers,
            }),
          );
        },
      );
      const timer = setTimeout(
        () =>
          request.destroy(
            new DirectorError(
              'DIRECTOR_UNREACHABLE',
              `${url}: no answer within ${options.timeoutMs} ms`,
            ),
          ),
        options.timeoutMs,
      );
      request.on('close', () => clearTimeout(timer));
      request.on('error', reject);
      request.end(payload);
    },
  ).catch((error: unknown) => {
    if (error instanceof DirectorError) throw error;
    throw new DirectorError('DIRECTOR_UNREACHABLE', `${url}: ${reasonOf(error)}`, {
      cause: error,
    });
  });
  let body: unknown = text.text;
  try {
    body = text.text === '' ? undefined : JSON.parse(text.text);
  } catch {
    // Not JSON: the text is kept for the message.
  }
  return { status: text.status, body, headers: text.headers };
}

/** The "error" of a JSON error answer, or "HTTP 503". */
export function errorText(response: JsonResponse): string {
  const body = response.body;
  if (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { error?: unknown }).error === 'string'
  )
    return `HTTP ${response.status}: ${(body as { error: string }).error}`;
  return `HTTP ${response.status}`;
}

function reasonOf(error: unknown): string {
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') return 'connection refused (is the director running?)';
  if (code !== undefined) return `${code}: ${errorMessage(error)}`;
  return errorMessage(error);
}
