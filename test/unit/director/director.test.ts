/**
 * Directors wired together in memory, driven by a ManualClock: forwarding along
 * seen-by paths, per-peer retry, ordering, refusal of forged ads, catch-up, expiry.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { ManualClock } from '../../../src/clock/index.js';
import type { Director } from '../../../src/director/director.js';
import { signAd } from '../../../src/director/keys.js';
import { envelope, KeyRing, Network, nodeAd, settle } from './support.js';

const nodeKeys = (deliveries: string[]): string[] => deliveries.filter((d) => d.startsWith('n'));

function origins(director: Director): string[] {
  return (director.nodes() as { name: string }[]).map((n) => n.name).sort();
}

async function network(
  names: string[],
  peersOf: (name: string) => string[],
  options: { discoverPeers?: boolean } = {},
) {
  const clock = new ManualClock();
  const ring = new KeyRing();
  for (const name of names) ring.key('director', name);
  for (let i = 0; i < 20; i++) ring.key('node', `n${i}`);
  const net = new Network(clock, ring);
  for (const name of names)
    net.add(name, {
      peers: peersOf(name).map((p) => net.url(p)),
      ...(options.discoverPeers === undefined ? {} : { discoverPeers: options.discoverPeers }),
      intervalMs: 10_000,
    });
  for (const director of net.directors.values()) await director.start();
  await settle(clock);
  return { clock, ring, net };
}

function post(director: Director, ring: KeyRing, ad: ReturnType<typeof nodeAd>) {
  return director.ingest([JSON.parse(JSON.stringify(envelope(ad, ring.key('node', ad.origin))))]);
}

describe('directors in a line (d1 - d2 - d3, no peer learning)', () => {
  it('every ad reaches every director, each hop once, never back the way it came', async () => {
    const line = ['d1', 'd2', 'd3'];
    const { clock, ring, net } = await network(
      line,
      (name) => line.filter((_, i) => Math.abs(i - line.indexOf(name)) === 1),
      { discoverPeers: false },
    );
    const d1 = net.directors.get('d1')!;
    for (let i = 0; i < 20; i++) post(d1, ring, nodeAd({ origin: `n${i}`, issuedAt: clock.now() }));
    await settle(clock);
    for (const d of net.directors.values()) assert.equal(origins(d).length, 20, d.name);
    assert.equal(nodeKeys(net.deliveries.get('d1->d2') ?? []).length, 20);
    assert.equal(nodeKeys(net.deliveries.get('d2->d3') ?? []).length, 20);
    assert.equal(nodeKeys(net.deliveries.get('d2->d1') ?? []).length, 0);
    assert.equal(nodeKeys(net.deliveries.get('d3->d2') ?? []).length, 0);
    const n0 = (net.directors.get('d3')!.nodes() as { name: string; path: string[] }[]).find(
      (n) => n.name === 'n0',
    );
    assert.deepEqual(n0?.path, ['node n0', 'd1', 'd2']);
    // d1 and d3 never peer, but each knows of the other from its forwarded ad.
    const known = (net.directors.get('d3')!.directors() as { known: { name: string }[] }).known;
    assert.deepEqual(known.map((k) => k.name).sort(), ['d1', 'd2', 'd3']);
    assert.deepEqual(
      net.directors
        .get('d3')!
        .peerViews()
        .map((p) => p.name),
      ['d2'],
    );
  });
});

describe('directors in a full mesh', () => {
  it('ads sent to every director: all have all, nothing twice on any link', async () => {
    const names = ['d1', 'd2', 'd3', 'd4', 'd5'];
    const { clock, ring, net } = await network(names, (name) => names.filter((n) => n !== name));
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) {
        const ad = nodeAd({
          origin: `n${i}`,
          issuedAt: clock.now(),
          startTime: 1,
          instance: `00000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`,
          generation: round + 1,
        });
        for (const d of net.directors.values()) post(d, ring, ad);
      }
      await settle(clock);
      clock.advance(1000);
    }
    for (const d of net.directors.values()) {
      assert.equal(origins(d).length, 20);
      assert.ok((d.nodes() as { generation: number }[]).every((n) => n.generation === 3));
      for (const [from, counts] of d.receivedCounts())
        assert.equal(
          counts.repeats,
          0,
          `${from} -> ${d.name}: ${JSON.stringify(counts)} ${JSON.stringify(d.nodes().length)}`,
        );
      for (const peer of d.peerViews()) assert.equal(peer.link.resent, 0);
    }
    for (const [link, deliveries] of net.deliveries)
      assert.equal(new Set(deliveries).size, deliveries.length, `an ad went twice over ${link}`);
  });

  it('learns every director from one static peer, and never sends to itself', async () => {
    const names = ['d1', 'd2', 'd3'];
    // d1 knows only d2 and an alias of itself; d3 knows d2.
    const clock = new ManualClock();
    const ring = new KeyRing();
    const net = new Network(clock, ring);
    net.aliases.set('d1-alias', 'd1');
    for (const n of names) ring.key('director', n);
    net.add('d1', { peers: ['http://d2.test', 'http://d1-alias.test/'] });
    net.add('d2', { peers: [] });
    net.add('d3', { peers: ['http://d2.test'] });
    for (const name of ['d2', 'd1', 'd3']) await net.directors.get(name)!.start();
    await settle(clock);
    clock.advance(10_000);
    await settle(clock);
    for (const d of net.directors.values())
      assert.deepEqual(
        d
          .peerViews()
          .map((p) => p.name)
          .sort(),
        names.filter((n) => n !== d.name),
        d.name,
      );
    assert.ok(![...net.deliveries.keys()].some((link) => link === 'd1->d1'));
  });
});

describe('forwarding failures', () => {
  it('a dead peer gets the newest ad once it is back, after a backoff; others are not delayed', async () => {
    const names = ['d1', 'd2', 'd3'];
    const { clock, ring, net } = await network(names, (name) => names.filter((n) => n !== name));
    const d1 = net.directors.get('d1')!;
    net.down.add('d2');
    const instance = randomUUID();
    post(
      d1,
      ring,
      nodeAd({ origin: 'n1', issuedAt: clock.now(), startTime: 5, instance, generation: 1 }),
    );
    await settle(clock);
    assert.deepEqual(origins(net.directors.get('d3')!), ['n1'], 'd3 got it despite d2 being down');
    const link = d1.peerViews().find((p) => p.name === 'd2')!.link;
    assert.equal(link.state, 'backoff');
    assert.equal(link.failures, 1);
    post(
      d1,
      ring,
      nodeAd({ origin: 'n1', issuedAt: clock.now(), startTime: 5, instance, generation: 2 }),
    );
    post(
      d1,
      ring,
      nodeAd({ origin: 'n1', issuedAt: clock.now(), startTime: 5, instance, generation: 3 }),
    );
    await settle(clock);
    assert.equal(d1.peerViews().find((p) => p.name === 'd2')!.link.queued, 1, 'newest per origin');
    net.down.delete('d2');
    clock.advance(700); // past the first backoff (500 ms ±20 %)
    await settle(clock);
    const atD2 = net.directors.get('d2')!.nodes() as { name: string; generation: number }[];
    assert.deepEqual(
      atD2.map((n) => [n.name, n.generation]),
      [['n1', 3]],
    );
    assert.deepEqual(nodeKeys(net.deliveries.get('d1->d2') ?? []), [`n1@${instance}#3`]);
  });

  it('a director that is down does not make another director’s ads expire', async () => {
    const names = ['d1', 'd2'];
    const { clock, ring, net } = await network(names, (name) => names.filter((n) => n !== name));
    const d1 = net.directors.get('d1')!;
    net.down.add('d2');
    const instance = randomUUID();
    for (let g = 1; g <= 10; g++) {
      post(
        d1,
        ring,
        nodeAd({ origin: 'n1', issuedAt: clock.now(), startTime: 5, instance, generation: g }),
      );
      clock.advance(10_000);
      await settle(clock);
    }
    assert.deepEqual(origins(d1), ['n1']);
    assert.ok((d1.directors() as { known: { name: string }[] }).known.some((k) => k.name === 'd1'));
  });
});

describe('what directors refuse', () => {
  it('forged, tampered and wrongly signed ads are refused and never forwarded', async () => {
    const names = ['d1', 'd2'];
    const { clock, ring, net } = await network(names, (name) => names.filter((n) => n !== name));
    const d1 = net.directors.get('d1')!;
    const d2 = net.directors.get('d2')!;
    const ad = nodeAd({ origin: 'n1', issuedAt: clock.now() });
    const good = envelope(ad, ring.key('node', 'n1'));
    const tampered = {
      ...good,
      ad: { ...ad, generation: 7, node: { ...ad.node, url: 'http://evil.test/' } },
    };
    const otherKey = { ...good, sig: signAd(ad, ring.key('node', 'n2')) };
    const unknown = envelope({ ...ad, origin: 'stranger' }, ring.key('node', 'n1'));
    const results = d1.ingest([tampered, otherKey, unknown, { ad: {} }]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['refused', 'refused', 'refused', 'refused'],
    );
    assert.match(results[0]!.error!, /signature of node "n1" \(generation 7\) does not verify/);
    assert.match(results[2]!.error!, /no trusted key may sign for node "stranger"/);
    assert.match(results[3]!.error!, /not a valid ad: ad\.kind/);
    // A forwarded copy is checked too: d1 claiming to have seen a tampered ad changes nothing.
    const forwarded = {
      ...tampered,
      seenBy: [{ name: 'd1', instance: d1.instance, at: clock.now() }],
    };
    assert.equal(d2.ingest([forwarded])[0]!.status, 'refused');
    await settle(clock);
    assert.deepEqual(origins(d1), []);
    assert.deepEqual(origins(d2), []);
    assert.equal(d1.receivedCounts().get('origin')?.refused, 3);
    // Seen-by is unsigned: made-up senders share one counter instead of growing the table.
    for (let i = 0; i < 10; i++)
      d1.ingest([{ ...tampered, seenBy: [{ name: `x${i}`, instance: randomUUID(), at: 1 }] }]);
    assert.equal(d1.receivedCounts().get('other')?.refused, 10 + 1, 'and the malformed one');
    assert.ok(![...d1.receivedCounts().keys()].some((k) => k.startsWith('x')));
  });
});

describe('logging refused ads', () => {
  it('logs one line per sender and reason per 10 s, with the count of those not logged', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const { clock, ring, net } = await network(['d1'], () => []);
    net.directors.get('d1')!.stop();
    const d = net.add('d9', { log });
    await d.start();
    await settle(clock);
    const ad = nodeAd({ origin: 'n1', issuedAt: clock.now() });
    const good = envelope(ad, ring.key('node', 'n1'));
    const tampered = { ...good, ad: { ...ad, generation: 7 } };
    const untrusted = envelope({ ...ad, origin: 'stranger' }, ring.key('node', 'n1'));
    const refused = (): Record<string, unknown>[] =>
      lines.filter((l) => l.event === 'director.ad_refused');
    for (let i = 0; i < 5000; i++) d.ingest([tampered, untrusted]);
    assert.equal(d.receivedCounts().get('origin')?.refused, 10_000);
    assert.deepEqual(
      refused().map((l) => [l.reason, l.from, l.suppressed]),
      [
        ['director.ad_bad_signature', 'origin', 0],
        ['director.ad_untrusted', 'origin', 0],
      ],
    );
    // The sweep after 10 s logs the counts; a quiet sender then logs nothing more.
    clock.advance(10_000);
    await settle(clock);
    assert.deepEqual(
      refused()
        .slice(2)
        .map((l) => [l.reason, l.from, l.suppressed, l.ad]),
      [
        ['director.ad_bad_signature', 'origin', 4999, undefined],
        ['director.ad_untrusted', 'origin', 4999, undefined],
      ],
    );
    clock.advance(30_000);
    await settle(clock);
    assert.equal(refused().length, 4);
    // Made-up senders on the unsigned path share one key, and a stop logs what is pending.
    for (let i = 0; i < 1000; i++)
      d.ingest([{ ...tampered, seenBy: [{ name: `x${i}`, instance: randomUUID(), at: 1 }] }]);
    d.stop();
    assert.deepEqual(
      refused()
        .slice(4)
        .map((l) => [l.reason, l.from, l.suppressed]),
      [
        ['director.ad_bad_signature', 'x0', 0],
        ['director.ad_bad_signature', 'other', 999],
      ],
    );
  });
});

describe('order and restarts', () => {
  it('a restarted node replaces its old ads everywhere, even with a lower generation', async () => {
    const names = ['d1', 'd2'];
    const { clock, ring, net } = await network(names, (name) => names.filter((n) => n !== name));
    const d1 = net.directors.get('d1')!;
    const old = randomUUID();
    post(
      d1,
      ring,
      nodeAd({
        origin: 'n1',
        issuedAt: clock.now(),
        startTime: 100,
        instance: old,
        generation: 50,
      }),
    );
    await settle(clock);
    const fresh = randomUUID();
    assert.equal(
      post(
        d1,
        ring,
        nodeAd({
          origin: 'n1',
          issuedAt: clock.now(),
          startTime: 200,
          instance: fresh,
          generation: 1,
        }),
      )[0]!.status,
      'stored',
    );
    await settle(clock);
    // The old process's late ad loses.
    assert.equal(
      post(
        d1,
        ring,
        nodeAd({
          origin: 'n1',
          issuedAt: clock.now(),
          startTime: 100,
          instance: old,
          generation: 51,
        }),
      )[0]!.status,
      'stale',
    );
    await settle(clock);
    for (const d of net.directors.values()) {
      const [n1] = d.nodes() as { instance: string; generation: number }[];
      assert.deepEqual([n1?.instance, n1?.generation], [fresh, 1], d.name);
    }
  });
});

describe('catch-up and expiry', () => {
  it('a restarted director pulls the table from its peers at start', async () => {
    const names = ['d1', 'd2', 'd3'];
    const { clock, ring, net } = await network(names, (name) => names.filter((n) => n !== name));
    const d1 = net.directors.get('d1')!;
    net.down.add('d3');
    for (let i = 0; i < 5; i++) post(d1, ring, nodeAd({ origin: `n${i}`, issuedAt: clock.now() }));
    await settle(clock);
    net.directors.get('d3')!.stop();
    net.down.delete('d3');
    const d3 = net.add('d3', { peers: [net.url('d1'), net.url('d2')], pullPage: 2 });
    await d3.start();
    assert.equal(origins(d3).length, 5, 'caught up before the first interval');
    await settle(clock);
    const counts = d3.receivedCounts();
    const pulled = (counts.get('pull d1')?.stored ?? 0) + (counts.get('pull d2')?.stored ?? 0);
    assert.ok(pulled >= 5, `pulled ${pulled}`);
    const n0 = (d3.nodes() as { name: string; from: string }[]).find((n) => n.name === 'n0');
    assert.match(n0?.from ?? '', /^pull d[12]$/);
  });

  it('drops ads at their expiry', async () => {
    const { clock, ring, net } = await network(['d1'], () => []);
    const d1 = net.directors.get('d1')!;
    post(d1, ring, nodeAd({ origin: 'n1', issuedAt: clock.now(), lifetimeMs: 5000 }));
    clock.advance(4000);
    assert.deepEqual(origins(d1), ['n1']);
    assert.equal(d1.locate('web', undefined).nodes.length, 1);
    clock.advance(1500);
    assert.deepEqual(origins(d1), []);
    assert.equal(d1.locate('web', undefined).nodes.length, 0);
  });
});

describe("the origin's own deliveries (envelope `to`)", () => {
  it('nobody forwards to a director the origin delivers to itself; one it cannot reach still gets it', async () => {
    const names = ['d1', 'd2', 'd3'];
    const { clock, ring, net } = await network(names, (name) => names.filter((n) => n !== name));
    // The node reaches d1 and d2, not d3, and says so.
    for (let i = 0; i < 5; i++) {
      const ad = nodeAd({ origin: `n${i}`, issuedAt: clock.now() });
      const wire = { ...envelope(ad, ring.key('node', ad.origin)), to: ['d1', 'd2'] };
      for (const name of ['d1', 'd2'])
        net.directors.get(name)!.ingest([JSON.parse(JSON.stringify(wire))]);
    }
    await settle(clock);
    assert.deepEqual(nodeKeys(net.deliveries.get('d1->d2') ?? []), []);
    assert.deepEqual(nodeKeys(net.deliveries.get('d2->d1') ?? []), []);
    assert.equal(origins(net.directors.get('d3')!).length, 5);
    const toD3 =
      nodeKeys(net.deliveries.get('d1->d3') ?? []).length +
      nodeKeys(net.deliveries.get('d2->d3') ?? []).length;
    assert.ok(toD3 >= 5 && toD3 <= 10, `${toD3} deliveries to d3`);
  });
});

describe('the table, a page at a time', () => {
  it('pages through every ad with next offsets', async () => {
    const { clock, ring, net } = await network(['d1'], () => []);
    const d1 = net.directors.get('d1')!;
    for (let i = 0; i < 5; i++) post(d1, ring, nodeAd({ origin: `n${i}`, issuedAt: clock.now() }));
    const first = d1.page('node', 0, 2);
    assert.deepEqual([first.ads.map((e) => e.ad.origin), first.next], [['n0', 'n1'], 2]);
    const second = d1.page('node', 2, 2);
    assert.deepEqual([second.ads.map((e) => e.ad.origin), second.next], [['n2', 'n3'], 4]);
    const last = d1.page('node', 4, 2);
    assert.deepEqual([last.ads.map((e) => e.ad.origin), last.next], [['n4'], undefined]);
    assert.equal(d1.page(undefined, 0, 100).ads.length, 6, 'and its own director ad');
  });
});

describe('readiness and replay, one director at a time', () => {
  it('is not ready until it pulled a ready peer, or waited one interval without one', async () => {
    const clock = new ManualClock();
    const ring = new KeyRing();
    for (const name of ['d1', 'd2', 'd3']) ring.key('director', name);
    const net = new Network(clock, ring);
    const d1 = net.add('d1', { intervalMs: 10_000 });
    const d3 = net.add('d3', { intervalMs: 10_000, peers: [net.url('d1')] });
    await d1.start();
    await d3.start();
    await settle(clock);
    assert.deepEqual(d1.readiness(), { ready: false, retryAfterMs: 10_000 });
    assert.equal(
      d3.readiness().ready,
      false,
      'its only peer was not ready: its table proves nothing',
    );
    clock.advance(9_999);
    await settle(clock);
    assert.equal(d1.readiness().ready, false);
    clock.advance(1);
    await settle(clock);
    assert.deepEqual(d1.readiness(), { ready: true, reason: 'waited one interval for ads' });
    const d2 = net.add('d2', { intervalMs: 10_000, peers: [net.url('d1')] });
    await d2.start();
    assert.deepEqual(d2.readiness(), { ready: true, reason: 'pulled from d1' });
    for (const d of [d1, d2, d3]) d.stop();
  });

  it('a node ad comes back neither after its expiry nor as an older one', async () => {
    const { clock, ring, net } = await network(['d1'], () => []);
    const d1 = net.directors.get('d1')!;
    const instance = randomUUID();
    const at = clock.now();
    const ad = (generation: number) =>
      nodeAd({
        origin: 'n1',
        issuedAt: at,
        startTime: at,
        instance,
        generation,
        lifetimeMs: 30_000,
      });
    assert.equal(post(d1, ring, ad(2))[0]?.status, 'stored');
    assert.equal(post(d1, ring, ad(1))[0]?.status, 'stale');
    clock.advance(30_000);
    d1.sweep();
    assert.deepEqual(origins(d1), []);
    // Re-posted in a fresh envelope: the record says it is not new.
    const fresh = {
      ...envelope(ad(2), ring.key('node', 'n1')),
      sentAt: clock.now(),
      expiresAt: clock.now() + 30_000,
    };
    assert.equal(d1.ingest([fresh])[0]?.status, 'stale');
    clock.advance(30_000);
    const later = { ...fresh, sentAt: clock.now(), expiresAt: clock.now() + 30_000 };
    const refused = d1.ingest([later])[0];
    assert.equal(refused?.status, 'expired');
    assert.match(
      refused?.error ?? '',
      /its signed expiry passed 30 s ago \(allowance for clock skew 30 s\)/,
    );
    assert.deepEqual(origins(d1), []);
    d1.stop();
  });
});
