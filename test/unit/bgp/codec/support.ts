// Test helpers for the codec. Messages here are built by hand, byte by byte,
// never by the encoder under test.
import assert from 'node:assert/strict';
import { BgpProtocolError } from '../../../../src/bgp/errors.js';
import type { ErrorAction } from '../../../../src/bgp/errors.js';
import { parsePrefix } from '../../../../src/bgp/prefix.js';
import type { Prefix } from '../../../../src/bgp/prefix.js';
import type { CodecContext } from '../../../../src/bgp/types.js';

export const AS4: CodecContext = { fourOctetAs: true };
export const AS2: CodecContext = { fourOctetAs: false };

/** Joins hex fragments (spaces allowed) into bytes. */
export function hex(...parts: string[]): Uint8Array {
  const text = parts.join('').replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(text)) throw new Error(`bad hex: ${text}`);
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const MARKER = 'ff'.repeat(16);

/** A whole message: marker, length computed from the body, type, body. */
export function message(type: number, ...body: string[]): Uint8Array {
  const b = hex(...body);
  const length = 19 + b.length;
  return hex(
    MARKER,
    length.toString(16).padStart(4, '0'),
    type.toString(16).padStart(2, '0'),
    toHex(b),
  );
}

function u16hex(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** One path attribute: flags, type, length (2 octets if flags has 0x10), value. */
export function attr(flags: number, type: number, value = ''): string {
  const v = hex(value);
  const ext = (flags & 0x10) !== 0;
  const len = ext ? u16hex(v.length) : v.length.toString(16).padStart(2, '0');
  return flags.toString(16).padStart(2, '0') + type.toString(16).padStart(2, '0') + len + toHex(v);
}

/** An UPDATE from its three fields (hex), lengths computed. */
export function update(fields: { withdrawn?: string; attrs?: string; nlri?: string }): Uint8Array {
  const w = hex(fields.withdrawn ?? '');
  const a = hex(fields.attrs ?? '');
  return message(2, u16hex(w.length), toHex(w), u16hex(a.length), toHex(a), fields.nlri ?? '');
}

/** Well-formed mandatory attributes for an IPv4 announcement on either session kind. */
export function basicAttrs(ctx: CodecContext): string {
  const asPath = ctx.fourOctetAs ? '0201 0000fde9' : '0201 fde9';
  return attr(0x40, 1, '00') + attr(0x40, 2, asPath) + attr(0x40, 3, 'cb007101');
}

export function p(text: string): Prefix {
  return parsePrefix(text);
}

export interface ExpectedError {
  code: number;
  subcode: number;
  action: ErrorAction;
  data?: Uint8Array;
}

export function assertBgpError(err: unknown, want: ExpectedError): asserts err is BgpProtocolError {
  assert.ok(err instanceof BgpProtocolError, `expected BgpProtocolError, got ${String(err)}`);
  assert.deepEqual(
    { code: err.code, subcode: err.subcode, action: err.action },
    { code: want.code, subcode: want.subcode, action: want.action },
    err.message,
  );
  if (want.data !== undefined)
    assert.equal(toHex(err.data), toHex(want.data), `data of: ${err.message}`);
}

export function assertThrowsBgp(fn: () => unknown, want: ExpectedError): BgpProtocolError {
  try {
    fn();
  } catch (err) {
    assertBgpError(err, want);
    return err;
  }
  assert.fail('expected a BgpProtocolError, nothing was thrown');
}
