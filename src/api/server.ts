/**
 * The operator API: plain node:http on a TCP address and a unix socket.
 *
 *   GET  /                              the live dashboard (HTML; dashboard-page.ts)
 *   GET  /healthz                       the daemon itself answers
 *   GET  /v1/status                     services, routes, peers, addresses (JSON)
 *   GET  /v1/transitions                the last 100 service transitions, oldest first (JSON)
 *   GET  /metrics                       Prometheus text
 *   POST /v1/services/{name}/drain      body { "reason": "…" }: withdraw, and keep it so across restarts
 *   POST /v1/services/{name}/undrain
 *
 * Changes need `Authorization: Bearer <token>` over TCP (the token read from
 * api.token_file; without one TCP is read-only). Over the unix socket they need
 * nothing: access is the socket file's permissions (0660).
 * Errors are JSON { "error": "…" }: 400 bad body, 401 no or wrong token,
 * 403 read-only, 404 unknown path or service, 405 wrong method, 413 body too large.
 */
import { timingSafeEqual } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, unlink } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Daemon } from '../daemon/index.js';
import type { AdvertiserStatus } from '../director/index.js';
import {
  HttpError,
  closeServer,
  createHttpServer,
  errorReply,
  jsonReply as json,
  listen as listenOn,
  parseJsonBody,
  readBody,
  sendReply,
  type HttpReply as Reply,
  type HttpTimeouts,
} from '../http/index.js';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './dashboard-page.js';
import { TransitionLog } from './dashboard-transitions.js';
import type { DrainStore } from './drain-store.js';
import type { Metrics } from './metrics.js';
import { statusView } from './status-view.js';
import { errorMessage } from '../util/index.js';

const MAX_BODY = 64 * 1024;
const MAX_REASON = 1000;

export type ApiDaemon = Pick<Daemon, 'status' | 'drain'>;

export interface ApiServerOptions {
  readonly daemon: ApiDaemon;
  readonly store: DrainStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** TCP listener, or false. Port 0 picks a free port (see `tcpAddress`). */
  readonly listen: { readonly host: string; readonly port: number } | false;
  /** Unix socket path, or false. */
  readonly socket: string | false;
  /** File holding the bearer token; without it TCP is read-only. */
  readonly tokenFile?: string;
  /** The node name in status; default the hostname. */
  readonly node?: string;
  /** Fed by the Daemon's onTransition hook; served at GET /v1/transitions. Default: an empty log. */
  readonly transitions?: TransitionLog;
  /** The node's advertiser to the directors ([directors]), shown in status. */
  readonly directors?: () => AdvertiserStatus | undefined;
  /** Tests shorten these; the default is the shared HTTP_TIMEOUTS (the director's too). */
  readonly timeouts?: Partial<HttpTimeouts>;
}

export class ApiError extends Error {
  readonly kind = 'api.failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
  }
}

type Handler = (request: IncomingMessage, viaSocket: boolean, name: string) => Promise<Reply>;

export class ApiServer {
  private readonly options: ApiServerOptions;
  private readonly log: Logger;
  private readonly node: string;
  private readonly transitions: TransitionLog;
  private token: Buffer | undefined;
  private tcp: Server | undefined;
  private unix: Server | undefined;

  constructor(options: ApiServerOptions) {
    this.options = options;
    this.log = options.logger;
    this.node = options.node ?? hostname();
    this.transitions = options.transitions ?? new TransitionLog();
  }

  /** The bound TCP address (the real port when 0 was asked for). */
  get tcpAddress(): AddressInfo | undefined {
    const address = this.tcp?.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  async start(): Promise<void> {
    const { listen, socket, tokenFile } = this.options;
    if (tokenFile !== undefined) this.token = await readToken(tokenFile);
    try {
      if (listen !== false) {
        this.tcp = this.server(false);
        await listenOn(this.tcp, { host: listen.host, port: listen.port });
        this.log.info(
          { event: 'api.listening', listen: this.tcpAddress, writable: this.token !== undefined },
          this.token === undefined ? 'API listening (read-only over TCP)' : 'API listening',
        );
      }
      if (socket !== false) {
        await prepareSocketPath(socket);
        this.unix = this.server(true);
        await listenOn(this.unix, { path: socket });
        await chmod(socket, 0o660);
        this.log.info({ event: 'api.listening', socket }, 'API listening on the unix socket');
      }
    } catch (error) {
      await this.stop();
      throw error instanceof ApiError
        ? error
        : new ApiError(`cannot start the API: ${errorMessage(error)}`, { cause: error });
    }
  }

  async stop(): Promise<void> {
    const servers = [this.tcp, this.unix].filter((s) => s !== undefined);
    this.tcp = undefined;
    this.unix = undefined;
    await Promise.all(servers.map((server) => closeServer(server)));
    // A listening unix server removes its socket file on close.
  }

  private server(viaSocket: boolean): Server {
    return createHttpServer((request, response) => {
      void this.handle(request, response, viaSocket);
    }, this.options.timeouts);
  }

  private async handle(
    request: IncomingMessage,
    response: ServerResponse,
    viaSocket: boolean,
  ): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.route(request, viaSocket);
    } catch (error) {
      reply = errorReply(error, () =>
        this.log.error(
          { event: 'api.request_failed', err: error, url: request.url },
          'API request failed',
        ),
      );
    }
    sendReply(response, reply);
  }

  private async route(request: IncomingMessage, viaSocket: boolean): Promise<Reply> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const service = /^\/v1\/services\/([^/]+)\/(drain|undrain)$/.exec(path);
    let handlers: Partial<Record<string, Handler>>;
    let name = '';
    if (path === '/') handlers = { GET: () => Promise.resolve(dashboard()) };
    else if (path === '/v1/transitions')
      handlers = {
        GET: () => Promise.resolve(json(200, { transitions: this.transitions.list() })),
      };
    else if (path === '/healthz') handlers = { GET: () => this.healthz() };
    else if (path === '/v1/status') handlers = { GET: () => this.statusReply() };
    else if (path === '/metrics') handlers = { GET: () => this.metricsReply() };
    else if (service !== null) {
      name = decodeURIComponent(service[1] ?? '');
      handlers = {
        POST:
          service[2] === 'drain'
            ? (r, s, n) => this.drain(r, s, n)
            : (r, s, n) => this.undrain(r, s, n),
      };
    } else throw new HttpError(404, `no such endpoint: ${path}`);
    const handler = handlers[request.method ?? 'GET'];
    if (handler === undefined) {
      const allow = Object.keys(handlers).join(', ');
      throw new HttpError(
        405,
        `${request.method ?? '?'} is not allowed on ${path} (allowed: ${allow})`,
        {},
        { allow },
      );
    }
    return handler(request, viaSocket, name);
  }

  private healthz(): Promise<Reply> {
    this.options.daemon.status();
    return Promise.resolve(json(200, { status: 'ok', node: this.node }));
  }

  private statusReply(): Promise<Reply> {
    const view = statusView(
      this.options.daemon.status(),
      this.node,
      (name) => this.options.store.get(name),
      Date.now(),
    );
    const directors = this.options.directors?.();
    return Promise.resolve(json(200, directors === undefined ? view : { ...view, directors }));
  }

  private async metricsReply(): Promise<Reply> {
    const metrics = this.options.metrics;
    return { status: 200, body: await metrics.render(), type: metrics.contentType };
  }

  private async drain(request: IncomingMessage, viaSocket: boolean, name: string): Promise<Reply> {
    this.authorize(request, viaSocket);
    const body = await readJson(request);
    const reason = body.reason ?? 'drained by an operator';
    if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON)
      throw new HttpError(
        400,
        `"reason" must be a non-empty string of at most ${MAX_REASON} characters`,
      );
    this.requireService(name);
    // On disk first: once the caller hears "drained", a restart keeps it drained.
    await this.options.store.drain(name, reason);
    this.options.daemon.drain(name, true, reason);
    this.log.warn(
      { event: 'service.drained', service: name, reason, via: viaSocket ? 'socket' : 'tcp' },
      'service drained',
    );
    return json(200, { service: this.serviceView(name) });
  }

  private async undrain(
    request: IncomingMessage,
    viaSocket: boolean,
    name: string,
  ): Promise<Reply> {
    this.authorize(request, viaSocket);
    await readJson(request);
    const stored = this.options.store.get(name) !== undefined;
    const known = this.knows(name);
    if (!known && !stored) this.requireService(name);
    await this.options.store.undrain(name);
    if (known) this.options.daemon.drain(name, false);
    this.log.warn(
      { event: 'service.undrained', service: name, via: viaSocket ? 'socket' : 'tcp' },
      'service undrained',
    );
    return json(200, { service: known ? this.serviceView(name) : { name } });
  }

  private knows(name: string): boolean {
    return this.options.daemon.status().services.some((s) => s.name === name);
  }

  private requireService(name: string): void {
    if (!this.knows(name))
      throw new HttpError(404, `no service named "${name}"`, { service: name });
  }

  private serviceView(name: string): unknown {
    return statusView(
      this.options.daemon.status(),
      this.node,
      (n) => this.options.store.get(n),
      Date.now(),
    ).services.find((s) => s.name === name);
  }

  private authorize(request: IncomingMessage, viaSocket: boolean): void {
    if (viaSocket) return;
    if (this.token === undefined)
      throw new HttpError(
        403,
        'the TCP API is read-only: no api.token_file is configured; set one, or use the unix socket',
      );
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const given = Buffer.from(match?.[1] ?? '');
    if (match === null || given.length !== this.token.length || !timingSafeEqual(given, this.token))
      throw new HttpError(
        401,
        match === null
          ? 'a bearer token is needed to change state over TCP (Authorization: Bearer …)'
          : 'wrong bearer token',
        {},
        { 'www-authenticate': 'Bearer realm="anycast-guard"' },
      );
  }
}

function dashboard(): Reply {
  return {
    status: 200,
    body: DASHBOARD_HTML,
    type: 'text/html; charset=utf-8',
    headers: DASHBOARD_HEADERS,
  };
}

/** The body as a JSON object; empty means {}. */
async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(request, { maxBytes: MAX_BODY })).toString('utf8');
  if (text.trim() === '') return {};
  const value = parseJsonBody(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HttpError(400, 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

async function readToken(path: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ApiError(`cannot read api.token_file ${path}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token))
    throw new ApiError(`api.token_file ${path} must hold one token (no spaces)`);
  return Buffer.from(token);
}

/**
 * Creates the socket's directory; removes a stale socket left by a crash, but
 * refuses to start when another process answers on it.
 */
async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const stat = await lstat(path).catch(() => undefined);
  if (stat === undefined) return;
  if (!stat.isSocket()) throw new ApiError(`${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new ApiError(`${path} is in use: is another anycast-guard running?`);
  await unlink(path);
}
