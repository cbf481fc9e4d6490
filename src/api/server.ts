/**
 * The operator API: plain node:http on a TCP address and a unix socket.
 *
 *   GET  /                              the live dashboard (HTML; dashboard-page.ts)
 *   GET  /healthz                       the daemon itself answers
 *   GET  /v1/status                     services, routes, peers, addresses (JSON)
 *   GET  /v1/transitions                the last 100 service transitions, oldest first (JSON)
 *   GET  /metrics                       Prometheus text
 *   POST /v1/services/{name}/drain      body { "reason": "…" }: withdraw, and keep it so across restarts;
 *                                       { "graceful": true, "wait": 30 }: GRACEFUL_SHUTDOWN first (RFC 8326)
 *   POST /v1/services/{name}/undrain
 *
 * Changes need `Authorization: Bearer <token>` over TCP (the token read from
 * api.token_file, which must be readable by its owner only; without one TCP is
 * read-only). Over the unix socket they need nothing: access is the socket file's
 * permissions (0660).
 * Errors are JSON { "error": "…" }: 400 bad body or path, 401 no or wrong token,
 * 403 read-only, 404 unknown path or service, 405 wrong method, 413 body too large.
 * Bad client input is logged at debug at most; only the daemon's own faults at error.
 *
 * Each listener holds at most `maxConnections` connections (less when the open-file
 * limit is low: src/http/connection-limit.ts), so no number of local clients can
 * starve the checks and BGP sessions of descriptors.
 *
 * Over 500 lines on purpose: the listeners (moved on reload), the token and the routes
 * share one server's state; the pure parts are elsewhere (status-view.ts, src/http).
 */
import { timingSafeEqual } from 'node:crypto';
import { chmod, lstat, mkdir, open, unlink } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Daemon } from '../daemon/index.js';
import { routingDaemons } from '../announcers/index.js';
import type { AdvertiserStatus } from '../director/index.js';
import {
  DEFAULT_MAX_CONNECTIONS,
  HttpError,
  RefusalReport,
  closeServer,
  connectionCap,
  createHttpServer,
  decodePathSegment,
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
import { DrainStoreError, type DrainStore } from './drain-store.js';
import type { Metrics } from './metrics.js';
import { statusView } from './status-view.js';
import { errorMessage } from '../util/index.js';

const MAX_BODY = 64 * 1024;
const MAX_REASON = 1000;
/** A graceful drain's default and longest wait, in seconds. */
export const DEFAULT_DRAIN_WAIT = 30;
export const MAX_DRAIN_WAIT = 3600;

export type ApiDaemon = Pick<Daemon, 'status' | 'drain'> & Partial<Pick<Daemon, 'drainOf'>>;

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
  /**
   * Why the daemon runs without a configuration (under ExaBGP, a file it cannot use):
   * shown in status as `configError` while it returns a message.
   */
  readonly configError?: () => string | undefined;
  /** Tests shorten these; the default is the shared HTTP_TIMEOUTS (the director's too). */
  readonly timeouts?: Partial<HttpTimeouts>;
  /**
   * Open connections per listener (TCP, unix socket); default DEFAULT_MAX_CONNECTIONS.
   * Either way no more than the listener's share of the open-file limit above the reserve.
   */
  readonly maxConnections?: number;
}

/** What a reload may change in the API: where it listens and the token file. */
export interface ApiListeners {
  readonly listen: ApiServerOptions['listen'];
  readonly socket: ApiServerOptions['socket'];
  readonly tokenFile?: string | undefined;
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
  private readonly refused = new RefusalReport((count, total) =>
    this.log.warn(
      { event: 'api.connections_refused', count, total, maxConnections: this.maxConnections },
      'API connections refused at the cap',
    ),
  );
  private maxConnections = 0;
  /** The listeners and token file in force: the options', then each reload's. */
  private current: ApiListeners;

  constructor(options: ApiServerOptions) {
    this.options = options;
    this.current = {
      listen: options.listen,
      socket: options.socket,
      ...(options.tokenFile === undefined ? {} : { tokenFile: options.tokenFile }),
    };
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
    const { listen, socket, tokenFile } = this.current;
    if (tokenFile !== undefined) this.token = await readToken(tokenFile);
    this.maxConnections = this.capFor(this.current);
    try {
      if (listen !== false) this.tcp = await this.openTcp(listen);
      if (socket !== false) this.unix = await this.openUnix(socket);
    } catch (error) {
      await this.stop();
      throw error instanceof ApiError
        ? error
        : new ApiError(`cannot start the API: ${errorMessage(error)}`, { cause: error });
    }
  }

  /**
   * A reload's `[api]`: re-reads the token file (a rotated token takes effect now) and
   * moves a listener whose `listen` or `socket` changed: the new one is bound first,
   * then the old one closed. What cannot be done keeps what runs (the old listener, the
   * old token) and says why in the log and in the returned problems; never throws.
   */
  async reload(next: ApiListeners): Promise<string[]> {
    const problems: string[] = [];
    const keep = (event: string, message: string, fields: Record<string, unknown>): void => {
      problems.push(String(fields.err));
      this.log.error({ event, ...fields }, message);
    };
    if (next.tokenFile === undefined) {
      if (this.token !== undefined)
        this.log.warn(
          { event: 'api.token_reloaded', writable: false },
          'api.token_file removed: the TCP API is read-only now',
        );
      this.token = undefined;
      this.current = { ...this.current, tokenFile: undefined };
    } else {
      try {
        this.token = await readToken(next.tokenFile);
        this.current = { ...this.current, tokenFile: next.tokenFile };
        this.log.info(
          { event: 'api.token_reloaded', tokenFile: next.tokenFile, writable: true },
          'API token read again',
        );
      } catch (error) {
        keep('api.token_kept', 'cannot read the new API token: keeping the running one', {
          tokenFile: next.tokenFile,
          err: errorMessage(error),
        });
      }
    }
    this.maxConnections = this.capFor(next);
    if (!isDeepStrictEqual(next.listen, this.current.listen)) {
      const from = this.current.listen;
      try {
        const opened = next.listen === false ? undefined : await this.openTcp(next.listen);
        const old = this.tcp;
        this.tcp = opened;
        this.current = { ...this.current, listen: next.listen };
        if (old !== undefined) await closeServer(old);
        this.log.info({ event: 'api.moved', listener: 'tcp', from, to: next.listen }, 'API moved');
      } catch (error) {
        keep('api.move_failed', 'cannot move the TCP API: keeping the running listener', {
          listener: 'tcp',
          from,
          to: next.listen,
          err: errorMessage(error),
        });
      }
    }
    if (next.socket !== this.current.socket) {
      const from = this.current.socket;
      try {
        const opened = next.socket === false ? undefined : await this.openUnix(next.socket);
        const old = this.unix;
        this.unix = opened;
        this.current = { ...this.current, socket: next.socket };
        // A listening unix server removes its socket file on close.
        if (old !== undefined) await closeServer(old);
        this.log.info(
          { event: 'api.moved', listener: 'socket', from, to: next.socket },
          'API moved',
        );
      } catch (error) {
        keep('api.move_failed', 'cannot move the API socket: keeping the running one', {
          listener: 'socket',
          from,
          to: next.socket,
          err: errorMessage(error),
        });
      }
    }
    return problems;
  }

  private capFor(listeners: ApiListeners): number {
    return connectionCap(this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, {
      listeners: (listeners.listen === false ? 0 : 1) + (listeners.socket === false ? 0 : 1),
    });
  }

  private async openTcp(listen: { readonly host: string; readonly port: number }): Promise<Server> {
    const server = this.server(false);
    try {
      await listenOn(server, { host: listen.host, port: listen.port });
    } catch (error) {
      await closeServer(server);
      throw error;
    }
    const address = server.address();
    this.log.info(
      {
        event: 'api.listening',
        listen: typeof address === 'object' && address !== null ? address : undefined,
        writable: this.token !== undefined,
        maxConnections: this.maxConnections,
      },
      this.token === undefined ? 'API listening (read-only over TCP)' : 'API listening',
    );
    return server;
  }

  private async openUnix(socket: string): Promise<Server> {
    await prepareSocketPath(socket);
    const server = this.server(true);
    try {
      await listenOn(server, { path: socket });
      await chmod(socket, 0o660);
    } catch (error) {
      await closeServer(server);
      throw error;
    }
    this.log.info(
      { event: 'api.listening', socket, maxConnections: this.maxConnections },
      'API listening on the unix socket',
    );
    return server;
  }

  async stop(): Promise<void> {
    const servers = [this.tcp, this.unix].filter((s) => s !== undefined);
    this.tcp = undefined;
    this.unix = undefined;
    this.refused.stop();
    await Promise.all(servers.map((server) => closeServer(server)));
    // A listening unix server removes its socket file on close.
  }

  private server(viaSocket: boolean): Server {
    return createHttpServer(
      (request, response) => {
        void this.handle(request, response, viaSocket);
      },
      this.options.timeouts,
      {
        maxConnections: this.maxConnections,
        onRefused: () => this.onRefused(viaSocket ? 'socket' : 'tcp'),
      },
    );
  }

  /** A connection closed at the cap: counted; logged at most every 10 s, with the count. */
  private onRefused(listener: 'tcp' | 'socket'): void {
    this.options.metrics.onConnectionRefused(listener);
    this.refused.record();
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
      // The client's mistake: worth a line when debugging, never a warning.
      if (error instanceof HttpError)
        this.log.debug(
          {
            event: 'api.request_refused',
            status: error.status,
            url: request.url,
            error: error.message,
          },
          'API request refused',
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
      name = decodePathSegment(service[1] ?? '', 'service name');
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
    const configError = this.options.configError?.();
    return Promise.resolve(
      json(200, {
        ...view,
        ...(directors === undefined ? {} : { directors }),
        ...(configError === undefined ? {} : { configError }),
      }),
    );
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
    const wait = gracefulWait(body);
    this.requireService(name);
    if (wait !== undefined) this.requireAttributes(name);
    // The emergency brake: withdraw first, then try to make it outlive a restart. A full
    // or read-only state_dir must not keep a route up that an operator took down.
    this.options.daemon.drain(name, true, reason, wait === undefined ? {} : { wait });
    // Graceful only where something was announced: the daemon decides, the file follows.
    const until = this.options.daemon.drainOf?.(name)?.until;
    const saved = await this.persist(() =>
      this.options.store.drain(name, reason, Date.now(), until),
    );
    const via = viaSocket ? 'socket' : 'tcp';
    this.log.warn(
      {
        event: 'service.drained',
        service: name,
        reason,
        via,
        persisted: saved === undefined,
        ...(until === undefined ? {} : { graceful: true, until }),
      },
      until === undefined ? 'service drained' : 'service draining gracefully',
    );
    return json(200, { service: this.serviceView(name), ...persistFields(saved, 'drained') });
  }

  /** Runs a store write; undefined when it is on disk, else why not (logged). */
  private async persist(write: () => Promise<void>): Promise<DrainStoreError | undefined> {
    try {
      await write();
      return undefined;
    } catch (error) {
      if (!(error instanceof DrainStoreError)) throw error;
      this.log.error(
        {
          event: 'api.drain_not_persisted',
          path: this.options.store.path,
          code: error.systemCode,
          err: error.message,
        },
        'drain state not written: it holds until the daemon restarts',
      );
      return error;
    }
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
    // Undrained whether or not it reaches the disk: the operator asked to announce again
    // (a restart with the old file drains it again, the safe side; the answer says so).
    const saved = await this.persist(() => this.options.store.undrain(name));
    if (known) this.options.daemon.drain(name, false);
    const via = viaSocket ? 'socket' : 'tcp';
    this.log.warn(
      { event: 'service.undrained', service: name, via, persisted: saved === undefined },
      'service undrained',
    );
    return json(200, {
      service: known ? this.serviceView(name) : { name },
      ...persistFields(saved, 'undrained'),
    });
  }

  private knows(name: string): boolean {
    return this.options.daemon.status().services.some((s) => s.name === name);
  }

  /**
   * A graceful drain needs every prefix of the service on an announcer that carries the
   * community: BIRD and FRRouting would keep the route as if healthy, so it is refused.
   */
  private requireAttributes(name: string): void {
    const service = this.options.daemon.status().services.find((s) => s.name === name);
    const plain = [
      ...new Set(
        (service?.prefixes ?? [])
          .map((p) => p.announcer)
          .filter((kind) => kind !== 'bgp' && !routingDaemons[kind].supportsAttributes),
      ),
    ];
    if (plain.length > 0)
      throw new HttpError(
        409,
        `a graceful drain announces GRACEFUL_SHUTDOWN (65535:0), which ${plain.map((k) => `prefixes.${k}`).join(' and ')} cannot carry; drain without "graceful"`,
        { service: name },
      );
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

/** A graceful drain's wait in seconds (default 30), undefined for a plain drain. */
function gracefulWait(body: Record<string, unknown>): number | undefined {
  const { graceful, wait } = body;
  if (graceful !== undefined && typeof graceful !== 'boolean')
    throw new HttpError(400, '"graceful" must be true or false');
  if (graceful !== true) {
    if (wait !== undefined)
      throw new HttpError(400, '"wait" is for a graceful drain: add "graceful": true');
    return undefined;
  }
  if (wait === undefined) return DEFAULT_DRAIN_WAIT;
  if (typeof wait !== 'number' || !Number.isFinite(wait) || wait <= 0 || wait > MAX_DRAIN_WAIT)
    throw new HttpError(
      400,
      `"wait" must be a number of seconds more than 0 and at most ${MAX_DRAIN_WAIT}`,
    );
  return wait;
}

/** The reply's `persisted` (and, when false, why not) after a drain or undrain. */
function persistFields(
  error: DrainStoreError | undefined,
  what: 'drained' | 'undrained',
): Record<string, unknown> {
  if (error === undefined) return { persisted: true };
  return {
    persisted: false,
    persistError: {
      ...(error.systemCode === undefined ? {} : { code: error.systemCode }),
      message: `${what} in the running daemon, but not saved, so a restart will not keep it: ${error.message}`,
    },
  };
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

/**
 * The bearer token. A file that group or others may read or write is refused, naming
 * the file and its mode: whoever can read it can drain every service over TCP.
 * The mode is checked on the open file, so it cannot change between check and read.
 */
async function readToken(path: string): Promise<Buffer> {
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      const mode = (await file.stat()).mode & 0o777;
      if ((mode & 0o077) !== 0)
        throw new ApiError(
          `api.token_file ${path} has mode 0${mode.toString(8).padStart(3, '0')}: group and others may not read or write it (chmod 600 ${path})`,
        );
      text = await file.readFile('utf8');
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
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
