/**
 * Byte-level helpers shared by the codec: big-endian reads (RFC 4271 section 4:
 * all multi-octet fields are in network byte order) and range checks for values
 * about to be written. Encode checks throw BgpEncodeError: a bad value is ours,
 * never the peer's.
 */
import { BgpEncodeError } from '../errors.js';
import { PrefixError, addressBytes } from '../prefix.js';

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v & 0xff;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

export function ipv4Text(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** Throws BgpEncodeError unless v is an integer in [min, max]. Returns v. */
export function checkInt(what: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new BgpEncodeError(`${what} must be an integer from ${min} to ${max}, got ${v}`);
  }
  return v;
}

export const MAX_U8 = 0xff;
export const MAX_U16 = 0xffff;
export const MAX_U32 = 0xffffffff;

/** Parses an address for the wire; `size` 4 or 16 selects the family it must be. */
export function encodeAddress(what: string, text: string, size: 4 | 16): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = addressBytes(text, what);
  } catch (err) {
    if (err instanceof PrefixError) throw new BgpEncodeError(err.message, { cause: err });
    throw err;
  }
  if (bytes.length !== size) {
    throw new BgpEncodeError(
      `${what}: "${text}" must be an ${size === 4 ? 'IPv4' : 'IPv6'} address`,
    );
  }
  return bytes;
}
