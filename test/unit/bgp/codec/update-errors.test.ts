// UPDATE error handling, one rule per test: RFC 4271 6.3 as revised by RFC 7606,
// RFC 4760 section 7, RFC 6793 section 6, RFC 8092 section 6.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage } from '../../../../src/bgp/codec/index.js';
import type { CodecContext, UpdateMessage } from '../../../../src/bgp/types.js';
import {
  AS2,
  AS4,
  assertBgpError,
  assertThrowsBgp,
  attr,
  basicAttrs,
  hex,
  message,
  p,
  update,
} from './support.js';

const reset = 'session-reset' as const;
const withdraw = 'treat-as-withdraw' as const;
const discard = 'attribute-discard' as const;

const ORIGIN = attr(0x40, 1, '00');
const AS_PATH4 = attr(0x40, 2, '0201 0000fde9');
const NEXT_HOP = attr(0x40, 3, 'cb007101');
const NLRI = '20 cb007105'; // 203.0.113.5/32
/** MP_REACH_NLRI for 2001:db8::5/128 via 2001:db8::1. */
const MP_REACH6 = attr(
  0x90,
  14,
  '0002 01 10 20010db8000000000000000000000001 00 80 20010db8000000000000000000000005',
);

function decode(bytes: Uint8Array, ctx: CodecContext = AS4): UpdateMessage {
  const msg = decodeMessage(bytes, ctx);
  assert.equal(msg.type, 'update');
  return msg;
}

/** Decodes, asserts treat-as-withdraw with these fields, and that 203.0.113.5/32 was withdrawn. */
function expectWithdraw(
  bytes: Uint8Array,
  subcode: number,
  data: Uint8Array,
  ctx: CodecContext = AS4,
): UpdateMessage {
  const u = decode(bytes, ctx);
  assert.ok(u.treatAsWithdraw, 'treatAsWithdraw should be set');
  assertBgpError(u.treatAsWithdraw, { code: 3, subcode, action: withdraw, data });
  assert.deepStrictEqual(u.nlri, []);
  assert.deepStrictEqual(u.withdrawn, [p('203.0.113.5/32')]);
  return u;
}

/** Decodes, asserts one attribute-discard error and that the route survived. */
function expectDiscard(
  bytes: Uint8Array,
  subcode: number,
  data: Uint8Array,
  ctx: CodecContext = AS4,
): UpdateMessage {
  const u = decode(bytes, ctx);
  assert.equal(u.treatAsWithdraw, undefined);
  assert.equal(u.discarded?.length, 1);
  assertBgpError(u.discarded[0], { code: 3, subcode, action: discard, data });
  assert.deepStrictEqual(u.nlri, [p('203.0.113.5/32')]);
  return u;
}

describe('UPDATE field lengths (RFC 4271 6.3)', () => {
  it('Withdrawn Routes Length too large for the message is Malformed Attribute List (3/1)', () => {
    assertThrowsBgp(() => decode(message(2, '0010', '20cb0071', '0000')), {
      code: 3,
      subcode: 1,
      action: reset,
    });
  });

  it('Total Path Attribute Length too large for the message is 3/1', () => {
    assertThrowsBgp(() => decode(message(2, '0000', '0010', ORIGIN)), {
      code: 3,
      subcode: 1,
      action: reset,
    });
  });
});

describe('IPv4 network fields (RFC 7606 5.3)', () => {
  it('a withdrawn prefix longer than 32 is Invalid Network Field (3/10)', () => {
    assertThrowsBgp(() => decode(update({ withdrawn: '21 cb00710500' })), {
      code: 3,
      subcode: 10,
      action: reset,
    });
  });

  it('a withdrawn prefix running past its field is 3/10', () => {
    assertThrowsBgp(() => decode(update({ withdrawn: '20 cb00' })), {
      code: 3,
      subcode: 10,
      action: reset,
    });
  });

  it('an NLRI prefix longer than 32 is 3/10', () => {
    assertThrowsBgp(() => decode(update({ attrs: basicAttrs(AS4), nlri: '21 cb00710500' })), {
      code: 3,
      subcode: 10,
      action: reset,
    });
  });

  it('an NLRI prefix running past the message is 3/10', () => {
    assertThrowsBgp(() => decode(update({ attrs: basicAttrs(AS4), nlri: NLRI + '18 cb00' })), {
      code: 3,
      subcode: 10,
      action: reset,
    });
  });

  it('a session-reset fault wins over an earlier treat-as-withdraw fault', () => {
    const attrs = attr(0x40, 1, '07') + AS_PATH4 + NEXT_HOP;
    assertThrowsBgp(() => decode(update({ attrs, nlri: '21 cb00710500' })), {
      code: 3,
      subcode: 10,
      action: reset,
    });
  });
});

describe('attribute flags (RFC 7606 3.c)', () => {
  it('a well-known attribute flagged optional is Attribute Flags Error (3/4), treat-as-withdraw', () => {
    const bad = attr(0xc0, 1, '00');
    expectWithdraw(update({ attrs: bad + AS_PATH4 + NEXT_HOP, nlri: NLRI }), 4, hex(bad));
  });

  it('a well-known attribute flagged non-transitive is 3/4', () => {
    const bad = attr(0x00, 3, 'cb007101');
    expectWithdraw(update({ attrs: ORIGIN + AS_PATH4 + bad, nlri: NLRI }), 4, hex(bad));
  });

  it('an optional attribute flagged non-transitive when it is transitive is 3/4', () => {
    const bad = attr(0x80, 8, 'fde90064');
    expectWithdraw(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }), 4, hex(bad));
  });

  it('AS4_PATH with conflicting flags is only discarded (RFC 6793 section 6)', () => {
    const bad = attr(0x80, 17, '0201 fa56ea01');
    const u = expectDiscard(update({ attrs: basicAttrs(AS2) + bad, nlri: NLRI }), 4, hex(bad), AS2);
    assert.deepStrictEqual(u.attributes.asPath, [{ type: 'sequence', asns: [65001] }]);
  });
});

describe('per-attribute faults (RFC 7606 section 7)', () => {
  it('ORIGIN length other than 1 is 3/5, treat-as-withdraw (7.1)', () => {
    const bad = attr(0x40, 1, '0000');
    expectWithdraw(update({ attrs: bad + AS_PATH4 + NEXT_HOP, nlri: NLRI }), 5, hex(bad));
  });

  it('ORIGIN value above 2 is Invalid ORIGIN (3/6), treat-as-withdraw (7.1)', () => {
    const bad = attr(0x40, 1, '03');
    expectWithdraw(update({ attrs: bad + AS_PATH4 + NEXT_HOP, nlri: NLRI }), 6, hex(bad));
  });

  for (const [why, value] of [
    ['an unknown segment type', '05 01 0000fde9'],
    ['a zero-length segment', '02 00'],
    ['a segment overrunning the attribute', '02 02 0000fde9'],
    ['a single octet after the last segment', '02 01 0000fde9 02'],
    ['AS 0 (RFC 7607)', '02 01 00000000'],
  ] as const) {
    it(`AS_PATH with ${why} is Malformed AS_PATH (3/11), treat-as-withdraw (7.2)`, () => {
      const bad = attr(0x40, 2, value);
      expectWithdraw(update({ attrs: ORIGIN + bad + NEXT_HOP, nlri: NLRI }), 11, hex(bad));
    });
  }

  it('AS_PATH width follows the session: 4-octet ASNs on a 2-octet session are malformed', () => {
    const fourOctet = attr(0x40, 2, '02 01 0000fde9');
    expectWithdraw(
      update({ attrs: ORIGIN + fourOctet + NEXT_HOP, nlri: NLRI }),
      11,
      hex(fourOctet),
      AS2,
    );
    const twoOctet = attr(0x40, 2, '02 02 fde9 fdea');
    expectWithdraw(
      update({ attrs: ORIGIN + twoOctet + NEXT_HOP, nlri: NLRI }),
      11,
      hex(twoOctet),
      AS4,
    );
  });

  it('NEXT_HOP length other than 4 is 3/5, treat-as-withdraw (7.3)', () => {
    const bad = attr(0x40, 3, 'cb00710100');
    expectWithdraw(update({ attrs: ORIGIN + AS_PATH4 + bad, nlri: NLRI }), 5, hex(bad));
  });

  it('a bad NEXT_HOP without IPv4 NLRI is ignored (RFC 4760 section 3), not a withdraw', () => {
    const bad = attr(0x40, 3, 'cb0071');
    const u = decode(update({ attrs: MP_REACH6 + ORIGIN + AS_PATH4 + bad }));
    assert.equal(u.treatAsWithdraw, undefined);
    assertBgpError(u.discarded?.[0], { code: 3, subcode: 5, action: discard, data: hex(bad) });
    assert.equal(u.attributes.mpReach?.nlri.length, 1);
    assert.equal(u.attributes.nextHop, undefined);
  });

  it('MULTI_EXIT_DISC length other than 4 is 3/5, treat-as-withdraw (7.4)', () => {
    const bad = attr(0x80, 4, '000001');
    expectWithdraw(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }), 5, hex(bad));
  });

  it('LOCAL_PREF length other than 4 is 3/5, treat-as-withdraw (7.5)', () => {
    const bad = attr(0x40, 5, '0000006400');
    expectWithdraw(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }), 5, hex(bad));
  });

  it('ATOMIC_AGGREGATE with a non-zero length is discarded (7.6)', () => {
    const bad = attr(0x40, 6, '00');
    const u = expectDiscard(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }), 5, hex(bad));
    assert.equal(u.attributes.atomicAggregate, undefined);
    assert.equal(u.attributes.origin, 'igp');
  });

  it('AGGREGATOR of the wrong length for the session is discarded (7.7)', () => {
    const eight = attr(0xc0, 7, '0000fde9 cb007101');
    const u2 = expectDiscard(
      update({ attrs: basicAttrs(AS2) + eight, nlri: NLRI }),
      5,
      hex(eight),
      AS2,
    );
    assert.equal(u2.attributes.aggregator, undefined);
    const six = attr(0xc0, 7, 'fde9 cb007101');
    const u4 = expectDiscard(
      update({ attrs: basicAttrs(AS4) + six, nlri: NLRI }),
      5,
      hex(six),
      AS4,
    );
    assert.equal(u4.attributes.aggregator, undefined);
  });

  for (const value of ['', 'fde90064 00']) {
    it(`COMMUNITIES of length ${hex(value).length} is 3/5, treat-as-withdraw (7.8)`, () => {
      const bad = attr(0xc0, 8, value);
      expectWithdraw(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }), 5, hex(bad));
    });
  }

  for (const value of ['', '0000fde9 00000001 00000002 00']) {
    it(`LARGE_COMMUNITIES of length ${hex(value).length} is 3/5, treat-as-withdraw (RFC 8092 section 6)`, () => {
      const bad = attr(0xc0, 32, value);
      expectWithdraw(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }), 5, hex(bad));
    });
  }

  it('ORIGINATOR_ID length other than 4 is 3/5, treat-as-withdraw (7.9)', () => {
    const bad = attr(0x80, 9, 'cb0071');
    expectWithdraw(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }), 5, hex(bad));
  });

  for (const value of ['', 'cb007101 0000']) {
    it(`CLUSTER_LIST of length ${hex(value).length} is 3/5, treat-as-withdraw (7.10)`, () => {
      const bad = attr(0x80, 10, value);
      expectWithdraw(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }), 5, hex(bad));
    });
  }

  it('a malformed AS4_PATH is discarded and AS_PATH used as received (RFC 6793 section 6)', () => {
    const bad = attr(0xc0, 17, '02 02 fa56ea01');
    const u = expectDiscard(
      update({ attrs: basicAttrs(AS2) + bad, nlri: NLRI }),
      11,
      hex(bad),
      AS2,
    );
    assert.deepStrictEqual(u.attributes.asPath, [{ type: 'sequence', asns: [65001] }]);
  });

  it('an AS4_AGGREGATOR of the wrong length is discarded (RFC 6793 section 6)', () => {
    const aggregator = attr(0xc0, 7, '5ba0 cb007101');
    const bad = attr(0xc0, 18, 'fa56ea01 cb00');
    const u = expectDiscard(
      update({ attrs: basicAttrs(AS2) + aggregator + bad, nlri: NLRI }),
      5,
      hex(bad),
      AS2,
    );
    assert.deepStrictEqual(u.attributes.aggregator, { asn: 23456, address: '203.0.113.1' });
  });
});

describe('iBGP-only attributes from an external peer (RFC 7606 7.5, 7.9, 7.10)', () => {
  const EXTERNAL: CodecContext = { ...AS4, external: true };
  const localPref = attr(0x40, 5, '000000c8');
  const originatorId = attr(0x80, 9, 'cb007109');
  const clusterList = attr(0x80, 10, 'cb007109 cb00710a');

  for (const [name, bad] of [
    ['LOCAL_PREF (7.5)', localPref],
    ['ORIGINATOR_ID (7.9)', originatorId],
    ['CLUSTER_LIST (7.10)', clusterList],
  ] as const) {
    it(`${name} from an external peer is discarded and the route kept`, () => {
      const u = expectDiscard(
        update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }),
        1,
        hex(bad),
        EXTERNAL,
      );
      assert.equal(u.attributes.localPref, undefined);
      assert.equal(u.attributes.originatorId, undefined);
      assert.equal(u.attributes.clusterList, undefined);
    });
  }

  it('a LOCAL_PREF of the wrong length from an external peer is discarded, not a withdraw (7.5)', () => {
    const bad = attr(0x40, 5, '00c8');
    expectDiscard(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }), 1, hex(bad), EXTERNAL);
  });

  for (const [name, bad] of [
    ['LOCAL_PREF marked optional (7.5)', attr(0xc0, 5, '000000c8')],
    ['ORIGINATOR_ID marked well-known (7.9)', attr(0x40, 9, 'cb007109')],
    ['CLUSTER_LIST marked transitive (7.10)', attr(0xc0, 10, 'cb007109')],
  ] as const) {
    it(`${name} from an external peer is discarded, not a withdraw (its rule beats 3.c)`, () => {
      expectDiscard(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }), 1, hex(bad), EXTERNAL);
    });
  }

  it('a LOCAL_PREF with wrong flags from an internal peer is still a withdraw (3.c)', () => {
    const bad = attr(0xc0, 5, '000000c8');
    expectWithdraw(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI }), 4, hex(bad));
  });

  it('the same attributes from an internal peer are kept', () => {
    const u = decode(
      update({ attrs: basicAttrs(AS4) + localPref + originatorId + clusterList, nlri: NLRI }),
    );
    assert.equal(u.discarded, undefined);
    assert.equal(u.attributes.localPref, 200);
    assert.equal(u.attributes.originatorId, '203.0.113.9');
    assert.deepEqual(u.attributes.clusterList, ['203.0.113.9', '203.0.113.10']);
  });
});

describe('MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 7606 7.11, RFC 4760 section 7)', () => {
  const mandatory = ORIGIN + AS_PATH4;
  for (const [why, value] of [
    [
      'an IPv6 next hop of 8 bytes',
      '0002 01 08 20010db800000000 00 80 20010db8000000000000000000000005',
    ],
    [
      'an IPv6 next hop of 24 bytes',
      '0002 01 18 20010db8000000000000000000000001 0000000000000000 00 80 20010db8000000000000000000000005',
    ],
    ['an IPv4 next hop of 16 bytes', '0001 01 10 20010db8000000000000000000000001 00 20 cb007105'],
    ['a next hop running past the attribute', '0002 01 20 20010db8000000000000000000000001'],
    [
      'an NLRI prefix running past the attribute',
      '0002 01 10 20010db8000000000000000000000001 00 80 20010db8',
    ],
    [
      'an NLRI prefix longer than 128',
      '0002 01 10 20010db8000000000000000000000001 00 81 20010db800000000000000000000000500',
    ],
    ['a length too short for its fixed fields', '0002 01 10'],
    ['a length too short for AFI and SAFI', '0002'],
  ] as const) {
    it(`MP_REACH_NLRI with ${why} is Optional Attribute Error (3/9), session-reset`, () => {
      const bad = attr(0x90, 14, value);
      assertThrowsBgp(() => decode(update({ attrs: bad + mandatory })), {
        code: 3,
        subcode: 9,
        action: reset,
        data: hex(bad),
      });
    });
  }

  it('MP_UNREACH_NLRI with a prefix longer than 128 is 3/9, session-reset', () => {
    const bad = attr(0x80, 15, '0002 01 81 20010db800000000000000000000000500');
    assertThrowsBgp(() => decode(update({ attrs: bad })), {
      code: 3,
      subcode: 9,
      action: reset,
      data: hex(bad),
    });
  });

  it('MP_UNREACH_NLRI with an IPv4 prefix running past it is 3/9', () => {
    const bad = attr(0x80, 15, '0001 01 20 cb00');
    assertThrowsBgp(() => decode(update({ attrs: bad })), {
      code: 3,
      subcode: 9,
      action: reset,
      data: hex(bad),
    });
  });

  it('a second MP_REACH_NLRI is Malformed Attribute List (3/1), session-reset (7606 3.g)', () => {
    assertThrowsBgp(() => decode(update({ attrs: MP_REACH6 + mandatory + MP_REACH6 })), {
      code: 3,
      subcode: 1,
      action: reset,
      data: hex(MP_REACH6),
    });
  });

  it('a second MP_UNREACH_NLRI is 3/1, session-reset', () => {
    const unreach = attr(0x80, 15, '0002 01');
    assertThrowsBgp(() => decode(update({ attrs: unreach + unreach })), {
      code: 3,
      subcode: 1,
      action: reset,
    });
  });

  it('MP_REACH_NLRI / MP_UNREACH_NLRI for an AFI/SAFI we never negotiate are dropped, not errors', () => {
    const vpn = attr(0x90, 14, '0001 80 0c 0000000000000000cb007101 00 00');
    const l2 = attr(0x80, 15, '0019 46 00');
    const u = decode(update({ attrs: vpn + l2 + mandatory }));
    assert.equal(u.treatAsWithdraw, undefined);
    assert.equal(u.discarded, undefined);
    assert.equal(u.attributes.mpReach, undefined);
    assert.equal(u.attributes.mpUnreach, undefined);
  });
});

describe('attribute list structure', () => {
  it('a repeated attribute keeps the first and discards the rest (7606 3.g)', () => {
    const first = attr(0xc0, 8, 'fde90064');
    const second = attr(0xc0, 8, 'fde900c8');
    const u = expectDiscard(
      update({ attrs: basicAttrs(AS4) + first + second, nlri: NLRI }),
      1,
      hex(second),
    );
    assert.deepStrictEqual(u.attributes.communities, [0xfde90064]);
  });

  it('an unrecognized well-known attribute is 3/2, session-reset, data = the attribute', () => {
    const bad = attr(0x40, 99, 'abcd');
    assertThrowsBgp(() => decode(update({ attrs: basicAttrs(AS4) + bad, nlri: NLRI })), {
      code: 3,
      subcode: 2,
      action: reset,
      data: hex(bad),
    });
  });

  it('an unknown optional non-transitive attribute is dropped quietly', () => {
    const u = decode(update({ attrs: basicAttrs(AS4) + attr(0x80, 99, 'abcd'), nlri: NLRI }));
    assert.equal(u.attributes.unknown, undefined);
    assert.equal(u.discarded, undefined);
    assert.equal(u.treatAsWithdraw, undefined);
  });

  it('an unknown optional transitive attribute is kept with its flags', () => {
    const u = decode(
      update({
        attrs: basicAttrs(AS4) + attr(0xe0, 99, 'abcd') + attr(0xd0, 16, '0002fde900000064'),
        nlri: NLRI,
      }),
    );
    assert.deepStrictEqual(u.attributes.unknown, [
      { flags: 0xe0, typeCode: 99, value: hex('abcd') },
      { flags: 0xd0, typeCode: 16, value: hex('0002fde900000064') },
    ]);
  });

  it('an attribute running past the attribute list is 3/5, treat-as-withdraw; NLRI found by the total length (7606 section 4)', () => {
    // COMMUNITIES claims 8 bytes, 4 remain in the list.
    const overrun = 'c0 08 08 fde90064';
    const u = expectWithdraw(
      update({ attrs: basicAttrs(AS4) + overrun, nlri: NLRI }),
      5,
      hex(overrun),
    );
    assert.equal(u.attributes.origin, 'igp');
  });

  it('fewer than 3 bytes at an attribute start is 3/5, treat-as-withdraw', () => {
    expectWithdraw(update({ attrs: basicAttrs(AS4) + 'c008', nlri: NLRI }), 5, hex('c008'));
  });

  it('fewer than 4 bytes at an extended-length attribute start is 3/5, treat-as-withdraw', () => {
    expectWithdraw(update({ attrs: basicAttrs(AS4) + 'd00800', nlri: NLRI }), 5, hex('d00800'));
  });

  it('an MP_REACH_NLRI running past the attribute list is 3/5, session-reset', () => {
    const overrun = '90 0e 0100 0002 01';
    assertThrowsBgp(() => decode(update({ attrs: ORIGIN + AS_PATH4 + overrun })), {
      code: 3,
      subcode: 5,
      action: reset,
      data: hex(overrun),
    });
  });

  it('an MP_UNREACH_NLRI running past the attribute list is 3/5, session-reset', () => {
    assertThrowsBgp(() => decode(update({ attrs: '80 0f 09 0002 01' })), {
      code: 3,
      subcode: 5,
      action: reset,
    });
  });

  it('the first treat-as-withdraw fault is the one reported', () => {
    const badOrigin = attr(0x40, 1, '09');
    const badMed = attr(0x80, 4, '00');
    const u = expectWithdraw(
      update({ attrs: badOrigin + AS_PATH4 + NEXT_HOP + badMed, nlri: NLRI }),
      6,
      hex(badOrigin),
    );
    assert.equal(u.attributes.origin, undefined);
  });
});

describe('missing well-known attributes (RFC 7606 3.d)', () => {
  it('IPv4 NLRI without ORIGIN is Missing Well-known Attribute (3/3), data = type 1', () => {
    expectWithdraw(update({ attrs: AS_PATH4 + NEXT_HOP, nlri: NLRI }), 3, hex('01'));
  });

  it('IPv4 NLRI without AS_PATH is 3/3, data = type 2', () => {
    expectWithdraw(update({ attrs: ORIGIN + NEXT_HOP, nlri: NLRI }), 3, hex('02'));
  });

  it('IPv4 NLRI without NEXT_HOP is 3/3, data = type 3', () => {
    expectWithdraw(update({ attrs: ORIGIN + AS_PATH4, nlri: NLRI }), 3, hex('03'));
  });

  it('MP_REACH_NLRI without ORIGIN is 3/3, data = type 1, and its prefixes are withdrawn', () => {
    const u = decode(update({ attrs: MP_REACH6 + AS_PATH4 }));
    assertBgpError(u.treatAsWithdraw, { code: 3, subcode: 3, action: withdraw, data: hex('01') });
    assert.equal(u.attributes.mpReach, undefined);
    assert.deepStrictEqual(u.attributes.mpUnreach, {
      afi: 2,
      safi: 1,
      withdrawn: [p('2001:db8::5/128')],
    });
  });

  it('MP_REACH_NLRI needs no NEXT_HOP attribute', () => {
    const u = decode(update({ attrs: MP_REACH6 + ORIGIN + AS_PATH4 }));
    assert.equal(u.treatAsWithdraw, undefined);
  });

  it('withdrawals only, End-of-RIB and MP_UNREACH_NLRI alone need no attributes', () => {
    for (const bytes of [
      update({ withdrawn: NLRI }),
      update({}),
      update({ attrs: attr(0x80, 15, '0002 01 80 20010db8000000000000000000000005') }),
    ]) {
      const u = decode(bytes);
      assert.equal(u.treatAsWithdraw, undefined);
      assert.equal(u.discarded, undefined);
    }
  });
});

describe('treat-as-withdraw result', () => {
  it('moves IPv4 NLRI to withdrawn and MP_REACH_NLRI prefixes into the existing MP_UNREACH_NLRI', () => {
    const unreach = attr(0x80, 15, '0002 01 80 20010db80000000000000000000000aa');
    const bad = attr(0x40, 1, '05');
    const u = decode(
      update({
        withdrawn: '20 cb007163',
        attrs: MP_REACH6 + unreach + bad + AS_PATH4 + NEXT_HOP,
        nlri: NLRI,
      }),
    );
    assertBgpError(u.treatAsWithdraw, { code: 3, subcode: 6, action: withdraw, data: hex(bad) });
    assert.deepStrictEqual(u.withdrawn, [p('203.0.113.99/32'), p('203.0.113.5/32')]);
    assert.deepStrictEqual(u.nlri, []);
    assert.equal(u.attributes.mpReach, undefined);
    assert.deepStrictEqual(u.attributes.mpUnreach, {
      afi: 2,
      safi: 1,
      withdrawn: [p('2001:db8::aa/128'), p('2001:db8::5/128')],
    });
    assert.deepStrictEqual(u.attributes.asPath, [{ type: 'sequence', asns: [65001] }]);
  });

  it('puts IPv4 MP_REACH_NLRI prefixes in withdrawn when MP_UNREACH_NLRI holds IPv6', () => {
    const reach4 = attr(0x90, 14, '0001 01 04 cb007101 00 20 cb007106');
    const unreach6 = attr(0x80, 15, '0002 01 80 20010db80000000000000000000000aa');
    const u = decode(update({ attrs: reach4 + unreach6 + AS_PATH4 }));
    assertBgpError(u.treatAsWithdraw, { code: 3, subcode: 3, action: withdraw, data: hex('01') });
    assert.deepStrictEqual(u.withdrawn, [p('203.0.113.6/32')]);
    assert.deepStrictEqual(u.attributes.mpUnreach, {
      afi: 2,
      safi: 1,
      withdrawn: [p('2001:db8::aa/128')],
    });
  });
});
