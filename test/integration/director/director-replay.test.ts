/**
 * Replay, as processes on loopback: 3 directors in a full mesh, nodes posting to d1
 * only (so the others hear them by forwarding). A killed node's last ad, taken from
 * the public GET /v1/ads and posted again after it expired, in a fresh envelope or
 * as it was, to every director directly and as if forwarded by a peer, never brings
 * the node back; neither does a stopped node's last "up" ad after its farewell,
 * though that ad's signed lifetime has not run out. An ad of the old format v1 is
 * refused with the reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Envelope } from '../../../src/director/ad.js';
import { requestJson } from '../../../src/director/http.js';
import { signAd } from '../../../src/director/keys.js';
import { Fleet, getJson, type DirectorsAnswer, type NodesAnswer } from './fleet.js';

const names = ['d1', 'd2', 'd3'];
const SKEW_S = 2;

interface PostAnswer {
  results: { origin: string; status: string; error?: string }[];
}

async function post(url: string, envelope: unknown): Promise<PostAnswer['results'][number]> {
  const response = await requestJson(`${url}/v1/ads`, {
    method: 'POST',
    body: { ads: [envelope] },
    timeoutMs: 5000,
  });
  assert.equal(response.status, 200);
  return (response.body as PostAnswer).results[0]!;
}

async function lastEnvelope(url: string, origin: string): Promise<Envelope> {
  const { ads } = await getJson<{ ads: Envelope[] }>(`${url}/v1/ads?kind=node`);
  const found = ads.find((e) => e.ad.origin === origin);
  assert.ok(found !== undefined, `${origin} at ${url}`);
  return found;
}

async function holds(url: string, origin: string): Promise<boolean> {
  const { nodes } = await getJson<NodesAnswer>(`${url}/v1/nodes?name=${origin}`);
  return nodes.length > 0;
}

async function eventuallyAsync(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('replayed ads, 3 directors in a full mesh', () => {
  let fleet: Fleet;

  before(async () => {
    fleet = await Fleet.create('replay');
    await fleet.makeKeys(names, ['dead-1', 'bye-1', 'live-1']);
    await fleet.defineDirectors(
      (urls) =>
        names.map((name, i) => ({
          name,
          peers: urls.filter((_, j) => j !== i),
          discoverPeers: false,
          intervalSeconds: 1,
          extra: `clock_skew = ${SKEW_S}`,
        })),
      3,
    );
    for (const director of fleet.directors) await director.start();
    const d1 = [fleet.directors[0]!.url];
    // Short lives for the node that dies; a long one for the node that says goodbye.
    fleet.addNodes(['dead-1'], d1, { learnDirectors: false, intervalMs: 1000, lifetimeMs: 2000 });
    fleet.addNodes(['bye-1', 'live-1'], d1, { learnDirectors: false, lifetimeMs: 120_000 });
    for (const director of fleet.directors)
      for (const origin of ['dead-1', 'bye-1', 'live-1'])
        await eventuallyAsync(() => holds(director.url, origin), `${origin} at ${director.name}`);
  });

  after(() => fleet.close());

  it("a dead node's last ad, replayed at every director, never brings it back", async () => {
    const dead = fleet.nodes.find((n) => n.name === 'dead-1')!;
    const last = await lastEnvelope(fleet.directors[0]!.url, 'dead-1');
    await dead.advertiser.stop(); // killed: no farewell
    const lastSigned = dead.advertiser.lastAd!;
    for (const director of fleet.directors)
      await eventuallyAsync(
        async () => !(await holds(director.url, 'dead-1')),
        `dead-1 to expire at ${director.name}`,
      );
    const attempts = (now: number): { what: string; envelope: Envelope }[] => [
      { what: 'as it was', envelope: last },
      {
        what: 'in a fresh envelope',
        envelope: { ...last, seenBy: [], sentAt: now, expiresAt: now + 2000 },
      },
      {
        what: 'its very last ad, fresh',
        envelope: {
          ad: lastSigned,
          sig: signAd(lastSigned, fleet.key('node', 'dead-1')),
          seenBy: [],
          sentAt: now,
          expiresAt: now + 2000,
        },
      },
    ];
    // Peers' names and instances, to claim their forwarding.
    const before = await Promise.all(
      fleet.directors.map((d) => getJson<DirectorsAnswer>(`${d.url}/v1/directors`)),
    );
    // Within the skew allowance the replay records refuse it; after it, the signed expiry.
    for (const phase of ['record', 'signed expiry'] as const) {
      if (phase === 'signed expiry')
        await eventuallyAsync(
          () => Promise.resolve(Date.now() > lastSigned.expires + SKEW_S * 1000 + 100),
          'the signed expiry and the allowance to pass',
        );
      for (const director of fleet.directors)
        for (const { what, envelope } of attempts(Date.now())) {
          const direct = await post(director.url, envelope);
          assert.ok(
            direct.status === 'stale' || direct.status === 'expired',
            `${phase}: ${what} at ${director.name}: ${direct.status}`,
          );
          if (phase === 'signed expiry') {
            assert.equal(direct.status, 'expired');
            assert.match(direct.error ?? '', /its signed expiry passed \d+ s ago/);
          }
          // As if forwarded by a peer director (the seen-by path is unsigned).
          const peer = before.find((b) => b.name !== director.name)!;
          const forwarded = await post(director.url, {
            ...envelope,
            seenBy: [{ name: peer.name, instance: peer.instance, at: Date.now() }],
          });
          assert.ok(
            forwarded.status === 'stale' || forwarded.status === 'expired',
            `${phase}: ${what} forwarded to ${director.name}: ${forwarded.status}`,
          );
        }
    }
    // Had any director stored it, it would have forwarded it and every director would list it.
    for (const director of fleet.directors) {
      assert.equal(await holds(director.url, 'dead-1'), false, director.name);
      const { nodes } = await getJson<{ nodes: { name: string }[] }>(
        `${director.url}/v1/locate/web`,
      );
      assert.ok(!nodes.some((n) => n.name === 'dead-1'), `${director.name} hands out dead-1`);
    }
  });

  it("a stopped node's last up ad stays out after its farewell, though still signed-valid", async () => {
    const bye = fleet.nodes.find((n) => n.name === 'bye-1')!;
    const up = await lastEnvelope(fleet.directors[0]!.url, 'bye-1');
    assert.equal(up.ad.kind === 'node' && up.ad.node.services[0]?.state, 'up');
    await bye.advertiser.stop(1000);
    for (const director of fleet.directors)
      await eventuallyAsync(async () => {
        const { nodes } = await getJson<NodesAnswer>(`${director.url}/v1/nodes?name=bye-1`);
        return nodes[0]?.services[0]?.state === 'down';
      }, `the farewell at ${director.name}`);
    assert.ok(up.ad.expires > Date.now() + 60_000, 'the up ad is still within its lifetime');
    for (const director of fleet.directors) {
      const now = Date.now();
      const replay = await post(director.url, { ...up, sentAt: now, expiresAt: now + 120_000 });
      assert.equal(replay.status, 'stale', director.name);
      const { nodes } = await getJson<{ nodes: { name: string }[] }>(
        `${director.url}/v1/locate/web`,
      );
      assert.deepEqual(
        nodes.map((n) => n.name),
        ['live-1'],
        director.name,
      );
    }
  });

  it('refuses an ad of format v1 and says why', async () => {
    const live = await lastEnvelope(fleet.directors[1]!.url, 'live-1');
    const old = { ...live.ad, v: 1 };
    const result = await post(fleet.directors[1]!.url, {
      ...live,
      ad: old,
      sig: signAd(old as unknown as Envelope['ad'], fleet.key('node', 'live-1')),
    });
    assert.equal(result.status, 'refused');
    assert.match(result.error ?? '', /ad\.v: format v1 is no longer accepted/);
  });
});
