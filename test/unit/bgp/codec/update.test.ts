// UPDATE encoding (attribute order, flags, AS_TRANS and AS4_* on 2-octet
// sessions, segment splitting, limits) and RFC 6793 4.2.3 path reconstruction.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, nlriLength } from '../../../../src/bgp/codec/index.js';
import { BgpEncodeError } from '../../../../src/bgp/errors.js';
import type { CodecContext, PathAttributes, UpdateMessage } from '../../../../src/bgp/types.js';
import { AS2, AS4, attr, basicAttrs, hex, p, toHex, update } from './support.js';

function encode(
  attributes: PathAttributes,
  ctx: CodecContext,
  nlri = [p('203.0.113.5/32')],
): Uint8Array {
  return encodeMessage({ type: 'update', withdrawn: [], attributes, nlri }, ctx);
}

function decode(bytes: Uint8Array, ctx: CodecContext): UpdateMessage {
  const msg = decodeMessage(bytes, ctx);
  assert.equal(msg.type, 'update');
  return msg;
}

const NLRI = '20 cb007105';

describe('UPDATE encoding', () => {
  it('writes MP_REACH_NLRI first, then the rest in ascending type order with standard flags', () => {
    const bytes = encode(
      {
        largeCommunities: [{ global: 65001, local1: 1, local2: 2 }],
        communities: [0xffffff01],
        clusterList: ['203.0.113.9'],
        originatorId: '203.0.113.8',
        aggregator: { asn: 65001, address: '203.0.113.7' },
        atomicAggregate: true,
        localPref: 100,
        med: 5,
        nextHop: '203.0.113.1',
        asPath: [{ type: 'sequence', asns: [65001] }],
        origin: 'egp',
        unknown: [{ flags: 0xe0, typeCode: 99, value: hex('abcd') }],
        mpReach: { afi: 2, safi: 1, nextHop: '2001:db8::1', nlri: [p('2001:db8::/32')] },
      },
      AS4,
    );
    const expected = update({
      attrs:
        attr(0x90, 14, '0002 01 10 20010db8000000000000000000000001 00 20 20010db8') +
        attr(0x40, 1, '01') +
        attr(0x40, 2, '0201 0000fde9') +
        attr(0x40, 3, 'cb007101') +
        attr(0x80, 4, '00000005') +
        attr(0x40, 5, '00000064') +
        attr(0x40, 6) +
        attr(0xc0, 7, '0000fde9 cb007107') +
        attr(0xc0, 8, 'ffffff01') +
        attr(0x80, 9, 'cb007108') +
        attr(0x80, 10, 'cb007109') +
        attr(0xc0, 32, '0000fde9 00000001 00000002') +
        attr(0xe0, 99, 'abcd'),
      nlri: NLRI,
    });
    assert.equal(toHex(bytes), toHex(expected));
  });

  it('sets Extended Length when a value exceeds 255 bytes', () => {
    const communities = Array.from({ length: 70 }, (_, i) => 0xfde90000 + i);
    const bytes = encode({ ...decodeAttrs(basicAttrs(AS4)), communities }, AS4);
    const value = communities.map((c) => c.toString(16)).join('');
    assert.equal(
      toHex(bytes),
      toHex(update({ attrs: basicAttrs(AS4) + attr(0xd0, 8, value), nlri: NLRI })),
    );
  });

  it('re-emits an unknown attribute with the flags it came with', () => {
    const raw = attr(0xf0, 99, 'abcd'); // optional transitive partial, extended length for 2 bytes
    const bytes = update({ attrs: basicAttrs(AS4) + raw, nlri: NLRI });
    assert.equal(toHex(encodeMessage(decode(bytes, AS4), AS4)), toHex(bytes));
  });

  it('encodes an empty AS path as a zero-length AS_PATH', () => {
    const bytes = encode(
      { origin: 'igp', asPath: [], nextHop: '203.0.113.1', localPref: 100 },
      AS4,
    );
    assert.equal(
      toHex(bytes),
      toHex(
        update({
          attrs:
            attr(0x40, 1, '00') +
            attr(0x40, 2) +
            attr(0x40, 3, 'cb007101') +
            attr(0x40, 5, '00000064'),
          nlri: NLRI,
        }),
      ),
    );
    assert.deepStrictEqual(decode(bytes, AS4).attributes.asPath, []);
  });

  it('splits a sequence longer than 255 ASNs into several segments', () => {
    const asns = Array.from({ length: 300 }, (_, i) => 64512 + i);
    const bytes = encode(
      { origin: 'igp', asPath: [{ type: 'sequence', asns }], nextHop: '203.0.113.1' },
      AS4,
    );
    const hexAsns = asns.map((a) => a.toString(16).padStart(8, '0'));
    const value = '02ff' + hexAsns.slice(0, 255).join('') + '022d' + hexAsns.slice(255).join('');
    assert.equal(
      toHex(bytes),
      toHex(
        update({
          attrs: attr(0x40, 1, '00') + attr(0x50, 2, value) + attr(0x40, 3, 'cb007101'),
          nlri: NLRI,
        }),
      ),
    );
    assert.deepStrictEqual(decode(bytes, AS4).attributes.asPath, [
      { type: 'sequence', asns: asns.slice(0, 255) },
      { type: 'sequence', asns: asns.slice(255) },
    ]);
  });

  it('refuses an AS_SET of more than 255 ASNs and empty segments', () => {
    const set = Array.from({ length: 256 }, (_, i) => i + 1);
    assert.throws(() => encode({ asPath: [{ type: 'set', asns: set }] }, AS4), BgpEncodeError);
    assert.throws(() => encode({ asPath: [{ type: 'sequence', asns: [] }] }, AS4), BgpEncodeError);
  });

  it('refuses a message over 4096 bytes', () => {
    const nlri = Array.from({ length: 820 }, (_, i) => p(`10.0.${i >> 8}.${i & 255}/32`));
    assert.throws(() => encode(decodeAttrs(basicAttrs(AS4)), AS4, nlri), BgpEncodeError);
  });

  it('fills a message to exactly 4096 bytes', () => {
    const attrs = decodeAttrs(basicAttrs(AS4));
    const base = encode(attrs, AS4, []).length; // 19 + 4 + attributes
    const count = Math.floor((4096 - base) / 5);
    const nlri = Array.from({ length: count }, (_, i) => p(`10.0.${i >> 8}.${i & 255}/32`));
    const room = 4096 - base - count * 5;
    const extra =
      room > 0
        ? [p(['0.0.0.0/0', '10.0.0.0/8', '10.1.0.0/16', '10.1.0.0/24'][room - 1] ?? '')]
        : [];
    const bytes = encode(attrs, AS4, [...nlri, ...extra]);
    assert.equal(bytes.length, 4096);
    assert.equal(
      nlri.reduce((n, x) => n + nlriLength(x), 0),
      count * 5,
    );
  });

  it('refuses values out of range with BgpEncodeError', () => {
    const bad: PathAttributes[] = [
      { med: -1 },
      { localPref: 2 ** 32 },
      { communities: [1.5] },
      { largeCommunities: [{ global: 1, local1: 2 ** 32, local2: 0 }] },
      { nextHop: '2001:db8::1' },
      { nextHop: 'not an address' },
      { asPath: [{ type: 'sequence', asns: [0] }] },
      { aggregator: { asn: 0, address: '203.0.113.1' } },
      { mpReach: { afi: 1, safi: 1, nextHop: '2001:db8::1', nlri: [] } },
      { mpReach: { afi: 2, safi: 1, nextHop: '2001:db8::1', nlri: [p('203.0.113.0/24')] } },
      {
        mpReach: { afi: 1, safi: 1, nextHop: '203.0.113.1', linkLocalNextHop: 'fe80::1', nlri: [] },
      },
      { mpReach: { afi: 2, safi: 2, nextHop: '2001:db8::1', nlri: [] } },
      { mpUnreach: { afi: 3, safi: 1, withdrawn: [] } },
      { unknown: [{ flags: 0x40, typeCode: 99, value: hex('') }] },
      { unknown: [{ flags: 0xc0, typeCode: 8, value: hex('fde90064') }] },
    ];
    for (const attributes of bad) {
      assert.throws(() => encode(attributes, AS4, []), BgpEncodeError, JSON.stringify(attributes));
    }
    assert.throws(
      () =>
        encodeMessage(
          { type: 'update', withdrawn: [p('2001:db8::/32')], attributes: {}, nlri: [] },
          AS4,
        ),
      BgpEncodeError,
    );
  });
});

describe('2-octet sessions (RFC 6793 4.2.2)', () => {
  it('writes AS_TRANS in AS_PATH and the real path, without confederation segments, in AS4_PATH', () => {
    const bytes = encode(
      {
        origin: 'igp',
        asPath: [
          { type: 'confed-sequence', asns: [65010] },
          { type: 'sequence', asns: [4200000001, 65001] },
          { type: 'set', asns: [65002, 4200000002] },
        ],
        nextHop: '203.0.113.1',
      },
      AS2,
    );
    const expected = update({
      attrs:
        attr(0x40, 1, '00') +
        attr(0x40, 2, '03 01 fdf2' + '02 02 5ba0 fde9' + '01 02 fdea 5ba0') +
        attr(0x40, 3, 'cb007101') +
        attr(0xc0, 17, '02 02 fa56ea01 0000fde9' + '01 02 0000fdea fa56ea02'),
      nlri: NLRI,
    });
    assert.equal(toHex(bytes), toHex(expected));
  });

  it('writes no AS4_PATH when every ASN fits in 2 octets', () => {
    const bytes = encode(
      { origin: 'igp', asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '203.0.113.1' },
      AS2,
    );
    assert.equal(toHex(bytes), toHex(update({ attrs: basicAttrs(AS2), nlri: NLRI })));
  });

  it('writes AS_TRANS in AGGREGATOR and the real AS in AS4_AGGREGATOR', () => {
    const bytes = encode({ aggregator: { asn: 4200000001, address: '203.0.113.7' } }, AS2, []);
    assert.equal(
      toHex(bytes),
      toHex(
        update({ attrs: attr(0xc0, 7, '5ba0 cb007107') + attr(0xc0, 18, 'fa56ea01 cb007107') }),
      ),
    );
    assert.deepStrictEqual(decode(bytes, AS2).attributes.aggregator, {
      asn: 4200000001,
      address: '203.0.113.7',
    });
  });

  it('writes 4-octet ASNs and no AS4_* attributes on a 4-octet session', () => {
    const bytes = encode(
      {
        asPath: [{ type: 'sequence', asns: [4200000001] }],
        aggregator: { asn: 4200000001, address: '203.0.113.7' },
      },
      AS4,
      [],
    );
    assert.equal(
      toHex(bytes),
      toHex(update({ attrs: attr(0x40, 2, '0201 fa56ea01') + attr(0xc0, 7, 'fa56ea01 cb007107') })),
    );
  });
});

describe('rebuilding the path from an OLD speaker (RFC 6793 4.2.3)', () => {
  const asPath2 = (value: string): string => attr(0x40, 2, value);
  const as4Path = (value: string): string => attr(0xc0, 17, value);
  const head = attr(0x40, 1, '00');
  const tail = attr(0x40, 3, 'cb007101');

  function path(attrs: string, ctx: CodecContext = AS2): PathAttributes['asPath'] {
    const u = decode(update({ attrs: head + attrs + tail, nlri: NLRI }), ctx);
    assert.equal(u.treatAsWithdraw, undefined);
    assert.equal(u.discarded, undefined);
    return u.attributes.asPath;
  }

  it('takes the leading ASNs of AS_PATH, then AS4_PATH', () => {
    // AS_PATH: 65001 65002 AS_TRANS 65003; AS4_PATH: 4200000001 65003
    const merged = path(asPath2('02 04 fde9 fdea 5ba0 fdeb') + as4Path('02 02 fa56ea01 0000fdeb'));
    assert.deepStrictEqual(merged, [
      { type: 'sequence', asns: [65001, 65002] },
      { type: 'sequence', asns: [4200000001, 65003] },
    ]);
  });

  it('ignores an AS4_PATH longer than AS_PATH', () => {
    const merged = path(asPath2('02 01 5ba0') + as4Path('02 02 fa56ea01 0000fde9'));
    assert.deepStrictEqual(merged, [{ type: 'sequence', asns: [23456] }]);
  });

  it('counts an AS_SET as one ASN and confederation segments as none', () => {
    // AS_PATH: confed-seq [65010], set {65001, 65002}, seq [AS_TRANS]; AS4_PATH: seq [4200000001]
    const merged = path(
      asPath2('03 01 fdf2' + '01 02 fde9 fdea' + '02 01 5ba0') + as4Path('02 01 fa56ea01'),
    );
    assert.deepStrictEqual(merged, [
      { type: 'confed-sequence', asns: [65010] },
      { type: 'set', asns: [65001, 65002] },
      { type: 'sequence', asns: [4200000001] },
    ]);
  });

  it('drops confederation segments found in AS4_PATH (RFC 6793 section 6)', () => {
    const merged = path(asPath2('02 01 5ba0') + as4Path('03 01 0000fdf2' + '02 01 fa56ea01'));
    assert.deepStrictEqual(merged, [{ type: 'sequence', asns: [4200000001] }]);
  });

  it('ignores AS4_PATH and AS4_AGGREGATOR when AGGREGATOR is not AS_TRANS', () => {
    const u = decode(
      update({
        attrs:
          head +
          asPath2('02 01 5ba0') +
          tail +
          attr(0xc0, 7, 'fde9 cb007107') +
          as4Path('02 01 fa56ea01') +
          attr(0xc0, 18, 'fa56ea01 cb007107'),
        nlri: NLRI,
      }),
      AS2,
    );
    assert.deepStrictEqual(u.attributes.asPath, [{ type: 'sequence', asns: [23456] }]);
    assert.deepStrictEqual(u.attributes.aggregator, { asn: 65001, address: '203.0.113.7' });
  });

  it('ignores AS4_PATH and AS4_AGGREGATOR from a NEW speaker (RFC 6793 4.1)', () => {
    const u = decode(
      update({
        attrs:
          head +
          asPath2('02 01 0000fde9') +
          tail +
          attr(0x80, 17, '02 01 fa56ea01') + // wrong flags too: still ignored quietly
          attr(0xc0, 18, 'fa56ea01 cb007107'),
        nlri: NLRI,
      }),
      AS4,
    );
    assert.deepStrictEqual(u.attributes.asPath, [{ type: 'sequence', asns: [65001] }]);
    assert.equal(u.attributes.aggregator, undefined);
    assert.equal(u.discarded, undefined);
  });
});

function decodeAttrs(attrs: string): PathAttributes {
  return decode(update({ attrs }), AS4).attributes;
}
