/**
 * The director's HTTP API (node:http, in the style of src/api/server.ts: JSON
 * errors, bounded bodies, timeouts):
 *
 *   POST /v1/ads                      { "ads": [envelope, …] } → { "director": name, "results": [{ origin, status, error? }] }
 *   GET  /v1/ads[?kind=&offset=&limit=] stored ads as envelopes, a page at a time
 *                                     ({ ads, next? }; at most 2,000 a page; catch-up)
 *   GET  /v1/nodes[?name=N…]          nodes: services, load, place, generation, path
 *   GET  /v1/directors                this director (its signed ad), peers and links, known directors
 *   GET  /v1/locate/{service}?client=IP  healthy nodes best first, then the anycast URL
 *   GET  /.well-known/anycast-guard   the federation discovery document
 *   GET  /healthz
 *
 * POST /v1/ads needs no token: every ad carries its origin's signature and is
 * checked against the trusted keys. Errors are JSON { "error": "…" }: 400 bad body,
 * 404 unknown path, 405 wrong method, 413 body too large, 408 body too slow.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { NAME_PATTERN } from './ad.js';
import { DISCOVERY_PATH, type Director } from './director.js';

export const MAX_BODY = 8 * 1024 * 1024;
export const MAX_ADS_PER_REQUEST = 2000;
const BODY_TIMEOUT_MS = 10_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface DirectorServerOptions {
  readonly director: Director;
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
}

export class DirectorServer {
  private server: Server | undefined;
  private readonly options: DirectorServerOptions;

  constructor(options: DirectorServerOptions) {
    this.options = options;
  }

  get address(): AddressInfo | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => void this.handle(request, response));
    server.requestTimeout = BODY_TIMEOUT_MS * 2;
    server.headersTimeout = BODY_TIMEOUT_MS;
    server.keepAliveTimeout = 30_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.options.host, port: this.options.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let status = 200;
    let body: unknown;
    let headers: Record<string, string> = {};
    try {
      body = await this.route(request);
    } catch (error) {
      if (error instanceof HttpError) {
        status = error.status;
        headers = error.headers;
        body = { error: error.message };
      } else {
        this.options.log.error({ err: error, url: request.url }, 'director request failed');
        status = 500;
        body = { error: `internal error: ${(error as Error).message}` };
      }
    }
    if (response.destroyed) return;
    response.writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...headers,
    });
    response.end(`${JSON.stringify(body)}\n`);
  }

  private async route(request: IncomingMessage): Promise<unknown> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const director = this.options.director;
    const method = request.method ?? 'GET';
    const only = (allowed: string): void => {
      if (method !== allowed)
        throw new HttpError(405, `${method} is not allowed on ${path} (allowed: ${allowed})`, {
          allow: allowed,
        });
    };
    if (path === '/v1/ads') {
      if (method === 'POST')
        return { director: director.name, results: director.ingest(await readAds(request)) };
      only('GET');
      const kind = url.searchParams.get('kind');
      if (kind !== null && kind !== 'node' && kind !== 'director')
        throw new HttpError(400, `kind must be "node" or "director", got "${kind}"`);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? MAX_ADS_PER_REQUEST);
      if (!Number.isInteger(offset) || offset < 0)
        throw new HttpError(400, 'offset must be a whole number from 0');
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ADS_PER_REQUEST)
        throw new HttpError(400, `limit must be a whole number from 1 to ${MAX_ADS_PER_REQUEST}`);
      return director.page(kind ?? undefined, offset, limit);
    }
    if (path === '/v1/nodes') {
      only('GET');
      const names = new Set(url.searchParams.getAll('name'));
      const nodes = director.nodes();
      return {
        nodes:
          names.size === 0 ? nodes : nodes.filter((n) => names.has((n as { name: string }).name)),
      };
    }
    if (path === '/v1/directors') {
      only('GET');
      return director.directors();
    }
    if (path === DISCOVERY_PATH) {
      only('GET');
      return director.discovery();
    }
    if (path === '/healthz') {
      only('GET');
      return { status: 'ok', name: director.name, instance: director.instance };
    }
    const locate = /^\/v1\/locate\/([^/]+)$/.exec(path);
    if (locate !== null) {
      only('GET');
      const service = decodeURIComponent(locate[1] ?? '');
      if (!NAME_PATTERN.test(service))
        throw new HttpError(400, `"${service}" is not a valid service name`);
      const client = url.searchParams.get('client') ?? undefined;
      return director.locate(service, client);
    }
    throw new HttpError(404, `no such endpoint: ${path}`);
  }
}

/** The body of POST /v1/ads: { "ads": [...] }, bounded in bytes, count and time. */
async function readAds(request: IncomingMessage): Promise<unknown[]> {
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => request.destroy(), BODY_TIMEOUT_MS);
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) {
        request.resume();
        throw new HttpError(413, `the body is larger than ${MAX_BODY} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(408, `the body did not arrive within ${BODY_TIMEOUT_MS} ms`);
  } finally {
    clearTimeout(timer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
  const ads = (value as { ads?: unknown } | null)?.ads;
  if (typeof value !== 'object' || value === null || !Array.isArray(ads))
    throw new HttpError(400, 'the body must be a JSON object { "ads": [ … ] }');
  if (ads.length > MAX_ADS_PER_REQUEST)
    throw new HttpError(413, `at most ${MAX_ADS_PER_REQUEST} ads per request, got ${ads.length}`);
  return ads as unknown[];
}
