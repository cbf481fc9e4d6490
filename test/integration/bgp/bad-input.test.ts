/**
 * Malformed input over real TCP: each fault gets the right NOTIFICATION (RFC 4271
 * section 6, RFC 7606) and the speaker keeps serving its other peers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../../src/clock/index.js';
import { BgpSpeaker } from '../../../src/bgp/index.js';
import { pino } from 'pino';
import { loggedEvent } from '../../helpers/log-events.js';
import {
  RawPeer,
  basicAttributes,
  capFourOctet,
  capMpIpv4,
  capMpIpv6,
  capRouteRefresh,
  eventually,
  keepalive,
  message,
  openMessage,
  u16,
  updateMessage,
  type RawOpen,
} from '../../helpers/raw-peer.js';

const RAW_ASN = 65010;
const rawOpen: RawOpen = {
  myAs: RAW_ASN,
  holdTime: 90,
  routerId: [198, 18, 0, 99],
  capabilities: [capMpIpv4, capMpIpv6, capRouteRefresh, capFourOctet(RAW_ASN)],
};
const nextHop = [198, 18, 0, 99];

interface Case {
  name: string;
  /** Complete the handshake first. */
  established?: boolean;
  send: () => Buffer;
  expect: [number, number, number[]?];
}

const cases: Case[] = [
  {
    name: 'bad marker',
    send: () => Buffer.from([...new Array<number>(15).fill(0xff), 0, ...u16(19), 4]),
    expect: [1, 1],
  },
  { name: 'length below 19', send: () => message(4, [], 18), expect: [1, 2, u16(18)] },
  { name: 'length above 4096', send: () => message(2, [], 5000), expect: [1, 2, u16(5000)] },
  { name: 'unknown message type', send: () => message(9, []), expect: [1, 3, [9]] },
  { name: 'KEEPALIVE with a body', send: () => message(4, [0]), expect: [1, 2, u16(20)] },
  {
    name: 'OPEN with version 3',
    send: () => openMessage({ ...rawOpen, version: 3 }),
    expect: [2, 1, [0, 4]],
  },
  {
    name: 'OPEN from the wrong AS',
    send: () => openMessage({ ...rawOpen, myAs: 65099, capabilities: [capMpIpv4] }),
    expect: [2, 2],
  },
  {
    name: 'OPEN with hold time 1',
    send: () => openMessage({ ...rawOpen, holdTime: 1 }),
    expect: [2, 6],
  },
  {
    name: 'OPEN with hold time 2',
    send: () => openMessage({ ...rawOpen, holdTime: 2 }),
    expect: [2, 6],
  },
  {
    name: 'OPEN with an unsupported optional parameter',
    send: () => message(1, [4, ...u16(RAW_ASN), ...u16(90), ...nextHop, 3, 7, 1, 0]),
    expect: [2, 4],
  },
  {
    name: 'UPDATE before OPEN',
    send: () => updateMessage([], basicAttributes(RAW_ASN, nextHop), [32, 203, 0, 113, 1]),
    expect: [5, 1],
  },
  {
    name: 'Total Path Attribute Length running past the message',
    established: true,
    send: () => message(2, [0, 0, ...u16(200), 0x40, 1, 1, 0]),
    expect: [3, 1],
  },
  {
    name: 'truncated NLRI',
    established: true,
    send: () => updateMessage([], basicAttributes(RAW_ASN, nextHop), [24, 203]),
    expect: [3, 10],
  },
  {
    name: 'NLRI prefix length above 32',
    established: true,
    send: () => updateMessage([], basicAttributes(RAW_ASN, nextHop), [33, 203, 0, 113, 1, 0]),
    expect: [3, 10],
  },
  {
    name: 'unrecognized well-known attribute',
    established: true,
    send: () =>
      updateMessage([], [...basicAttributes(RAW_ASN, nextHop), 0x40, 99, 0], [32, 203, 0, 113, 1]),
    expect: [3, 2],
  },
  {
    name: 'MP_REACH_NLRI whose length runs past the attributes',
    established: true,
    send: () => updateMessage([], [0x40, 1, 1, 0, 0x90, 14, ...u16(40), 0, 2, 1, 16], []),
    expect: [3, 5],
  },
  {
    name: 'two MP_UNREACH_NLRI attributes',
    established: true,
    send: () => updateMessage([], [0x90, 15, ...u16(3), 0, 2, 1, 0x90, 15, ...u16(3), 0, 2, 1], []),
    expect: [3, 1],
  },
];

describe('malformed input over TCP', () => {
  let speaker: BgpSpeaker;
  let neighbour: BgpSpeaker;
  let port: number;

  before(async () => {
    speaker = new BgpSpeaker({
      asn: 65001,
      routerId: '198.18.0.1',
      listen: { host: '127.0.0.1', port: 0 },
      collector: true,
      peers: [
        // One passive peer per case, so a failed session's backoff never delays the next case.
        ...Array.from({ length: 55 }, (_, i) => ({
          address: `127.0.0.${10 + i}`,
          asn: RAW_ASN,
          passive: true,
        })),
        { address: '127.0.0.2', asn: 65002, passive: true, name: 'healthy' },
      ],
    });
    await speaker.start();
    port = speaker.listenPort ?? 0;
    neighbour = new BgpSpeaker({
      asn: 65002,
      routerId: '198.18.0.2',
      peers: [
        { address: '127.0.0.1', port, localAddress: '127.0.0.2', asn: 65001, connectRetry: 1 },
      ],
    });
    await neighbour.start();
    await eventually(
      () => speaker.peerStatus().find((p) => p.name === 'healthy' && p.state === 'established'),
      'the healthy peer',
    );
  });

  after(async () => {
    await neighbour.stop();
    await speaker.stop();
  });

  cases.forEach((testCase, i) => {
    it(`${testCase.name} → NOTIFICATION ${testCase.expect[0]}/${testCase.expect[1]}`, async () => {
      const raw = await RawPeer.connect(port, `127.0.0.${10 + i}`);
      try {
        if (testCase.established === true) await raw.establish(rawOpen);
        raw.send(testCase.send());
        const notification = await raw.notification();
        assert.deepEqual([notification.code, notification.subcode], testCase.expect.slice(0, 2));
        if (testCase.expect[2] !== undefined)
          assert.deepEqual(notification.data, testCase.expect[2]);
        const status = speaker.peerStatus().find((p) => p.address === `127.0.0.${10 + i}`);
        assert.equal(
          status?.lastErrorSent?.code,
          testCase.expect[0],
          'the error is kept for status',
        );
      } finally {
        raw.close();
      }
    });
  });

  it('a malformed ORIGIN is treated as withdraw (RFC 7606 7.1) and the session stays up', async () => {
    const raw = await RawPeer.connect(port, '127.0.0.60');
    try {
      await raw.establish(rawOpen);
      const good = updateMessage([], basicAttributes(RAW_ASN, nextHop), [32, 203, 0, 113, 9]);
      raw.send(good);
      await eventually(
        () => speaker.receivedRoutes().some((r) => r.prefix === '203.0.113.9/32'),
        'the valid route',
      );
      const badOrigin = [0x40, 1, 1, 5, ...basicAttributes(RAW_ASN, nextHop).slice(4)];
      raw.send(updateMessage([], badOrigin, [32, 203, 0, 113, 9]));
      await eventually(
        () => !speaker.receivedRoutes().some((r) => r.prefix === '203.0.113.9/32'),
        'the withdrawal',
      );
      raw.send(keepalive);
      raw.send(good);
      await eventually(
        () => speaker.receivedRoutes().some((r) => r.prefix === '203.0.113.9/32'),
        'the route again',
      );
      assert.equal(raw.isClosed, false);
      assert.equal(
        speaker.peerStatus().find((p) => p.address === '127.0.0.60')?.state,
        'established',
      );
    } finally {
      raw.close();
    }
  });

  it('answers a ROUTE-REFRESH by re-sending the Adj-RIB-Out (RFC 2918)', async () => {
    speaker.announce('203.0.113.77/32');
    const raw = await RawPeer.connect(port, '127.0.0.61');
    try {
      await raw.establish(rawOpen);
      const first = await raw.next(2);
      assert.ok(
        first.body.includes(Buffer.from([32, 203, 0, 113, 77])),
        'the initial table carries the route',
      );
      // Then End-of-RIB for IPv4 (an empty UPDATE) and for IPv6.
      assert.deepEqual([...(await raw.next(2)).body], [0, 0, 0, 0]);
      await raw.next(2);
      raw.send(message(5, [0, 1, 0, 1]));
      const again = await raw.next(2);
      assert.ok(again.body.includes(Buffer.from([32, 203, 0, 113, 77])), 'the refresh re-sends it');
    } finally {
      raw.close();
      speaker.withdraw('203.0.113.77/32');
    }
  });

  // Makes its own fault rather than relying on the cases above having run first.
  it('keeps serving the healthy peer while another peer sends garbage', async () => {
    const healthy = () => speaker.peerStatus().find((p) => p.name === 'healthy');
    assert.equal(healthy()?.state, 'established');
    const raw = await RawPeer.connect(port, '127.0.0.62');
    try {
      raw.send(message(9, []));
      const notification = await raw.notification();
      assert.deepEqual([notification.code, notification.subcode], [1, 3]);
    } finally {
      raw.close();
    }
    assert.equal(healthy()?.state, 'established');
    assert.equal(healthy()?.establishedCount, 1, 'never dropped since the start');
    assert.equal(neighbour.peerStatus()[0]?.state, 'established');
  });
});

describe('iBGP-only attributes from an eBGP peer (RFC 7606 7.5, 7.9)', () => {
  it('the collector drops LOCAL_PREF and ORIGINATOR_ID, logs the discard and keeps the route', async () => {
    let output = '';
    const logger = pino({ level: 'info' }, { write: (line: string) => void (output += line) });
    const speaker = new BgpSpeaker({
      asn: 65001,
      routerId: '198.18.0.1',
      listen: { host: '127.0.0.1', port: 0 },
      collector: true,
      logger,
      peers: [{ address: '127.0.0.71', asn: RAW_ASN, passive: true }],
    });
    await speaker.start();
    const raw = await RawPeer.connect(speaker.listenPort ?? 0, '127.0.0.71');
    try {
      await raw.establish(rawOpen);
      const localPref = [0x40, 5, 4, 0, 0, 0, 200];
      const originatorId = [0x80, 9, 4, 203, 0, 113, 9];
      raw.send(
        updateMessage(
          [],
          [...basicAttributes(RAW_ASN, nextHop), ...localPref, ...originatorId],
          [32, 203, 0, 113, 21],
        ),
      );
      const route = await eventually(
        () => speaker.receivedRoutes().find((r) => r.prefix === '203.0.113.21/32'),
        'the route',
      );
      assert.equal(route.localPref, undefined, 'LOCAL_PREF from an eBGP peer is not kept');
      assert.ok(loggedEvent(output, 'bgp.attribute_discarded'));
      const discards = output
        .split('\n')
        .filter((line) => line.includes('"bgp.attribute_discarded"')).length;
      assert.equal(discards, 2, 'one discard each for LOCAL_PREF and ORIGINATOR_ID');
      assert.equal(speaker.peerStatus()[0]?.state, 'established');
    } finally {
      raw.close();
      await speaker.stop();
    }
  });
});

describe('hold timer (driven by an injected clock)', () => {
  it('a silent peer gets Hold Timer Expired once the negotiated hold time passes', async () => {
    const clock = new ManualClock();
    const speaker = new BgpSpeaker({
      asn: 65001,
      routerId: '198.18.0.1',
      listen: { host: '127.0.0.1', port: 0 },
      clock,
      peers: [{ address: '127.0.0.70', asn: RAW_ASN, passive: true, holdTime: 3 }],
    });
    await speaker.start();
    const raw = await RawPeer.connect(speaker.listenPort ?? 0, '127.0.0.70');
    try {
      await raw.establish(rawOpen);
      await eventually(() => speaker.peerStatus()[0]?.state === 'established', 'Established');
      clock.advance(2900);
      assert.equal(raw.isClosed, false, 'still up just before the hold time');
      clock.advance(200);
      const notification = await raw.notification();
      assert.deepEqual([notification.code, notification.subcode], [4, 0]);
      assert.equal(speaker.peerStatus()[0]?.state, 'idle');
    } finally {
      raw.close();
      await speaker.stop();
    }
  });
});
