import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BgpSpeaker, SpeakerConfigError, type PeerOptions } from '../../../src/bgp/index.js';
import { eventually } from '../../helpers/raw-peer.js';

describe('speaker options', () => {
  it('runs a session over IPv6 transport carrying both families', async () => {
    const collector = new BgpSpeaker({
      asn: 65000,
      routerId: '198.18.0.2',
      listen: { host: '::1', port: 0 },
      collector: true,
      peers: [{ address: '::1', asn: 65001, passive: true }],
    });
    await collector.start();
    const speaker = new BgpSpeaker({
      asn: 65001,
      routerId: '198.18.0.1',
      peers: [
        {
          address: '::1',
          port: collector.listenPort ?? 0,
          asn: 65000,
          connectRetry: 0.2,
          nextHop: { ipv4: '198.18.0.1' },
        },
      ],
    });
    try {
      await speaker.start();
      speaker.announce('2001:db8::80/128');
      speaker.announce('203.0.113.80/32');
      const routes = await eventually(
        () => (collector.receivedRoutes().length === 2 ? collector.receivedRoutes() : undefined),
        'both routes over IPv6 transport',
      );
      const byPrefix = new Map(routes.map((r) => [r.prefix, r.nextHop]));
      assert.equal(
        byPrefix.get('2001:db8::80/128'),
        '::1',
        'IPv6 next hop self is the local address',
      );
      assert.equal(byPrefix.get('203.0.113.80/32'), '198.18.0.1');
    } finally {
      await speaker.stop();
      await collector.stop();
    }
  });

  it('removing a peer closes its session with Cease / Peer De-configured', async () => {
    const collector = new BgpSpeaker({
      asn: 65000,
      routerId: '198.18.0.2',
      listen: { host: '127.0.0.1', port: 0 },
      collector: true,
      peers: [{ address: '127.0.0.2', asn: 65001, passive: true }],
    });
    await collector.start();
    const speaker = new BgpSpeaker({ asn: 65001, routerId: '198.18.0.1' });
    try {
      await speaker.start();
      speaker.addPeer({
        address: '127.0.0.1',
        port: collector.listenPort ?? 0,
        localAddress: '127.0.0.2',
        asn: 65000,
      });
      await eventually(() => speaker.peerStatus()[0]?.state === 'established', 'Established');
      await speaker.removePeer('127.0.0.1', 'decommissioned');
      const seen = await eventually(
        () => collector.peerStatus()[0]?.lastErrorReceived,
        'the collector to see the Cease',
      );
      assert.deepEqual([seen.code, seen.subcode, seen.shutdownMessage], [6, 3, undefined]);
      assert.deepEqual(speaker.peerStatus(), []);
    } finally {
      await speaker.stop();
      await collector.stop();
    }
  });

  it('refuses a connection from an address that is not a configured peer', async () => {
    const speaker = new BgpSpeaker({
      asn: 65000,
      routerId: '198.18.0.2',
      listen: { host: '127.0.0.1', port: 0 },
      peers: [{ address: '127.0.0.9', asn: 65001, passive: true }],
    });
    await speaker.start();
    const stranger = new BgpSpeaker({
      asn: 65001,
      routerId: '198.18.0.1',
      peers: [
        {
          address: '127.0.0.1',
          port: speaker.listenPort ?? 0,
          localAddress: '127.0.0.4',
          asn: 65000,
        },
      ],
    });
    try {
      await stranger.start();
      const error = await eventually(
        () => stranger.peerStatus()[0]?.lastErrorReceived,
        'a Cease from the listener',
      );
      assert.deepEqual([error.code, error.subcode], [6, 5], 'Cease / Connection Rejected');
    } finally {
      await stranger.stop();
      await speaker.stop();
    }
  });

  it('reports a busy port clearly', async () => {
    const first = new BgpSpeaker({
      asn: 65000,
      routerId: '198.18.0.2',
      listen: { host: '127.0.0.1', port: 0 },
    });
    await first.start();
    const second = new BgpSpeaker({
      asn: 65000,
      routerId: '198.18.0.2',
      listen: { host: '127.0.0.1', port: first.listenPort ?? 0 },
    });
    try {
      await assert.rejects(
        second.start(),
        /cannot listen for BGP on \[127\.0\.0\.1\]:\d+: .*EADDRINUSE/,
      );
    } finally {
      await first.stop();
    }
  });
});

// The speaker checks its options by the rules the [bgp] table is checked by
// (src/bgp/options.ts), so code and file get the same words, at the file's key names.
describe('speaker configuration errors name the key and the reason', () => {
  const base = { asn: 65001, routerId: '198.18.0.1' };
  const peer: PeerOptions = { address: '198.18.0.2', asn: 65000 };
  const cases: [string, () => unknown, RegExp][] = [
    [
      'asn',
      () => new BgpSpeaker({ ...base, asn: 0 }),
      /^asn: must be a whole number from 1 to 4294967295/,
    ],
    [
      'routerId',
      () => new BgpSpeaker({ ...base, routerId: '0.0.0.0' }),
      /^router_id: must be a non-zero IPv4/,
    ],
    [
      'hold time 2',
      () => new BgpSpeaker({ ...base, peers: [{ ...peer, holdTime: 2 }] }),
      /^peers\[0\]\.hold_time: must be 0 or a whole number of seconds from 3 to 65535/,
    ],
    [
      'address',
      () => new BgpSpeaker({ ...base, peers: [{ ...peer, address: 'router1' }] }),
      /^peers\[0\]\.address: is not an IP address, got "router1"/,
    ],
    [
      'community',
      () => new BgpSpeaker({ ...base, peers: [{ ...peer, communities: ['65536:1'] }] }),
      /^peers\[0\]\.communities\[0\]: /,
    ],
    [
      'next hop family',
      () => new BgpSpeaker({ ...base, peers: [{ ...peer, nextHop: { ipv4: '2001:db8::1' } }] }),
      /^peers\[0\]\.next_hop\.ipv4: must be an IPv4 address, not IPv6/,
    ],
    [
      'duplicate peer',
      () => new BgpSpeaker({ ...base, peers: [peer, peer] }),
      /^peers\[1\]\.address: peer 198\.18\.0\.2 is already configured at peers\[0\]/,
    ],
    [
      'passive without listen',
      () => new BgpSpeaker({ ...base, peers: [{ ...peer, passive: true }] }),
      /^peers\[0\]\.passive: a passive peer only accepts connections, so the speaker must listen/,
    ],
    [
      'prefix with host bits',
      () => new BgpSpeaker(base).announce('203.0.113.1/24'),
      /host bits set; did you mean 203\.0\.113\.0\/24\?/,
    ],
  ];
  for (const [name, make, pattern] of cases) {
    it(name, () => {
      assert.throws(make, (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, pattern);
        if (name !== 'prefix with host bits') assert.ok(error instanceof SpeakerConfigError);
        return true;
      });
    });
  }
});
