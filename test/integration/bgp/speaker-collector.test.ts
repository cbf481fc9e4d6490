/**
 * Our speaker against our own collector over loopback TCP: no root needed.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { BgpSpeaker, type PeerOptions } from '../../../src/bgp/index.js';
import {
  RawPeer,
  capFourOctet,
  capMpIpv4,
  capMpIpv6,
  eventually,
  keepalive,
  openMessage,
} from '../../helpers/raw-peer.js';
import { decodeMessage } from '../../../src/bgp/codec/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});
after(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function collectorOn(
  port = 0,
  peer: Partial<PeerOptions> = {},
  asn = 65000,
): Promise<BgpSpeaker> {
  const collector = new BgpSpeaker({
    asn,
    routerId: '198.18.0.2',
    listen: { host: '127.0.0.1', port },
    collector: true,
    peers: [{ address: '127.0.0.2', asn: 65001, passive: true, ...peer }],
  });
  await collector.start();
  cleanups.push(() => collector.stop());
  return collector;
}

async function speakerTo(port: number, peer: Partial<PeerOptions> = {}): Promise<BgpSpeaker> {
  const speaker = new BgpSpeaker({
    asn: 65001,
    routerId: '198.18.0.1',
    peers: [
      {
        address: '127.0.0.1',
        port,
        localAddress: '127.0.0.2',
        asn: 65000,
        connectRetry: 0.2,
        nextHop: { ipv6: '2001:db8::1' },
        ...peer,
      },
    ],
  });
  await speaker.start();
  cleanups.push(() => speaker.stop());
  return speaker;
}

function routesOf(collector: BgpSpeaker) {
  return new Map(collector.receivedRoutes().map((r) => [r.prefix, r]));
}

describe('speaker → collector over loopback', () => {
  it('announces IPv4 and IPv6 with next hop, AS path, communities, large communities and MED', async () => {
    const collector = await collectorOn();
    const speaker = await speakerTo(collector.listenPort ?? 0, {
      communities: ['65001:100'],
      largeCommunities: ['65001:1:2'],
      med: 20,
      prepend: 1,
    });
    speaker.announce('203.0.113.53/32', { communities: ['no-export'] });
    speaker.announce('2001:db8::53/128', { med: 50, largeCommunities: ['65001:9:9'] });
    speaker.announce('198.51.100.0/24', { prepend: 2 });
    const routes = await eventually(
      () => (collector.receivedRoutes().length === 3 ? routesOf(collector) : undefined),
      'three routes',
    );
    assert.deepEqual(routes.get('203.0.113.53/32'), {
      peer: '127.0.0.2',
      prefix: '203.0.113.53/32',
      nextHop: '127.0.0.2',
      asPath: [65001, 65001],
      communities: ['65001:100', 'no-export'],
      largeCommunities: ['65001:1:2'],
      med: 20,
    });
    assert.deepEqual(routes.get('2001:db8::53/128')?.nextHop, '2001:db8::1');
    assert.deepEqual(routes.get('2001:db8::53/128')?.med, 50);
    assert.deepEqual(routes.get('2001:db8::53/128')?.largeCommunities, ['65001:1:2', '65001:9:9']);
    assert.deepEqual(routes.get('198.51.100.0/24')?.asPath, [65001, 65001, 65001, 65001]);
    const status = speaker.peerStatus()[0];
    assert.equal(status?.state, 'established');
    assert.deepEqual(status?.families, ['ipv4', 'ipv6']);
    assert.equal(status?.prefixesAnnounced, 3);
  });

  it('withdraws, and the newest desired state wins within a tick', async () => {
    const collector = await collectorOn();
    const speaker = await speakerTo(collector.listenPort ?? 0);
    await eventually(() => speaker.peerStatus()[0]?.state === 'established', 'Established');
    speaker.announce('203.0.113.1/32');
    speaker.announce('2001:db8::1/128');
    await eventually(() => collector.receivedRoutes().length === 2, 'two routes');
    const updatesBefore = speaker.peerStatus()[0]?.updatesSent ?? 0;
    speaker.withdraw('203.0.113.1/32');
    speaker.withdraw('2001:db8::1/128');
    // Announced and withdrawn in the same tick: nothing to send for it.
    speaker.announce('203.0.113.99/32');
    speaker.withdraw('203.0.113.99/32');
    await eventually(() => collector.receivedRoutes().length === 0, 'the withdrawals');
    await speaker.flushed();
    assert.equal(
      (speaker.peerStatus()[0]?.updatesSent ?? 0) - updatesBefore,
      2,
      'one IPv4 and one IPv6 withdrawal UPDATE',
    );
  });

  it('packs many prefixes with equal attributes into few UPDATEs', async () => {
    const collector = await collectorOn();
    const speaker = await speakerTo(collector.listenPort ?? 0);
    await eventually(() => speaker.peerStatus()[0]?.state === 'established', 'Established');
    const before = speaker.peerStatus()[0]?.updatesSent ?? 0;
    for (let i = 0; i < 5000; i++) speaker.announce(`198.18.${16 + (i >> 8)}.${i & 255}/32`);
    for (let i = 0; i < 1000; i++) speaker.announce(`2001:db8:b::${i.toString(16)}/128`);
    await eventually(() => collector.receivedRoutes().length === 6000, 'all 6000 routes', 10_000);
    const sent = (speaker.peerStatus()[0]?.updatesSent ?? 0) - before;
    // 5000 x 5 bytes over ~4050 usable bytes per UPDATE, 1000 x 17 bytes likewise.
    assert.ok(sent <= 7 + 5, `sent ${sent} UPDATEs for 6000 prefixes`);
  });

  it('re-sends the whole table to a peer that comes back', async () => {
    const first = await collectorOn();
    const port = first.listenPort ?? 0;
    const speaker = await speakerTo(port);
    speaker.announce('203.0.113.10/32');
    speaker.announce('2001:db8::10/128');
    await eventually(() => first.receivedRoutes().length === 2, 'routes at the first collector');
    await first.stop();
    await eventually(() => speaker.peerStatus()[0]?.state !== 'established', 'the session to drop');
    const second = await collectorOn(port);
    await eventually(
      () => second.receivedRoutes().length === 2,
      'the table at the restarted collector',
      10_000,
    );
    assert.equal(speaker.peerStatus()[0]?.establishedCount, 2);
    assert.equal(
      speaker.peerStatus()[0]?.lastErrorReceived?.shutdownMessage,
      'anycast-guard stopping',
    );
  });

  it('ends with a Cease carrying the shutdown message (RFC 8203), after withdrawing everything', async () => {
    const collector = await collectorOn();
    const speaker = await speakerTo(collector.listenPort ?? 0);
    speaker.announce('203.0.113.20/32');
    await eventually(() => collector.receivedRoutes().length === 1, 'the route');
    await speaker.stop('maintenance: replacing disk ✓');
    const status = await eventually(
      () => collector.peerStatus().find((p) => p.lastErrorReceived !== undefined),
      'the Cease',
    );
    assert.equal(status.lastErrorReceived?.code, 6);
    assert.equal(status.lastErrorReceived?.subcode, 2);
    assert.equal(status.lastErrorReceived?.shutdownMessage, 'maintenance: replacing disk ✓');
    assert.equal(collector.receivedRoutes().length, 0);
  });

  it('speaks iBGP: LOCAL_PREF and no own AS on the path', async () => {
    const collector = await collectorOn(0, { asn: 65001 }, 65001);
    const speaker = await speakerTo(collector.listenPort ?? 0, { asn: 65001, localPref: 200 });
    speaker.announce('203.0.113.30/32');
    speaker.announce('203.0.113.31/32', { localPref: 50 });
    const routes = await eventually(
      () => (collector.receivedRoutes().length === 2 ? routesOf(collector) : undefined),
      'routes',
    );
    assert.deepEqual(routes.get('203.0.113.30/32')?.asPath, []);
    assert.equal(routes.get('203.0.113.30/32')?.localPref, 200);
    assert.equal(routes.get('203.0.113.31/32')?.localPref, 50);
  });

  it('writes AS_TRANS and AS4_PATH to a peer without 4-octet AS support (RFC 6793)', async () => {
    const big = 4_200_000_001;
    const speaker = new BgpSpeaker({
      asn: big,
      routerId: '198.18.0.1',
      listen: { host: '127.0.0.1', port: 0 },
      peers: [{ address: '127.0.0.80', asn: 65010, passive: true, families: ['ipv4'] }],
    });
    await speaker.start();
    cleanups.push(() => speaker.stop());
    speaker.announce('203.0.113.40/32');
    const raw = await RawPeer.connect(speaker.listenPort ?? 0, '127.0.0.80');
    cleanups.push(() => Promise.resolve(raw.close()));
    const theirOpen = await raw.next(1);
    assert.equal(theirOpen.body.readUInt16BE(1), 23456, 'My AS is AS_TRANS');
    raw.send(
      openMessage({
        myAs: 65010,
        holdTime: 90,
        routerId: [198, 18, 0, 80],
        capabilities: [capMpIpv4],
      }),
    );
    raw.send(keepalive);
    const update = await raw.next(2);
    const frame = Buffer.concat([
      Buffer.alloc(16, 0xff),
      Buffer.from([0, 19 + update.body.length, 2]),
      update.body,
    ]);
    const decoded = decodeMessage(frame, { fourOctetAs: false });
    assert.ok(decoded.type === 'update');
    assert.deepEqual(
      decoded.attributes.asPath,
      [{ type: 'sequence', asns: [big] }],
      'AS4_PATH restores the real AS',
    );
    assert.ok(update.body.includes(Buffer.from([0x5b, 0xa0])), 'AS_TRANS (0x5ba0) on the wire');
  });

  it('negotiates only the families both sides offer', async () => {
    const speaker = new BgpSpeaker({
      asn: 65001,
      routerId: '198.18.0.1',
      listen: { host: '127.0.0.1', port: 0 },
      peers: [{ address: '127.0.0.81', asn: 65010, passive: true }],
    });
    await speaker.start();
    cleanups.push(() => speaker.stop());
    const raw = await RawPeer.connect(speaker.listenPort ?? 0, '127.0.0.81');
    cleanups.push(() => Promise.resolve(raw.close()));
    await raw.establish({
      myAs: 65010,
      holdTime: 90,
      routerId: [198, 18, 0, 81],
      capabilities: [capMpIpv6, capFourOctet(65010)],
    });
    await eventually(() => speaker.peerStatus()[0]?.state === 'established', 'Established');
    assert.deepEqual(speaker.peerStatus()[0]?.families, ['ipv6']);
  });
});
