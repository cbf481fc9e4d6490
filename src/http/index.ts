/** JSON-over-HTTP servers: one set of timeouts, a connection cap, bounded bodies, JSON answers and errors. */
export { parseJsonBody, readBody, type ReadBodyOptions } from './body.js';
export {
  DESCRIPTOR_RESERVE,
  connectionCap,
  openFileLimit,
  parseOpenFileLimit,
  type ConnectionCapOptions,
} from './connection-limit.js';
export { HttpError } from './errors.js';
export { RefusalReport } from './refusal-report.js';
export { decodePathSegment } from './path.js';
export { errorReply, jsonReply, sendReply, type HttpReply } from './reply.js';
export {
  DEFAULT_MAX_CONNECTIONS,
  HTTP_TIMEOUTS,
  MAX_HEADER_BYTES,
  closeServer,
  createHttpServer,
  createTlsHttpServer,
  listen,
  type HttpServerOptions,
  type Server,
  type ServerTls,
  type HttpTimeouts,
  type RequestHandler,
} from './server.js';
