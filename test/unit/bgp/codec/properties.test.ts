// Property tests: encode -> decode round trips on 2- and 4-octet sessions,
// re-framing across arbitrary chunk boundaries, and robustness against random
// and mutated input (only BgpProtocolError may escape, and nothing hangs).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageFramer, decodeMessage, encodeMessage } from '../../../../src/bgp/codec/index.js';
import { BgpEncodeError, BgpProtocolError } from '../../../../src/bgp/errors.js';
import { formatAddress, maskBytes } from '../../../../src/bgp/prefix.js';
import type { Family, Prefix } from '../../../../src/bgp/prefix.js';
import type {
  AsPathSegment,
  BgpMessage,
  Capability,
  CodecContext,
  MpReach,
  PathAttributes,
  RawAttribute,
  UpdateMessage,
} from '../../../../src/bgp/types.js';
import { AS2, AS4 } from './support.js';

/** fc.record with ordinary objects: decoded values never have a null prototype. */
function rec<R extends object>(model: { [K in keyof R]: fc.Arbitrary<R[K]> }): fc.Arbitrary<R> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<R>;
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(formatAddress);
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatAddress);

function prefix(family: Family): fc.Arbitrary<Prefix> {
  const max = family === 'ipv4' ? 32 : 128;
  return fc
    .tuple(fc.integer({ min: 0, max }), fc.uint8Array({ minLength: max / 8, maxLength: max / 8 }))
    .map(([length, bytes]) => ({ family, length, bytes: maskBytes(bytes, length) }));
}
const prefixes = (family: Family, maxLength: number): fc.Arbitrary<Prefix[]> =>
  fc.array(prefix(family), { maxLength });

/** 2-octet sessions mix mappable and 4-octet ASNs to exercise AS_TRANS + AS4_PATH. */
function asn(ctx: CodecContext): fc.Arbitrary<number> {
  const small = fc.integer({ min: 1, max: 0xffff });
  const big = fc.integer({ min: 1, max: 0xffffffff });
  return ctx.fourOctetAs ? big : fc.oneof(small, big);
}

function segment(
  types: AsPathSegment['type'][],
  asns: fc.Arbitrary<number>,
): fc.Arbitrary<AsPathSegment> {
  return rec({
    type: fc.constantFrom(...types),
    asns: fc.array(asns, { minLength: 1, maxLength: 12 }),
  });
}

/**
 * Confederation segments only lead the path (RFC 5065 puts them in front). On a
 * 2-octet session they hold mappable ASNs: AS4_PATH cannot carry them (RFC 6793 4.2.2).
 */
function asPath(ctx: CodecContext): fc.Arbitrary<AsPathSegment[]> {
  const confedAsn = ctx.fourOctetAs ? asn(ctx) : fc.integer({ min: 1, max: 0xffff });
  return fc
    .tuple(
      fc.array(segment(['confed-sequence', 'confed-set'], confedAsn), { maxLength: 2 }),
      fc.array(segment(['sequence', 'set'], asn(ctx)), { maxLength: 4 }),
    )
    .map(([confed, rest]) => [...confed, ...rest]);
}

const KNOWN_TYPES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 17, 18, 32]);
const unknownTypes = Array.from({ length: 256 }, (_, i) => i).filter((t) => !KNOWN_TYPES.has(t));

const unknownAttributes: fc.Arbitrary<RawAttribute[]> = fc
  .uniqueArray(
    rec({
      flags: fc.constantFrom(0xc0, 0xe0, 0xd0, 0xf0),
      typeCode: fc.constantFrom(...unknownTypes),
      value: fc.uint8Array({ maxLength: 40 }),
    }),
    { selector: (a) => a.typeCode, minLength: 1, maxLength: 3 },
  )
  .map((list) => [...list].sort((a, b) => a.typeCode - b.typeCode));

const mpReach: fc.Arbitrary<MpReach> = fc.oneof(
  rec({
    afi: fc.constant(1),
    safi: fc.constant(1),
    nextHop: ipv4,
    nlri: prefixes('ipv4', 15),
  }),
  fc.record(
    {
      afi: fc.constant(2),
      safi: fc.constant(1),
      nextHop: ipv6,
      linkLocalNextHop: ipv6,
      nlri: prefixes('ipv6', 12),
    },
    { requiredKeys: ['afi', 'safi', 'nextHop', 'nlri'], noNullPrototype: true },
  ),
);

const mpUnreach = fc.oneof(
  rec({ afi: fc.constant(1), safi: fc.constant(1), withdrawn: prefixes('ipv4', 15) }),
  rec({ afi: fc.constant(2), safi: fc.constant(1), withdrawn: prefixes('ipv6', 12) }),
);

function attributes(ctx: CodecContext): fc.Arbitrary<PathAttributes> {
  return fc.record(
    {
      origin: fc.constantFrom('igp' as const, 'egp' as const, 'incomplete' as const),
      asPath: asPath(ctx),
      nextHop: ipv4,
      med: u32,
      localPref: u32,
      atomicAggregate: fc.constant(true),
      aggregator: rec({ asn: asn(ctx), address: ipv4 }),
      communities: fc.array(u32, { minLength: 1, maxLength: 10 }),
      largeCommunities: fc.array(rec({ global: u32, local1: u32, local2: u32 }), {
        minLength: 1,
        maxLength: 5,
      }),
      originatorId: ipv4,
      clusterList: fc.array(ipv4, { minLength: 1, maxLength: 4 }),
      mpReach,
      mpUnreach,
      unknown: unknownAttributes,
    },
    { requiredKeys: [], noNullPrototype: true },
  );
}

/** A valid UPDATE: announcements carry their well-known mandatory attributes. */
function updateMessage(ctx: CodecContext): fc.Arbitrary<UpdateMessage> {
  return fc
    .tuple(prefixes('ipv4', 20), attributes(ctx), prefixes('ipv4', 20), asPath(ctx), ipv4)
    .map(([withdrawn, attrs, nlri, path, nextHop]) => {
      const a: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { ...attrs };
      if (nlri.length > 0 || a.mpReach) {
        a.origin ??= 'igp';
        a.asPath ??= path;
      }
      if (nlri.length > 0) a.nextHop ??= nextHop;
      return { type: 'update', withdrawn, attributes: a, nlri };
    });
}

const capability: fc.Arbitrary<Capability> = fc.oneof(
  rec({ kind: fc.constant('multiprotocol' as const), afi: u16, safi: u8 }),
  fc.constant({ kind: 'route-refresh' as const }),
  rec({ kind: fc.constant('four-octet-as' as const), asn: u32 }),
  rec({
    kind: fc.constant('unknown' as const),
    code: u8.filter((c) => c !== 1 && c !== 2 && c !== 65),
    value: fc.uint8Array({ maxLength: 20 }),
  }),
);

const openMessage: fc.Arbitrary<BgpMessage> = rec({
  type: fc.constant('open' as const),
  version: fc.constant(4),
  myAs: u16,
  holdTime: u16,
  routerId: ipv4,
  // Up to 60 capabilities also reaches the RFC 9072 extended encoding.
  capabilities: fc.array(capability, { maxLength: 60 }),
});

const notificationMessage: fc.Arbitrary<BgpMessage> = rec({
  type: fc.constant('notification' as const),
  code: u8,
  subcode: u8,
  data: fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.uint8Array({ minLength: 4000, maxLength: 4075 }),
  ),
});

const routeRefreshMessage: fc.Arbitrary<BgpMessage> = rec({
  type: fc.constant('route-refresh' as const),
  afi: u16,
  subtype: u8,
  safi: u8,
});

const anyMessage = (ctx: CodecContext): fc.Arbitrary<BgpMessage> =>
  fc.oneof(
    updateMessage(ctx),
    openMessage,
    notificationMessage,
    routeRefreshMessage,
    fc.constant({ type: 'keepalive' as const }),
  );

/** Encodes, or skips the run if the value is too big for one message. */
function encodeOrSkip(msg: BgpMessage, ctx: CodecContext): Uint8Array {
  try {
    return encodeMessage(msg, ctx);
  } catch (err) {
    if (err instanceof BgpEncodeError && /4096/.test(err.message)) {
      fc.pre(false);
    }
    throw err;
  }
}

/** Splits `bytes` at the given cut points (any numbers; reduced modulo the length). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const point of [...points, bytes.length]) {
    out.push(bytes.subarray(last, point));
    last = point;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/**
 * Feeds bytes through a framer and the decoder, as the session will. Only
 * BgpProtocolError may escape either; a decoded value must encode again or fail
 * with BgpEncodeError. Returns the number of messages decoded.
 */
function feed(chunks: Uint8Array[], ctx: CodecContext): number {
  const framer = new MessageFramer();
  let decoded = 0;
  try {
    for (const c of chunks) {
      framer.push(c);
      // Every next() either consumes a whole message, returns null or throws: bounded.
      for (let frame = framer.next(); frame !== null; frame = framer.next()) {
        checkDecode(frame, ctx);
        decoded++;
      }
    }
  } catch (err) {
    if (!(err instanceof BgpProtocolError)) throw err;
  }
  return decoded;
}

function checkDecode(frame: Uint8Array, ctx: CodecContext): void {
  let msg: BgpMessage;
  try {
    msg = decodeMessage(frame, ctx);
  } catch (err) {
    if (err instanceof BgpProtocolError) return;
    throw err;
  }
  try {
    encodeMessage(msg, ctx);
  } catch (err) {
    if (!(err instanceof BgpEncodeError)) throw err;
  }
}

/** Rewrites the header length to the frame's real size, so body faults reach the decoder. */
function fixLength(frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  if (out.length >= 18) {
    out[16] = (out.length >> 8) & 0xff;
    out[17] = out.length & 0xff;
  }
  return out;
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'length16'; at: number; value: number }
  | { kind: 'insert'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  rec({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  rec({ kind: fc.constant('set' as const), at: fc.nat(), value: u8 }),
  rec({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  rec({ kind: fc.constant('length16' as const), at: fc.nat(), value: u16 }),
  rec({ kind: fc.constant('insert' as const), at: fc.nat(), value: u8 }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = m.at % Math.max(1, bytes.length);
  const out = bytes.slice();
  switch (m.kind) {
    case 'flip':
      out[at] = (out[at] ?? 0) ^ (1 << m.bit);
      return out;
    case 'set':
      out[at] = m.value;
      return out;
    case 'truncate':
      return out.subarray(0, at);
    case 'length16':
      if (at + 1 < out.length) {
        out[at] = m.value >> 8;
        out[at + 1] = m.value & 0xff;
      }
      return out;
    case 'insert':
      return concat([out.subarray(0, at), Uint8Array.of(m.value), out.subarray(at)]);
  }
}

const contexts: [string, CodecContext][] = [
  ['4-octet', AS4],
  ['2-octet', AS2],
];

describe('round trips', () => {
  for (const [name, ctx] of contexts) {
    it(`UPDATE decode(encode(x)) == x on a ${name} session`, () => {
      fc.assert(
        fc.property(updateMessage(ctx), (msg) => {
          const bytes = encodeOrSkip(msg, ctx);
          assert.deepStrictEqual(decodeMessage(bytes, ctx), msg);
        }),
        { numRuns: 400 },
      );
    });

    it(`OPEN, NOTIFICATION, ROUTE-REFRESH, KEEPALIVE round-trip on a ${name} session`, () => {
      fc.assert(
        fc.property(fc.oneof(openMessage, notificationMessage, routeRefreshMessage), (msg) => {
          assert.deepStrictEqual(decodeMessage(encodeMessage(msg, ctx), ctx), msg);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('re-frames a stream split at arbitrary points into the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(anyMessage(AS4), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (messages, cuts) => {
          const frames = messages.map((m) => encodeOrSkip(m, AS4));
          const framer = new MessageFramer();
          const out: Uint8Array[] = [];
          for (const c of chunk(concat(frames), cuts)) {
            framer.push(c);
            for (let f = framer.next(); f !== null; f = framer.next()) out.push(f);
          }
          assert.deepStrictEqual(out, frames);
          assert.equal(framer.buffered, 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('robustness', () => {
  const marker = new Uint8Array(16).fill(0xff);
  const noise = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    // A valid marker and a plausible length/type, so the noise reaches the body decoders.
    fc
      .tuple(
        fc.integer({ min: 0, max: 4200 }),
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ maxLength: 600 }),
      )
      .map(([length, type, body]) =>
        concat([marker, Uint8Array.of(length >> 8, length & 0xff, type), body]),
      ),
  );

  for (const [name, ctx] of contexts) {
    it(`random bytes only ever raise BgpProtocolError (${name})`, () => {
      fc.assert(
        fc.property(
          fc.array(noise, { minLength: 1, maxLength: 4 }),
          fc.array(fc.nat(), { maxLength: 8 }),
          (parts, cuts) => {
            const bytes = concat(parts);
            feed(chunk(bytes, cuts), ctx);
            checkDecode(fixLength(bytes), ctx);
          },
        ),
        { numRuns: 1000 },
      );
    });

    it(`mutated valid messages only ever raise BgpProtocolError (${name})`, () => {
      fc.assert(
        fc.property(
          anyMessage(ctx),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          fc.array(fc.nat(), { maxLength: 6 }),
          (msg, mutations, cuts) => {
            let bytes = encodeOrSkip(msg, ctx);
            for (const m of mutations) bytes = mutate(bytes, m);
            feed(chunk(bytes, cuts), ctx);
            checkDecode(fixLength(bytes), ctx);
          },
        ),
        { numRuns: 1500 },
      );
    });
  }

  it('a valid message followed by garbage is still delivered first', () => {
    fc.assert(
      fc.property(
        anyMessage(AS4),
        fc.uint8Array({ minLength: 1, maxLength: 50 }),
        (msg, garbage) => {
          const bytes = encodeOrSkip(msg, AS4);
          assert.ok(feed([concat([bytes, garbage])], AS4) >= 1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
