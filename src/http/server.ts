/**
 * node:http servers with one set of limits, so a client that trickles a header or a
 * body, idles on a kept-alive connection, or connects and never sends a byte, cannot
 * hold a socket for long; and a cap on open connections (connection-limit.ts), so
 * many clients together cannot take the descriptors the rest of the process needs.
 */
import {
  createServer,
  type IncomingMessage,
  type Server as PlainServer,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as TlsServer } from 'node:https';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { connectionCap } from './connection-limit.js';

/** An HTTP or an HTTPS server: both have the same limits and are closed alike. */
export type Server = PlainServer | TlsServer;

/** What an HTTPS server is made with; server.setSecureContext replaces the context later. */
export type ServerTls = SecureContextOptions &
  Pick<TlsOptions, 'requestCert' | 'rejectUnauthorized'>;

export interface HttpTimeouts {
  /**
   * The whole header must arrive within this (a slow-header client is cut off with 408).
   * It also closes a connection that never sends a byte (Node counts from the accept).
   */
  readonly headersMs: number;
  /** The whole request, header and body. */
  readonly requestMs: number;
  /** An idle kept-alive connection is closed after this. */
  readonly keepAliveMs: number;
  /** readBody's limit on a body. */
  readonly bodyMs: number;
  /** How often Node checks the header and request limits (its default is 30 s). */
  readonly checkIntervalMs: number;
}

// Short: the clients are the CLI, the dashboard, Prometheus and other directors, all
// of which send their request at once; an idle connection only holds a descriptor.
export const HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: 5_000,
  requestMs: 20_000,
  keepAliveMs: 5_000,
  bodyMs: 10_000,
  checkIntervalMs: 1_000,
};

/** Node's own default, written down: larger headers get a 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Open connections per listener unless the caller asks otherwise (then capped by connectionCap). */
export const DEFAULT_MAX_CONNECTIONS = 256;

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface HttpServerOptions {
  /**
   * Connections beyond this are closed as soon as they are accepted (Node's
   * server.maxConnections). Default connectionCap(DEFAULT_MAX_CONNECTIONS).
   */
  readonly maxConnections?: number;
  /** Told of each connection refused at the cap (count it; log it rate-limited). */
  readonly onRefused?: () => void;
}

export function createHttpServer(
  handler: RequestHandler,
  timeouts: Partial<HttpTimeouts> = {},
  options: HttpServerOptions = {},
): PlainServer {
  const server = createServer(serverOptions(timeouts), handler);
  return limitServer(server, timeouts, options);
}

/** The same server over TLS (the director's `tls`). */
export function createTlsHttpServer(
  handler: RequestHandler,
  tls: ServerTls,
  timeouts: Partial<HttpTimeouts> = {},
  options: HttpServerOptions = {},
): TlsServer {
  const server = createHttpsServer({ ...serverOptions(timeouts), ...tls }, handler);
  return limitServer(server, timeouts, options);
}

function serverOptions(timeouts: Partial<HttpTimeouts>) {
  const limits = { ...HTTP_TIMEOUTS, ...timeouts };
  return {
    headersTimeout: limits.headersMs,
    requestTimeout: limits.requestMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
    maxHeaderSize: MAX_HEADER_BYTES,
  };
}

function limitServer<S extends Server>(
  server: S,
  timeouts: Partial<HttpTimeouts>,
  options: HttpServerOptions,
): S {
  const limits = { ...HTTP_TIMEOUTS, ...timeouts };
  server.keepAliveTimeout = limits.keepAliveMs;
  server.maxConnections = Math.max(
    1,
    options.maxConnections ?? connectionCap(DEFAULT_MAX_CONNECTIONS),
  );
  const onRefused = options.onRefused;
  if (onRefused !== undefined) server.on('drop', () => onRefused());
  return server;
}

/** Listens on a TCP address or a unix socket path; rejects on EADDRINUSE and the like. */
export function listen(
  server: Server,
  where: { host?: string; port?: number; path?: string },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops listening and drops every connection, idle or not. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
