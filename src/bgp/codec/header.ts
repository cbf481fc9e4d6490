/**
 * BGP message header and TCP stream framing.
 *
 * RFC 4271 section 4.1 (header format), section 6.1 (Message Header Error
 * handling); RFC 7313 section 5 (ROUTE-REFRESH length errors, checked in
 * route-refresh.ts because the NOTIFICATION carries the whole message).
 * Gaps: RFC 8654 extended messages are not supported; 4096 is the hard limit.
 */
import {
  ErrorCode,
  HEADER_LENGTH,
  HeaderSubcode,
  MARKER_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
} from '../constants.js';
import { BgpProtocolError } from '../errors.js';
import { put16, u16 } from './wire.js';

export interface HeaderInfo {
  readonly length: number;
  readonly type: number;
}

function badLength(header: Uint8Array, message: string): BgpProtocolError {
  // RFC 4271 6.1: "the Data field MUST contain the erroneous Length field".
  return new BgpProtocolError(ErrorCode.MessageHeader, HeaderSubcode.BadMessageLength, message, {
    data: header.slice(MARKER_LENGTH, MARKER_LENGTH + 2),
  });
}

/**
 * Checks the 19 header bytes at the start of `header` and returns length and type.
 * Throws BgpProtocolError (Message Header Error) for every fault that can be seen
 * from the header alone, so a framer never waits for bytes a bad length promises.
 */
export function checkHeader(header: Uint8Array): HeaderInfo {
  if (header.length < HEADER_LENGTH) {
    throw new BgpProtocolError(
      ErrorCode.MessageHeader,
      HeaderSubcode.BadMessageLength,
      `message of ${header.length} bytes is shorter than the ${HEADER_LENGTH}-byte header`,
    );
  }
  for (let i = 0; i < MARKER_LENGTH; i++) {
    if (header[i] !== 0xff) {
      throw new BgpProtocolError(
        ErrorCode.MessageHeader,
        HeaderSubcode.ConnectionNotSynchronized,
        'marker is not all ones',
      );
    }
  }
  const length = u16(header, MARKER_LENGTH);
  const type = header[MARKER_LENGTH + 2]!;
  if (length < HEADER_LENGTH || length > MAX_MESSAGE_LENGTH) {
    throw badLength(header, `length ${length} is outside ${HEADER_LENGTH}..${MAX_MESSAGE_LENGTH}`);
  }
  let min: number;
  switch (type) {
    case MessageType.Open:
      min = 29;
      break;
    case MessageType.Update:
      min = 23;
      break;
    case MessageType.Notification:
      min = 21;
      break;
    case MessageType.Keepalive:
      if (length !== HEADER_LENGTH)
        throw badLength(header, `KEEPALIVE length ${length}, expected 19`);
      return { length, type };
    case MessageType.RouteRefresh:
      // RFC 7313 section 5 wants the whole message in the NOTIFICATION; decodeMessage checks it.
      return { length, type };
    default:
      // RFC 4271 6.1: "the Data field MUST contain the erroneous Type field".
      throw new BgpProtocolError(
        ErrorCode.MessageHeader,
        HeaderSubcode.BadMessageType,
        `unknown message type ${type}`,
        {
          data: Uint8Array.of(type),
        },
      );
  }
  if (length < min)
    throw badLength(header, `message type ${type} length ${length} is below the minimum ${min}`);
  return { length, type };
}

/** Allocates a whole message of `length` bytes with its header filled in. */
export function allocMessage(length: number, type: number): Uint8Array {
  const out = new Uint8Array(length);
  out.fill(0xff, 0, MARKER_LENGTH);
  put16(out, MARKER_LENGTH, length);
  out[MARKER_LENGTH + 2] = type;
  return out;
}

/**
 * Splits a TCP byte stream into whole messages. Pushed chunks are kept by
 * reference (no copy), so a caller must not reuse a buffer after pushing it;
 * Node's socket 'data' buffers are fresh per read. A returned message is a view
 * of a pushed chunk when it lies inside one, else a new copy.
 */
export class MessageFramer {
  readonly #chunks: Uint8Array[] = [];
  /** Read offset within #chunks[0]. */
  #offset = 0;
  #size = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  get buffered(): number {
    return this.#size;
  }

  /** The next whole message (header included), or null until one is complete. */
  next(): Uint8Array | null {
    if (this.#size < HEADER_LENGTH) return null;
    const { length } = checkHeader(this.#peek(HEADER_LENGTH));
    if (this.#size < length) return null;
    return this.#take(length);
  }

  #peek(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.length - this.#offset >= n) return first.subarray(this.#offset, this.#offset + n);
    const out = new Uint8Array(n);
    let filled = 0;
    let offset = this.#offset;
    for (const chunk of this.#chunks) {
      const part = Math.min(n - filled, chunk.length - offset);
      out.set(chunk.subarray(offset, offset + part), filled);
      filled += part;
      offset = 0;
      if (filled === n) break;
    }
    return out;
  }

  #take(n: number): Uint8Array {
    this.#size -= n;
    const first = this.#chunks[0]!;
    const available = first.length - this.#offset;
    if (available >= n) {
      const out = first.subarray(this.#offset, this.#offset + n);
      this.#advance(first, n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const part = Math.min(n - filled, chunk.length - this.#offset);
      out.set(chunk.subarray(this.#offset, this.#offset + part), filled);
      filled += part;
      this.#advance(chunk, part);
    }
    return out;
  }

  #advance(chunk: Uint8Array, n: number): void {
    this.#offset += n;
    if (this.#offset === chunk.length) {
      this.#chunks.shift();
      this.#offset = 0;
    }
  }
}
