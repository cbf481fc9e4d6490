/**
 * node:http servers with one set of limits, so a client that trickles a header or a
 * body, or idles on a kept-alive connection, cannot hold a socket for long.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface HttpTimeouts {
  /** The whole header must arrive within this (a slow-header client is cut off with 408). */
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

export const HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: 10_000,
  requestMs: 20_000,
  keepAliveMs: 30_000,
  bodyMs: 10_000,
  checkIntervalMs: 1_000,
};

/** Node's own default, written down: larger headers get a 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export function createHttpServer(
  handler: RequestHandler,
  timeouts: Partial<HttpTimeouts> = {},
): Server {
  const limits = { ...HTTP_TIMEOUTS, ...timeouts };
  const server = createServer(
    {
      headersTimeout: limits.headersMs,
      requestTimeout: limits.requestMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    handler,
  );
  server.keepAliveTimeout = limits.keepAliveMs;
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
