/** JSON-over-HTTP servers: one set of timeouts, bounded bodies, JSON answers and errors. */
export { parseJsonBody, readBody, type ReadBodyOptions } from './body.js';
export { HttpError } from './errors.js';
export { errorReply, jsonReply, sendReply, type HttpReply } from './reply.js';
export {
  HTTP_TIMEOUTS,
  MAX_HEADER_BYTES,
  closeServer,
  createHttpServer,
  listen,
  type HttpTimeouts,
  type RequestHandler,
} from './server.js';
