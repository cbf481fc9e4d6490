/** Request bodies: bounded in bytes and in time, parsed as JSON with a 400 on bad input. */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';
import { HTTP_TIMEOUTS } from './server.js';
import { errorMessage } from '../util/index.js';

export interface ReadBodyOptions {
  /** Larger bodies get a 413. */
  readonly maxBytes: number;
  /** A body still arriving after this long gets a 408 (default HTTP_TIMEOUTS.bodyMs). */
  readonly timeoutMs?: number;
}

export async function readBody(
  request: IncomingMessage,
  options: ReadBodyOptions,
): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? HTTP_TIMEOUTS.bodyMs;
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => request.destroy(), timeoutMs);
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > options.maxBytes) {
        request.resume();
        throw new HttpError(413, `the body is larger than ${options.maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(408, `the body did not arrive within ${timeoutMs} ms`);
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

/** JSON.parse with a 400 that quotes the parser. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON: ${errorMessage(error)}`);
  }
}
