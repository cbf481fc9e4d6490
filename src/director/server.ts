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
 *   POST /v1/permits                  a signed withdrawal permit request (fleet guard) → PermitAnswer
 *   GET  /v1/permits                  per service: announcing, total, the permits held
 *   GET  /.well-known/anycast-guard   the federation discovery document
 *   GET  /healthz                     200 when ready, 503 + Retry-After while catching up
 *
 * POST /v1/ads and POST /v1/permits need no token: every ad and permit request carries
 * its origin's signature and is checked against the trusted keys. Errors are JSON { "error": "…" }: 400 bad body
 * or path, 404 unknown path, 405 wrong method, 413 body too large, 408 body too slow;
 * they are logged at debug at most (bad client input is no warning).
 *
 * At most `maxConnections` connections are open at once (fewer when the open-file
 * limit is low: src/http/connection-limit.ts); more are closed as they are accepted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import {
  HttpError,
  RefusalReport,
  closeServer,
  connectionCap,
  createHttpServer,
  createTlsHttpServer,
  decodePathSegment,
  errorReply,
  jsonReply,
  listen,
  parseJsonBody,
  readBody,
  sendReply,
  type HttpReply,
  type HttpTimeouts,
  type Server,
  type ServerTls,
} from '../http/index.js';
import { NAME_PATTERN } from './ad.js';
import { DISCOVERY_PATH, type Director } from './director.js';
import { DirectorError } from './errors.js';
import { PERMIT_PATH } from './permit.js';

export const MAX_BODY = 8 * 1024 * 1024;
export const MAX_ADS_PER_REQUEST = 2000;
/** A permit request is a few hundred bytes. */
export const MAX_PERMIT_BODY = 16 * 1024;
/** Clients locate and nodes advertise with one short request each: room for a busy fleet. */
export const DIRECTOR_MAX_CONNECTIONS = 4096;

export interface DirectorServerOptions {
  readonly director: Director;
  readonly host: string;
  readonly port: number;
  readonly log: Logger;
  /** Tests shorten these; the default is the shared HTTP_TIMEOUTS. */
  readonly timeouts?: Partial<HttpTimeouts>;
  /** Default DIRECTOR_MAX_CONNECTIONS, and never more than the open-file limit allows. */
  readonly maxConnections?: number;
  /** Serve HTTPS. With `ca` (the client CA), POST /v1/ads needs a client certificate it signed. */
  readonly tls?: DirectorServerTls;
}

/** The server certificate and key (PEM), and the CA client certificates must chain to. */
export interface DirectorServerTls {
  readonly cert: string;
  readonly key: string;
  readonly clientCa?: string;
}

function secureOptions(tls: DirectorServerTls): ServerTls {
  // The certificate is asked for but not required: locate and GETs stay open to all;
  // only POST /v1/ads checks it (route()).
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa === undefined
      ? {}
      : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false }),
  };
}

export class DirectorServer {
  private server: Server | undefined;
  private readonly options: DirectorServerOptions;
  private readonly refused = new RefusalReport((count, total) =>
    this.options.log.warn(
      { event: 'director.connections_refused', count, total, maxConnections: this.maxConnections },
      'director connections refused at the cap',
    ),
  );
  private maxConnections = 0;

  constructor(options: DirectorServerOptions) {
    this.options = options;
  }

  get address(): AddressInfo | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  async start(): Promise<void> {
    this.maxConnections = connectionCap(this.options.maxConnections ?? DIRECTOR_MAX_CONNECTIONS);
    const handler = (request: IncomingMessage, response: ServerResponse): void =>
      void this.handle(request, response);
    const limits = { maxConnections: this.maxConnections, onRefused: () => this.refused.record() };
    const tls = this.options.tls;
    const server =
      tls === undefined
        ? createHttpServer(handler, this.options.timeouts, limits)
        : createTlsHttpServer(handler, secureOptions(tls), this.options.timeouts, limits);
    this.server = server;
    await listen(server, { host: this.options.host, port: this.options.port });
  }

  /**
   * New certificate, key or client CA (SIGHUP): new handshakes use them; connections
   * already open keep theirs and are not dropped.
   */
  reloadTls(tls: DirectorServerTls): void {
    const server = this.server;
    if (server === undefined || this.options.tls === undefined)
      throw new Error('this director does not serve HTTPS');
    (server as TlsServer).setSecureContext(secureOptions(tls));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.refused.stop();
    if (server === undefined) return;
    await closeServer(server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let reply: HttpReply;
    try {
      reply = jsonReply(200, await this.route(request));
    } catch (error) {
      reply = errorReply(error, () =>
        this.options.log.error(
          { event: 'director.request_failed', err: error, url: request.url },
          'director request failed',
        ),
      );
      if (error instanceof HttpError)
        this.options.log.debug(
          {
            event: 'director.request_refused',
            status: error.status,
            url: request.url,
            error: error.message,
          },
          'director request refused',
        );
    }
    sendReply(response, reply);
  }

  private async route(request: IncomingMessage): Promise<unknown> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const director = this.options.director;
    const method = request.method ?? 'GET';
    const only = (allowed: string): void => {
      if (method !== allowed)
        throw new HttpError(
          405,
          `${method} is not allowed on ${path} (allowed: ${allowed})`,
          {},
          { allow: allowed },
        );
    };
    const clientCertificate = (): void => {
      if (this.options.tls?.clientCa === undefined) return;
      const socket = request.socket as TLSSocket;
      if (!socket.authorized)
        throw new HttpError(
          403,
          `POST ${path} needs a client certificate signed by this director's client CA (${String(socket.authorizationError ?? 'none was given')})`,
        );
    };
    if (path === '/v1/ads') {
      if (method === 'POST') clientCertificate();
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
      // `ready` tells a catching-up peer whether this table is worth trusting as complete.
      return {
        ...director.page(kind ?? undefined, offset, limit),
        ready: director.readiness().ready,
      };
    }
    if (path === PERMIT_PATH) {
      if (method !== 'POST') {
        only('GET');
        return director.permitsView();
      }
      clientCertificate();
      const body = await readBody(request, { maxBytes: MAX_PERMIT_BODY });
      const readiness = director.readiness();
      // A director still catching up has not seen every node: its count could be short.
      if (!readiness.ready)
        throw notReady(readiness.retryAfterMs, {
          ready: false,
          error: `director ${director.name} is still catching up: it cannot count the fleet yet`,
        });
      try {
        return director.permit(parseJsonBody(body.toString('utf8')));
      } catch (error) {
        if (!(error instanceof DirectorError)) throw error;
        const status =
          error.code === 'PERMIT_UNTRUSTED' || error.code === 'PERMIT_BAD_SIGNATURE' ? 403 : 400;
        throw new HttpError(status, error.message, { kind: error.kind });
      }
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
      const readiness = director.readiness();
      const body = {
        status: readiness.ready ? 'ok' : 'not-ready',
        ready: readiness.ready,
        name: director.name,
        instance: director.instance,
        ...(readiness.reason === undefined ? {} : { reason: readiness.reason }),
      };
      if (!readiness.ready) throw notReady(readiness.retryAfterMs, body);
      return body;
    }
    const locate = /^\/v1\/locate\/([^/]+)$/.exec(path);
    if (locate !== null) {
      only('GET');
      const service = decodePathSegment(locate[1] ?? '', 'service name');
      if (!NAME_PATTERN.test(service))
        throw new HttpError(400, `"${service}" is not a valid service name`);
      const readiness = director.readiness();
      if (!readiness.ready)
        throw notReady(readiness.retryAfterMs, {
          ready: false,
          error: `director ${director.name} is still catching up: ask another director`,
        });
      const client = url.searchParams.get('client') ?? undefined;
      return director.locate(service, client);
    }
    throw new HttpError(404, `no such endpoint: ${path}`);
  }
}

/** 503 with Retry-After (whole seconds, at least 1): a director not caught up yet. */
function notReady(retryAfterMs: number | undefined, body: Record<string, unknown>): HttpError {
  const { error, ...extra } = body;
  return new HttpError(
    503,
    typeof error === 'string' ? error : `director ${String(body.name)} is still catching up`,
    extra,
    { 'retry-after': String(Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000))) },
  );
}

/** The body of POST /v1/ads: { "ads": [...] }, bounded in bytes, count and time. */
async function readAds(request: IncomingMessage): Promise<unknown[]> {
  const body = await readBody(request, { maxBytes: MAX_BODY });
  const value = parseJsonBody(body.toString('utf8'));
  const ads = (value as { ads?: unknown } | null)?.ads;
  if (typeof value !== 'object' || value === null || !Array.isArray(ads))
    throw new HttpError(400, 'the body must be a JSON object { "ads": [ … ] }');
  if (ads.length > MAX_ADS_PER_REQUEST)
    throw new HttpError(413, `at most ${MAX_ADS_PER_REQUEST} ads per request, got ${ads.length}`);
  return ads as unknown[];
}
