/**
 * Outside probes, as processes on loopback: 3 directors in a full mesh and 3 nodes
 * that ask to be probed, each with a real health endpoint. On loopback every
 * director reaches every node, so a node's endpoint plays the broken uplink itself:
 * it leaves the probes of chosen directors (told apart by their user-agent)
 * unanswered until their timeout. A node 2 of 3 directors cannot reach is left out
 * of every director's locate answer and says so in /v1/nodes and in its own status;
 * one that 1 of 3 cannot reach stays in; either comes back once reachable; and its
 * own ad keeps saying "up" (directors never decide about routes).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Fleet, getJson } from './fleet.js';

const names = ['v1', 'v2', 'v3'];
const NODES = ['ok-1', 'cut-2', 'cut-1'];

interface NodeView {
  name: string;
  outside?: { unreachableFrom: string[]; directors: number; excluded: boolean; summary: string };
}

async function eventuallyAsync(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('outside probes, 3 directors and 3 nodes', () => {
  let fleet: Fleet;
  const servers: Server[] = [];
  /** Per node: the directors whose probes go unanswered. */
  const blocked = new Map<string, Set<string>>(NODES.map((n) => [n, new Set()]));
  const ports = new Map<string, number>();
  /** Per node: the directors whose probes arrived. */
  const seen = new Map<string, Set<string>>(NODES.map((n) => [n, new Set()]));

  before(async () => {
    for (const node of NODES) {
      const server = createServer((request, response) => {
        const prober = /anycast-guard-director\/(\S+)/.exec(
          request.headers['user-agent'] ?? '',
        )?.[1];
        if (prober !== undefined) seen.get(node)!.add(prober);
        if (prober !== undefined && blocked.get(node)!.has(prober)) return; // no answer
        response.end('ok\n');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      ports.set(node, (server.address() as AddressInfo).port);
    }
    fleet = await Fleet.create('probes');
    await fleet.makeKeys(names, NODES);
    await fleet.defineDirectors(
      (urls) =>
        names.map((name, i) => ({
          name,
          peers: urls.filter((_, j) => j !== i),
          intervalSeconds: 1,
        })),
      3,
    );
    for (const director of fleet.directors) await director.start();
    fleet.addNodes(NODES, [fleet.directors[0]!.url], {
      learnDirectors: false,
      intervalMs: 1000,
      lifetimeMs: 10_000,
      nodeUrl: (name) => `http://127.0.0.1:${ports.get(name)}/`,
      probe: { path: '/health', intervalMs: 1000, timeoutMs: 300 },
    });
  });

  after(async () => {
    await fleet.close();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  });

  async function located(url: string): Promise<string[]> {
    const { nodes } = await getJson<{ nodes: { name: string }[] }>(`${url}/v1/locate/web`);
    return nodes.map((n) => n.name).sort();
  }

  async function view(url: string, node: string): Promise<NodeView['outside']> {
    const { nodes } = await getJson<{ nodes: NodeView[] }>(`${url}/v1/nodes?name=${node}`);
    return nodes[0]?.outside;
  }

  it('every node reachable: all handed out, "reachable from all 3 directors"', async () => {
    for (const director of fleet.directors)
      await eventuallyAsync(
        async () =>
          (await located(director.url)).join() === [...NODES].sort().join() &&
          (await view(director.url, 'ok-1'))?.summary === 'reachable from all 3 directors',
        `every node at ${director.name}`,
      );
    await eventuallyAsync(
      () => Promise.resolve(NODES.every((n) => seen.get(n)!.size === 3)),
      'every director to probe every node',
    );
  });

  it('a majority that cannot reach a node takes it out of locate everywhere; one does not', async () => {
    blocked.set('cut-2', new Set(['v1', 'v2']));
    blocked.set('cut-1', new Set(['v3']));
    for (const director of fleet.directors)
      await eventuallyAsync(async () => {
        const two = await view(director.url, 'cut-2');
        const one = await view(director.url, 'cut-1');
        return (
          two?.summary === 'unreachable from 2 of 3 directors' &&
          one?.summary === 'unreachable from 1 of 3 directors'
        );
      }, `the verdicts at ${director.name}`);
    for (const director of fleet.directors) {
      assert.deepEqual(await located(director.url), ['cut-1', 'ok-1'], director.name);
      const two = await view(director.url, 'cut-2');
      assert.deepEqual(two?.unreachableFrom, ['v1', 'v2']);
      assert.equal(two?.excluded, true);
      assert.equal((await view(director.url, 'cut-1'))?.excluded, false);
    }
    // The node hears it from the directors, and its own ad still says "up".
    const cut = fleet.nodes.find((n) => n.name === 'cut-2')!;
    await eventuallyAsync(
      () =>
        Promise.resolve(
          cut.advertiser.status().outside?.summary === 'unreachable from 2 of 3 directors',
        ),
      "cut-2's own status",
    );
    assert.equal(cut.advertiser.lastAd?.node.services[0]?.state, 'up');
  });

  it('a node reachable again comes back', async () => {
    blocked.set('cut-2', new Set());
    blocked.set('cut-1', new Set());
    for (const director of fleet.directors)
      await eventuallyAsync(
        async () => (await located(director.url)).join() === [...NODES].sort().join(),
        `every node back at ${director.name}`,
      );
    const cut = fleet.nodes.find((n) => n.name === 'cut-2')!;
    await eventuallyAsync(
      () =>
        Promise.resolve(
          cut.advertiser.status().outside?.summary === 'reachable from all 3 directors',
        ),
      "cut-2's own status",
    );
  });
});
