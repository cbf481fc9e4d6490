/**
 * Directors as processes on loopback: 3 and 5 in a line and 5 in a full mesh, with
 * 20 nodes. Every ad reaches every director, no ad goes twice over any link, a
 * restarted node replaces its old ads, a killed director catches up when it comes
 * back, forged and tampered ads are refused everywhere, and a client fails over
 * between directors and falls back to anycast when all of them are down.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { locate } from '../../../src/client/locate.js';
import type { Envelope } from '../../../src/director/ad.js';
import { requestJson } from '../../../src/director/http.js';
import { signAd } from '../../../src/director/keys.js';
import {
  CLI,
  Fleet,
  getJson,
  type DirectorsAnswer,
  type NodeHandle,
  type NodesAnswer,
} from './fleet.js';

const run = promisify(execFile);
const NODES = Array.from({ length: 20 }, (_, i) => `node-${i}`);

async function nodesAt(url: string): Promise<NodesAnswer['nodes']> {
  return (await getJson<NodesAnswer>(`${url}/v1/nodes`)).nodes;
}

/** Waits until every director holds every node at the generation its advertiser sent last. */
async function converged(fleet: Fleet, what: string): Promise<void> {
  let last = '';
  await eventuallyAsync(async () => {
    // Read each time: a transition is signed on the next tick.
    const want = new Map(
      fleet.nodes.map((n) => [
        n.name,
        `${n.advertiser.instance}#${n.advertiser.lastAd?.generation}`,
      ]),
    );
    for (const director of fleet.directors) {
      const nodes = await nodesAt(director.url);
      const have = new Map(nodes.map((n) => [n.name, `${n.instance}#${n.generation}`]));
      for (const [name, key] of want)
        if (have.get(name) !== key) {
          last = `${director.name} has ${name} at ${have.get(name) ?? 'nothing'}, want ${key}`;
          return false;
        }
    }
    return true;
  }, what).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}: ${last}`);
  });
}

async function eventuallyAsync(
  probe: () => Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Changes a node's service state and waits until its advertiser has signed the new ad. */
async function transition(node: NodeHandle, state: 'up' | 'down' | 'drained'): Promise<void> {
  const before = node.advertiser.lastAd?.generation ?? 0;
  node.services = [{ name: 'web', state, prefixes: ['203.0.113.80/32'] }];
  node.advertiser.onTransition();
  await eventuallyAsync(
    () => Promise.resolve((node.advertiser.lastAd?.generation ?? 0) > before),
    `${node.name} to sign its transition`,
  );
}

/** No director saw the same ad twice from the same sender; no link re-sent an acknowledged ad. */
async function nothingTwice(fleet: Fleet): Promise<void> {
  for (const director of fleet.directors) {
    const answer = await getJson<DirectorsAnswer>(`${director.url}/v1/directors`);
    for (const [from, counts] of Object.entries(answer.received))
      assert.equal(counts.repeats, 0, `${from} -> ${director.name} sent an ad twice`);
    for (const peer of answer.peers)
      assert.equal(peer.link.resent, 0, `${director.name} -> ${peer.name} re-sent an ad`);
  }
}

for (const size of [3, 5]) {
  describe(`${size} directors in a line, 20 nodes at one end`, () => {
    let fleet: Fleet;
    const names = Array.from({ length: size }, (_, i) => `d${i + 1}`);

    before(async () => {
      fleet = await Fleet.create(`line${size}`);
      await fleet.makeKeys(names, NODES);
      await fleet.defineDirectors(
        (urls) =>
          names.map((name, i) => ({
            name,
            peers: urls.filter((_, j) => Math.abs(i - j) === 1),
            discoverPeers: false,
          })),
        size,
      );
      for (const director of fleet.directors) await director.start();
      fleet.addNodes(NODES, [fleet.directors[0]!.url], { learnDirectors: false });
    });

    after(() => fleet.close());

    it('every ad reaches the far end, hop by hop, once per link', async () => {
      await converged(fleet, 'the first ads everywhere');
      for (const node of fleet.nodes) await transition(node, 'down');
      await converged(fleet, 'the transitions everywhere');
      const far = fleet.directors[size - 1]!;
      const [one] = (await nodesAt(far.url)).filter((n) => n.name === 'node-0');
      assert.deepEqual(one?.path, ['node node-0', ...names.slice(0, -1)]);
      assert.equal(one?.from, names[size - 2]);
      assert.equal(one?.services[0]?.state, 'down');
      await nothingTwice(fleet);
      // Along a line nothing travels back: d2 never sent node ads to d1.
      const d1 = await getJson<DirectorsAnswer>(`${fleet.directors[0]!.url}/v1/directors`);
      assert.equal(d1.received.d2?.duplicate, 0, 'd2 sent d1 an ad d1 had');
      assert.equal(d1.received.d2?.stale, 0, 'd2 sent d1 an old ad');
    });
  });
}

describe('5 directors in a full mesh, 20 nodes sending to all', () => {
  let fleet: Fleet;
  const names = ['d1', 'd2', 'd3', 'd4', 'd5'];

  before(async () => {
    fleet = await Fleet.create('mesh');
    await fleet.makeKeys(names, NODES);
    await fleet.defineDirectors(
      (urls) => names.map((name, i) => ({ name, peers: urls.filter((_, j) => j !== i) })),
      5,
    );
    for (const director of fleet.directors) await director.start();
    // The nodes know one discovery document; it lists every director.
    fleet.addNodes(NODES, [], {
      discoveryUrl: `${fleet.directors[0]!.url}/.well-known/anycast-guard`,
    });
  });

  after(() => fleet.close());

  it('every ad reaches every director, none twice on any link', async () => {
    await eventuallyAsync(
      () => Promise.resolve(fleet.nodes.every((n) => n.advertiser.status().directors.length === 5)),
      'every node to learn all five directors',
    );
    for (const node of fleet.nodes) await transition(node, 'up');
    await converged(fleet, 'every ad everywhere');
    for (const node of fleet.nodes.slice(0, 5)) await transition(node, 'down');
    await converged(fleet, 'the transitions everywhere');
    await nothingTwice(fleet);
  });

  it("a restarted node's ads replace its old ones", async () => {
    const node = fleet.nodes[7]!;
    const old = node.advertiser.instance;
    const oldGeneration = node.advertiser.lastAd?.generation ?? 0;
    assert.ok(oldGeneration >= 2);
    node.restart();
    await converged(fleet, 'the restarted node everywhere');
    for (const director of fleet.directors) {
      const [seen] = (await nodesAt(director.url)).filter((n) => n.name === node.name);
      assert.notEqual(seen?.instance, old);
      assert.equal(seen?.generation, 1, 'generation 1 of the new process beat the old one');
    }
  });

  it('a forged or tampered ad is refused by every director, also when it claims to be forwarded', async () => {
    const victim = fleet.nodes[2]!;
    const real = victim.advertiser.lastAd!;
    const forged = {
      ...real,
      generation: real.generation + 100,
      node: { ...real.node, url: 'http://198.51.100.66/' },
    };
    const tampered: Envelope = {
      ad: forged,
      sig: signAd(real, fleet.key('node', victim.name)),
      seenBy: [],
      sentAt: Date.now(),
      expiresAt: forged.expires,
    };
    const otherKey: Envelope = { ...tampered, sig: signAd(forged, fleet.key('node', 'node-3')) };
    const directorKey: Envelope = { ...tampered, sig: signAd(forged, fleet.key('director', 'd1')) };
    for (const director of fleet.directors) {
      const d1 = await getJson<DirectorsAnswer>(`${fleet.directors[0]!.url}/v1/directors`);
      const claimed: Envelope = {
        ...tampered,
        seenBy: [{ name: 'd1', instance: d1.instance, at: Date.now() }],
      };
      const response = await requestJson(`${director.url}/v1/ads`, {
        method: 'POST',
        body: { ads: [tampered, otherKey, directorKey, claimed] },
        timeoutMs: 5000,
      });
      assert.equal(response.status, 200);
      const results = (response.body as { results: { status: string; error?: string }[] }).results;
      assert.deepEqual(
        results.map((r) => r.status),
        ['refused', 'refused', 'refused', 'refused'],
        director.name,
      );
      assert.match(results[0]!.error!, /does not verify/);
    }
    // A body that is not a batch at all: a JSON error naming what is wrong.
    const bad = await requestJson(`${fleet.directors[1]!.url}/v1/ads`, {
      method: 'POST',
      body: [1],
      timeoutMs: 5000,
    });
    assert.equal(bad.status, 400);
    assert.match((bad.body as { error: string }).error, /\{ "ads": \[ … \] \}/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const director of fleet.directors) {
      const [seen] = (await nodesAt(director.url)).filter((n) => n.name === victim.name);
      assert.equal(seen?.generation, real.generation, `${director.name} kept the real ad`);
    }
  });

  it('a director killed and restarted catches up from its peers', async () => {
    const d3 = fleet.directors[2]!;
    await d3.kill('SIGKILL');
    for (const node of fleet.nodes.slice(10, 15)) await transition(node, 'drained');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await d3.start();
    // Nodes 0-9 and 15-19 sent nothing since; their ads come from the peers' tables.
    await converged(fleet, 'the restarted director to catch up');
    const answer = await getJson<DirectorsAnswer>(`${d3.url}/v1/directors`);
    const pulled = Object.entries(answer.received)
      .filter(([from]) => from.startsWith('pull '))
      .reduce((n, [, c]) => n + c.stored, 0);
    assert.ok(pulled >= 15, `pulled ${pulled} ads`);
    await nothingTwice(fleet);
  });

  it('a client fails over between directors and falls back to anycast when all are down', async () => {
    const doc = await getJson<unknown>(`${fleet.directors[0]!.url}/.well-known/anycast-guard`);
    // The discovery document as an operator publishes it: a static file on another server.
    const docServer = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc)),
    );
    await new Promise<void>((resolve) => docServer.listen(0, '127.0.0.1', resolve));
    const discovery = `http://127.0.0.1:${(docServer.address() as AddressInfo).port}/.well-known/anycast-guard`;
    try {
      await fleet.directors[0]!.kill('SIGKILL');
      await fleet.directors[1]!.kill('SIGTERM');
      const result = await locate('web', { discovery, client: '10.1.2.3', timeoutMs: 500 });
      assert.equal(result.source, 'director');
      assert.ok(result.tried.length >= 2, JSON.stringify(result.tried));
      assert.ok(![fleet.directors[0]!.url, fleet.directors[1]!.url].includes(result.director!));
      assert.equal(result.urls[result.urls.length - 1], 'http://203.0.113.80/');
      assert.ok(result.nodes[0]?.sameSite, 'an ams node first for an ams client');
      assert.ok(
        !result.nodes.some((n) =>
          ['node-0', 'node-1', 'node-2', 'node-3', 'node-4'].includes(n.name),
        ),
        'down nodes are not offered',
      );
      const cli = await run(process.execPath, [
        CLI,
        'locate',
        'web',
        '--discovery',
        discovery,
        '--prefer-anycast',
        '--json',
        '--timeout',
        '500',
      ]);
      const fromCli = JSON.parse(cli.stdout) as { source: string; urls: string[] };
      assert.equal(fromCli.source, 'director');
      assert.equal(fromCli.urls[0], 'http://203.0.113.80/');

      for (const director of fleet.directors) await director.kill('SIGKILL');
      const fallback = await locate('web', { discovery, timeoutMs: 500 });
      assert.equal(fallback.source, 'anycast');
      assert.deepEqual(fallback.urls, ['http://203.0.113.80/']);
      assert.equal(fallback.tried.length, 5);
      const plain = await run(process.execPath, [
        CLI,
        'locate',
        'web',
        '--discovery',
        discovery,
        '--timeout',
        '300',
      ]);
      assert.equal(plain.stdout, 'http://203.0.113.80/\n');
      assert.match(plain.stderr, /no director answered: using the anycast URL/);
    } finally {
      docServer.closeAllConnections();
      await new Promise<void>((resolve) => docServer.close(() => resolve()));
    }
  });
});
