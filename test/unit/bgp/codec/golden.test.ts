// Golden bytes. The BIRD ones were captured from BIRD 2.0.12 (Debian bookworm)
// talking to a test listener across a veth pair in two network namespaces,
// then annotated field by field by hand. Each is decoded to a hand-written value,
// and, where the encoding is canonical for this codec, the value is encoded back
// to the same bytes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MessageFramer,
  decodeMessage,
  decodeShutdownCommunication,
  encodeKeepalive,
  encodeMessage,
  encodeShutdownCommunication,
} from '../../../../src/bgp/codec/index.js';
import type { BgpMessage, CodecContext } from '../../../../src/bgp/types.js';
import { AS2, AS4, hex, p, toHex } from './support.js';

const MARKER = 'ffffffffffffffffffffffffffffffff';

interface Golden {
  name: string;
  bytes: Uint8Array;
  value: BgpMessage;
  ctx: CodecContext;
  canonical: boolean;
}

const goldens: Golden[] = [
  {
    name: 'KEEPALIVE (BIRD)',
    ctx: AS4,
    canonical: true,
    bytes: hex(
      MARKER,
      '0013', // length 19
      '04', // type KEEPALIVE
    ),
    value: { type: 'keepalive' },
  },
  {
    name: 'OPEN with MP IPv4 + IPv6, route refresh, graceful restart, 4-octet AS (BIRD)',
    ctx: AS4,
    canonical: true,
    bytes: hex(
      MARKER,
      '003b', // length 59
      '01', // type OPEN
      '04', // version 4
      'fde9', // My AS 65001
      '00f0', // hold time 240
      'c6124d01', // BGP identifier 198.18.77.1
      '1e', // Opt Parm Len 30
      '02 1c', // parameter type 2 (capabilities), length 28
      '01 04 0001 00 01', // multiprotocol: AFI 1, reserved, SAFI 1
      '01 04 0002 00 01', // multiprotocol: AFI 2, reserved, SAFI 1
      '02 00', // route refresh
      '40 02 0078', // graceful restart (64): flags 0, restart time 120
      '41 04 0000fde9', // 4-octet AS (65): 65001
      '46 00', // enhanced route refresh (70)
      '47 00', // long-lived graceful restart (71), empty
    ),
    value: {
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 240,
      routerId: '198.18.77.1',
      capabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'multiprotocol', afi: 2, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'unknown', code: 64, value: hex('0078') },
        { kind: 'four-octet-as', asn: 65001 },
        { kind: 'unknown', code: 70, value: hex('') },
        { kind: 'unknown', code: 71, value: hex('') },
      ],
    },
  },
  {
    name: 'OPEN from a 4-octet AS: My AS is AS_TRANS (BIRD)',
    ctx: AS2,
    canonical: true,
    bytes: hex(
      MARKER,
      '0035', // length 53
      '01', // OPEN
      '04', // version
      '5ba0', // My AS 23456 (AS_TRANS)
      '00f0', // hold time 240
      'c6124d01', // 198.18.77.1
      '18', // Opt Parm Len 24
      '02 16', // capabilities, length 22
      '01 04 0001 00 01', // MP IPv4 unicast
      '02 00', // route refresh
      '40 02 0078', // graceful restart
      '41 04 fa56ea01', // 4-octet AS 4200000001
      '46 00', // enhanced route refresh
      '47 00', // long-lived graceful restart
    ),
    value: {
      type: 'open',
      version: 4,
      myAs: 23456,
      holdTime: 240,
      routerId: '198.18.77.1',
      capabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'unknown', code: 64, value: hex('0078') },
        { kind: 'four-octet-as', asn: 4200000001 },
        { kind: 'unknown', code: 70, value: hex('') },
        { kind: 'unknown', code: 71, value: hex('') },
      ],
    },
  },
  {
    name: 'UPDATE with ORIGIN, AS_PATH, NEXT_HOP, COMMUNITIES, LARGE_COMMUNITIES, IPv4 NLRI (BIRD)',
    ctx: AS4,
    canonical: true,
    bytes: hex(
      MARKER,
      '0045', // length 69
      '02', // UPDATE
      '0000', // withdrawn routes length 0
      '002a', // total path attribute length 42
      '40 01 01 00', // ORIGIN, well-known transitive, IGP
      '40 02 06 02 01 0000fde9', // AS_PATH: AS_SEQUENCE of 1: 65001 (4-octet)
      '40 03 04 c6124d01', // NEXT_HOP 198.18.77.1
      'c0 08 04 fde90064', // COMMUNITIES, optional transitive: 65001:100
      'c0 20 0c 0000fde9 00000001 00000002', // LARGE_COMMUNITIES: 65001:1:2
      '18 cb0071', // NLRI 203.0.113.0/24
    ),
    value: {
      type: 'update',
      withdrawn: [],
      attributes: {
        origin: 'igp',
        asPath: [{ type: 'sequence', asns: [65001] }],
        nextHop: '198.18.77.1',
        communities: [0xfde90064],
        largeCommunities: [{ global: 65001, local1: 1, local2: 2 }],
      },
      nlri: [p('203.0.113.0/24')],
    },
  },
  {
    name: 'UPDATE from a 4-octet AS on a 2-octet session: AS_TRANS + AS4_PATH (BIRD)',
    ctx: AS2,
    canonical: true,
    bytes: hex(
      MARKER,
      '004c', // length 76
      '02', // UPDATE
      '0000', // no withdrawn routes
      '0031', // attributes 49
      '40 01 01 00', // ORIGIN IGP
      '40 02 04 02 01 5ba0', // AS_PATH: AS_SEQUENCE [23456] (2-octet)
      '40 03 04 c6124d01', // NEXT_HOP 198.18.77.1
      'c0 08 04 fde90064', // COMMUNITIES 65001:100
      'c0 11 06 02 01 fa56ea01', // AS4_PATH, optional transitive: AS_SEQUENCE [4200000001]
      'c0 20 0c 0000fde9 00000001 00000002', // LARGE_COMMUNITIES 65001:1:2
      '18 cb0071', // NLRI 203.0.113.0/24
    ),
    value: {
      type: 'update',
      withdrawn: [],
      attributes: {
        origin: 'igp',
        asPath: [{ type: 'sequence', asns: [4200000001] }],
        nextHop: '198.18.77.1',
        communities: [0xfde90064],
        largeCommunities: [{ global: 65001, local1: 1, local2: 2 }],
      },
      nlri: [p('203.0.113.0/24')],
    },
  },
  {
    name: 'IPv4 End-of-RIB: an empty UPDATE (BIRD)',
    ctx: AS4,
    canonical: true,
    bytes: hex(MARKER, '0017', '02', '0000', '0000'),
    value: { type: 'update', withdrawn: [], attributes: {}, nlri: [] },
  },
  {
    name: 'IPv6 MP_REACH_NLRI with global + link-local next hop (BIRD)',
    ctx: AS4,
    canonical: true,
    bytes: hex(
      MARKER,
      '0054', // length 84
      '02', // UPDATE
      '0000', // no withdrawn routes
      '003d', // attributes 61
      '90 0e 002c', // MP_REACH_NLRI, optional + extended length, length 44 (first, RFC 7606 5.1)
      '0002 01', // AFI 2 (IPv6), SAFI 1
      '20', // next hop length 32: global + link-local (RFC 2545)
      '20010db8000000000000000000000001', // 2001:db8::1
      'fe8000000000000098de7dfffef763b2', // fe80::98de:7dff:fef7:63b2
      '00', // reserved
      '30 20010db80001', // 2001:db8:1::/48
      '40 01 01 00', // ORIGIN IGP
      '40 02 06 02 01 0000fde9', // AS_PATH [65001]
    ),
    value: {
      type: 'update',
      withdrawn: [],
      attributes: {
        origin: 'igp',
        asPath: [{ type: 'sequence', asns: [65001] }],
        mpReach: {
          afi: 2,
          safi: 1,
          nextHop: '2001:db8::1',
          linkLocalNextHop: 'fe80::98de:7dff:fef7:63b2',
          nlri: [p('2001:db8:1::/48')],
        },
      },
      nlri: [],
    },
  },
  {
    name: 'IPv6 End-of-RIB: an UPDATE with only an empty MP_UNREACH_NLRI (BIRD)',
    ctx: AS4,
    canonical: true,
    bytes: hex(
      MARKER,
      '001d', // length 29
      '02', // UPDATE
      '0000', // no withdrawn routes
      '0006', // attributes 6
      '80 0f 03 0002 01', // MP_UNREACH_NLRI, optional, length 3: AFI 2, SAFI 1, nothing withdrawn
    ),
    value: {
      type: 'update',
      withdrawn: [],
      attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [] } },
      nlri: [],
    },
  },
  {
    name: 'ROUTE-REFRESH for IPv4 unicast (BIRD "reload in")',
    ctx: AS4,
    canonical: true,
    bytes: hex(
      MARKER,
      '0017', // length 23
      '05', // ROUTE-REFRESH
      '0001', // AFI 1
      '00', // subtype 0: normal request (RFC 7313)
      '01', // SAFI 1
    ),
    value: { type: 'route-refresh', afi: 1, subtype: 0, safi: 1 },
  },
  {
    name: 'NOTIFICATION Cease / Administrative Shutdown with a UTF-8 message (BIRD "disable")',
    ctx: AS4,
    canonical: true,
    bytes: hex(
      MARKER,
      '0035', // length 53
      '03', // NOTIFICATION
      '06', // Cease
      '02', // Administrative Shutdown
      '1f', // Shutdown Communication length 31
      toHex(Buffer.from('maintenance: wartung f\u00fcr 5 min', 'utf8')), // "ü" is c3 bc
    ),
    value: {
      type: 'notification',
      code: 6,
      subcode: 2,
      data: hex('1f', toHex(Buffer.from('maintenance: wartung f\u00fcr 5 min', 'utf8'))),
    },
  },
  {
    name: 'UPDATE withdrawing IPv4 and IPv6 prefixes (hand-written)',
    ctx: AS4,
    canonical: true,
    bytes: hex(
      MARKER,
      '0037', // length 55
      '02', // UPDATE
      '0009', // withdrawn routes length 9
      '20 cb007105', // 203.0.113.5/32
      '18 c63364', // 198.51.100.0/24
      '0017', // attributes 23
      '80 0f 14', // MP_UNREACH_NLRI, optional, length 20
      '0002 01', // AFI 2, SAFI 1
      '80 20010db800000000000000000000abcd', // 2001:db8::abcd/128
      '', // no NLRI
    ),
    value: {
      type: 'update',
      withdrawn: [p('203.0.113.5/32'), p('198.51.100.0/24')],
      attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [p('2001:db8::abcd/128')] } },
      nlri: [],
    },
  },
  {
    name: 'OPEN with RFC 9072 extended optional parameters (hand-written, not canonical)',
    ctx: AS4,
    canonical: false,
    bytes: hex(
      MARKER,
      '002b', // length 43
      '01', // OPEN
      '04', // version
      'fde9', // My AS 65001
      '005a', // hold time 90
      'cb007101', // 203.0.113.1
      'ff', // Non-Ext OP Len 255
      'ff', // Non-Ext OP Type 255: the extended encoding follows
      '000b', // Extended Opt. Parm. Length 11
      '02 0008', // parameter type 2 (capabilities) with a 2-octet length 8
      '02 00', // route refresh
      '41 04 0000fde9', // 4-octet AS 65001
    ),
    value: {
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 90,
      routerId: '203.0.113.1',
      capabilities: [{ kind: 'route-refresh' }, { kind: 'four-octet-as', asn: 65001 }],
    },
  },
];

describe('golden bytes', () => {
  for (const g of goldens) {
    it(`decodes: ${g.name}`, () => {
      assert.deepStrictEqual(decodeMessage(g.bytes, g.ctx), g.value);
    });
    if (g.canonical) {
      it(`encodes: ${g.name}`, () => {
        assert.equal(toHex(encodeMessage(g.value, g.ctx)), toHex(g.bytes));
      });
    }
  }

  it('frames the BIRD session start when it arrives one byte at a time', () => {
    const stream = goldens.filter((g) => g.name.includes('BIRD')).map((g) => g.bytes);
    const framer = new MessageFramer();
    const out: string[] = [];
    for (const m of stream) {
      for (const byte of m) {
        framer.push(Uint8Array.of(byte));
        for (let f = framer.next(); f; f = framer.next()) out.push(toHex(f));
      }
    }
    assert.deepEqual(out, stream.map(toHex));
    assert.equal(framer.buffered, 0);
  });

  it('encodeKeepalive is the 19-byte KEEPALIVE', () => {
    assert.equal(toHex(encodeKeepalive()), MARKER + '001304');
  });

  it('reads and writes the BIRD shutdown communication', () => {
    const data = hex('1f', toHex(Buffer.from('maintenance: wartung f\u00fcr 5 min', 'utf8')));
    assert.equal(decodeShutdownCommunication(data), 'maintenance: wartung f\u00fcr 5 min');
    assert.equal(
      toHex(encodeShutdownCommunication('maintenance: wartung f\u00fcr 5 min')),
      toHex(data),
    );
  });
});
