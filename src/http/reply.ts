/**
 * Answers of the JSON-over-HTTP servers: a status, a body and its type, never cached.
 * Errors are JSON { "error": "…" }; an HttpError picks its status, anything else is a 500.
 */
import type { ServerResponse } from 'node:http';
import { HttpError } from './errors.js';
import { errorMessage } from '../util/index.js';

export interface HttpReply {
  readonly status: number;
  readonly body: string;
  readonly type: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function jsonReply(
  status: number,
  value: unknown,
  headers?: Readonly<Record<string, string>>,
): HttpReply {
  return {
    status,
    body: `${JSON.stringify(value)}\n`,
    type: 'application/json',
    ...(headers === undefined ? {} : { headers }),
  };
}

/** The reply for a thrown error; `internal` is told of errors that are not HttpErrors (to log). */
export function errorReply(error: unknown, internal: (error: unknown) => void): HttpReply {
  if (error instanceof HttpError)
    return jsonReply(error.status, { error: error.message, ...error.extra }, error.headers);
  internal(error);
  return jsonReply(500, { error: `internal error: ${errorMessage(error)}` });
}

/** Writes the reply unless the client is already gone. */
export function sendReply(response: ServerResponse, reply: HttpReply): void {
  if (response.destroyed) return;
  response.writeHead(reply.status, {
    'content-type': reply.type,
    'cache-control': 'no-store',
    ...reply.headers,
  });
  response.end(reply.body);
}
