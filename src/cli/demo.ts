/**
 * `anycast-guard demo`: the embedded speaker announcing to our own collector on
 * loopback. No router and no root needed; shows a session come up, routes with
 * their attributes arrive, a withdrawal, and a Cease with a shutdown message.
 */
import { BgpSpeaker, type PeerStatus } from '../bgp/index.js';

export interface DemoOptions {
  readonly print: (line: string) => void;
  /** Collector port; 0 picks a free one. */
  readonly port: number;
}

const SPEAKER_ADDRESS = '127.0.0.2';
const COLLECTOR_ADDRESS = '127.0.0.1';

export async function runDemo(options: DemoOptions): Promise<void> {
  const { print } = options;
  const collector = new BgpSpeaker({
    asn: 65000,
    routerId: '198.18.0.2',
    listen: { host: COLLECTOR_ADDRESS, port: options.port },
    collector: true,
    peers: [{ address: SPEAKER_ADDRESS, asn: 65001, passive: true, name: 'anycast-guard' }],
  });
  await collector.start();
  const port = collector.listenPort ?? options.port;
  const speaker = new BgpSpeaker({
    asn: 65001,
    routerId: '198.18.0.1',
    peers: [
      {
        address: COLLECTOR_ADDRESS,
        port,
        localAddress: SPEAKER_ADDRESS,
        asn: 65000,
        name: 'collector',
        connectRetry: 1,
        // Loopback has no global IPv6 address to use as "self".
        nextHop: { ipv6: '::1' },
        communities: ['65001:100'],
        largeCommunities: ['65001:1:2'],
      },
    ],
  });
  try {
    print(
      `collector (AS 65000) listening on ${COLLECTOR_ADDRESS}:${port}; speaker (AS 65001) connecting from ${SPEAKER_ADDRESS}`,
    );
    await speaker.start();
    const established = await waitFor(
      () => speaker.peerStatus().find((p) => p.state === 'established'),
      10_000,
      'session to reach Established',
    );
    print(describePeer(established));

    speaker.announce('203.0.113.53/32', { communities: ['no-export'] });
    speaker.announce('2001:db8::53/128', { med: 50 });
    speaker.announce('198.51.100.0/24', { prepend: 2 });
    await waitFor(
      () => (collector.receivedRoutes().length === 3 ? true : undefined),
      5000,
      'three routes at the collector',
    );
    print('\nthe collector received:');
    printRoutes(collector, print);

    speaker.withdraw('2001:db8::53/128');
    await waitFor(
      () => (collector.receivedRoutes().length === 2 ? true : undefined),
      5000,
      'the withdrawal',
    );
    print('\nafter withdrawing 2001:db8::53/128:');
    printRoutes(collector, print);

    await speaker.stop('demo finished');
    const down = await waitFor(
      () => collector.peerStatus().find((p) => p.lastErrorReceived !== undefined),
      5000,
      'the collector to see our Cease',
    );
    print(
      `\nspeaker stopped; the collector got "${down.lastErrorReceived?.description ?? ''}" with message "${down.lastErrorReceived?.shutdownMessage ?? ''}" and now holds ${collector.receivedRoutes().length} routes`,
    );
  } finally {
    await speaker.stop();
    await collector.stop();
  }
}

function describePeer(p: PeerStatus): string {
  return `session ${p.localAddress ?? '?'} -> ${p.address} Established: hold time ${p.holdTime ?? '?'} s, families ${(p.families ?? []).join(' + ')}, 4-octet AS ${p.fourOctetAs === true ? 'yes' : 'no'}`;
}

function printRoutes(collector: BgpSpeaker, print: (line: string) => void): void {
  const rows = collector
    .receivedRoutes()
    .sort((a, b) => a.prefix.localeCompare(b.prefix))
    .map((r) => [
      r.prefix,
      r.nextHop ?? '-',
      r.asPath.join(' ') || '-',
      r.med === undefined ? '-' : String(r.med),
      [...r.communities, ...r.largeCommunities].join(' ') || '-',
    ]);
  const header = ['prefix', 'next hop', 'AS path', 'MED', 'communities'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows])
    print(
      '  ' +
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
    );
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`demo: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
