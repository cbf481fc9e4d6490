/**
 * Fleet-guard withdrawal permits over real HTTP: 3 directors as processes on loopback
 * in a full mesh (a 4th alone, still catching up), 10 nodes advertising with their own
 * keys, and each node's PermitClient asking every director at once.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ManualClock, systemClock } from '../../../src/clock/index.js';
import { requestJson } from '../../../src/director/http.js';
import { generateKey } from '../../../src/director/keys.js';
import { PermitClient } from '../../../src/director/permit-client.js';
import {
  PERMIT_VERSION,
  decideWithdrawal,
  signPermitRequest,
  type PermitReply,
  type PermitRequest,
} from '../../../src/director/permit.js';
import { loggedEvent } from '../../helpers/log-events.js';
import { eventually } from '../../helpers/raw-peer.js';
import { Fleet, getJson, type DirectorProcess } from './fleet.js';

const MESH = ['p1', 'p2', 'p3'];
const NODES = Array.from({ length: 10 }, (_, i) => `n${i}`);
/** 10 announcing, min 7: each director lets 3 go at a time. */
const MIN = { announcing: 7 };
const LIFETIME_MS = 4000;
const SKEW_S = 2;

interface PermitsView {
  director: string;
  services: {
    service: string;
    announcing: number;
    total: number;
    min: number;
    outstanding: number;
    holders: { node: string; expiresAt: number; expiresInMs: number }[];
  }[];
}

/** Whether a director logged director.permit_dropped for this node and reason. */
function dropped(output: string, node: string, why: string): boolean {
  return output.split('\n').some((line) => {
    if (!line.startsWith('{')) return false;
    try {
      const entry = JSON.parse(line) as { event?: string; node?: string; why?: string };
      return entry.event === 'director.permit_dropped' && entry.node === node && entry.why === why;
    } catch {
      return false;
    }
  });
}

/** Directors' views change within a few ad intervals: longer than eventually's default. */
const until = <T>(probe: () => PromiseLike<T | undefined | false>, what: string): Promise<T> =>
  eventually(probe, what, 15_000);

describe('withdrawal permits', () => {
  let fleet: Fleet;
  let mesh: DirectorProcess[];
  let lonely: DirectorProcess;
  const clients = new Map<string, PermitClient>();

  const web = async (director: DirectorProcess) => {
    const view = await getJson<PermitsView>(`${director.url}/v1/permits`);
    return view.services.find((s) => s.service === 'web');
  };
  const holders = async (director: DirectorProcess) =>
    ((await web(director))?.holders ?? []).map((h) => h.node).sort();
  const client = (node: string) => clients.get(node)!;

  before(async () => {
    fleet = await Fleet.create('permits');
    await fleet.makeKeys([...MESH, 'p4'], NODES);
    await fleet.defineDirectors(
      (urls) => [
        ...MESH.map((name, i) => ({
          name,
          peers: urls.slice(0, 3).filter((_, j) => j !== i),
          intervalSeconds: 1,
          extra: `clock_skew = ${SKEW_S}`,
        })),
        // No peers and a long interval: not ready (catching up) for the whole test.
        { name: 'p4', peers: [], discoverPeers: false, intervalSeconds: 600 },
      ],
      4,
    );
    for (const director of fleet.directors) await director.start();
    mesh = fleet.directors.slice(0, 3);
    lonely = fleet.directors[3]!;
    const urls = mesh.map((d) => d.url);
    fleet.addNodes(NODES, urls, {
      learnDirectors: false,
      intervalMs: 1000,
      lifetimeMs: LIFETIME_MS,
    });
    for (const node of NODES)
      clients.set(
        node,
        new PermitClient({
          origin: node,
          key: fleet.key('node', node),
          directors: () => urls,
          timeoutMs: 2000,
          clock: systemClock,
        }),
      );
    for (const director of mesh)
      await until(async () => {
        const health = await requestJson(`${director.url}/healthz`, { timeoutMs: 2000 });
        return health.status === 200 && (await web(director))?.announcing === NODES.length;
      }, `${director.name} to be ready and see every node`);
  });

  after(() => fleet.close());

  it('grants at most announcing − min across concurrent askers, at every director', async () => {
    const replies = await Promise.all(NODES.map((n) => client(n).acquire('web', MIN)));
    for (const director of mesh) {
      const answers = replies.map((r) => r.find((x) => x.director === director.url));
      const granted = answers.filter((a) => a !== undefined && 'answer' in a && a.answer.granted);
      assert.equal(granted.length, 3, `${director.name} granted ${granted.length}`);
      for (const a of answers) {
        assert.ok(a !== undefined && 'answer' in a, `${director.name} answered every asker`);
        assert.equal(a.answer.announcing, 10);
        assert.equal(a.answer.min, 7);
        if (!a.answer.granted) assert.match(a.answer.reason, /withdrawing would leave 6/);
      }
      assert.equal((await holders(director)).length, 3);
      assert.equal((await web(director))?.outstanding, 3);
    }
    const withdrawing = replies.filter((r) => decideWithdrawal(r, 3, 'hold').withdraw);
    assert.ok(withdrawing.length <= 3, `${withdrawing.length} nodes may withdraw`);
    // Every node releases: nothing is held anywhere.
    await Promise.all(NODES.map((n) => client(n).release('web')));
    for (const director of mesh) assert.deepEqual(await holders(director), []);
    await eventually(
      () => mesh.every((d) => loggedEvent(d.output, 'director.permit_released')),
      'the releases logged',
    );
    assert.ok(mesh.every((d) => loggedEvent(d.output, 'director.permit_granted')));
    assert.ok(mesh.every((d) => loggedEvent(d.output, 'director.permit_refused')));
  });

  it('asking again while holding returns the same permit', async () => {
    const first = await client('n0').acquire('web', MIN);
    const again = await client('n0').acquire('web', MIN);
    for (const [i, reply] of again.entries()) {
      assert.ok('answer' in reply && reply.answer.granted);
      const before = first[i]!;
      assert.ok('answer' in before);
      assert.equal(reply.answer.expiresAt, before.answer.expiresAt);
      assert.equal(reply.answer.outstanding, 1);
    }
    await client('n0').release('web');
  });

  it('frees the permit when the node’s newer ad says down, and counts the withdrawal', async () => {
    const node = fleet.nodes.find((n) => n.name === 'n1')!;
    const replies = await client('n1').acquire('web', MIN);
    assert.equal(decideWithdrawal(replies, 3, 'hold').withdraw, true);
    for (const director of mesh) assert.deepEqual(await holders(director), ['n1']);
    node.services = node.services.map((s) => ({ ...s, state: 'down' as const }));
    node.advertiser.onTransition();
    for (const director of mesh)
      await until(async () => {
        const view = await web(director);
        return view !== undefined && view.holders.length === 0 && view.announcing === 9;
      }, `${director.name} to drop n1's permit on its down ad`);
    // 9 announcing, one of them gone: two more may go (9 − 7).
    const decisions: boolean[] = [];
    for (const n of ['n2', 'n3', 'n4'])
      decisions.push(decideWithdrawal(await client(n).acquire('web', MIN), 3, 'hold').withdraw);
    assert.deepEqual(decisions, [true, true, false]);
    await Promise.all(['n2', 'n3', 'n4'].map((n) => client(n).release('web')));
    node.services = node.services.map((s) => ({ ...s, state: 'up' as const }));
    node.advertiser.onTransition();
    for (const director of mesh)
      await until(async () => (await web(director))?.announcing === 10, 'n1 back up');
  });

  it('drops a permit at its hard expiry (ad lifetime + clock_skew) while the node stays up', async () => {
    const replies = await client('n5').acquire('web', MIN);
    for (const reply of replies) {
      assert.ok('answer' in reply && reply.answer.granted);
      const expiresIn = reply.answer.expiresAt! - Date.now();
      assert.ok(expiresIn <= LIFETIME_MS + SKEW_S * 1000, `held for ${expiresIn} ms`);
    }
    for (const director of mesh)
      await until(async () => (await holders(director)).length === 0, 'the permit to expire');
    await eventually(
      () => mesh.every((d) => dropped(d.output, 'n5', 'expired')),
      'the expiry logged (the next sweep)',
    );
  });

  it('drops a permit when the node’s ad expires (no farewell)', async () => {
    const node = fleet.nodes.find((n) => n.name === 'n6')!;
    await client('n6').acquire('web', MIN);
    await node.advertiser.stop(0);
    for (const director of mesh)
      await until(
        async () => (await holders(director)).length === 0 && (await web(director))?.total === 9,
        `${director.name} to drop n6 and its permit`,
      );
    await eventually(
      () => mesh.every((d) => dropped(d.output, 'n6', 'ad gone')),
      'the drop logged',
    );
    node.restart();
    for (const director of mesh)
      await until(async () => (await web(director))?.announcing === 10, 'n6 back');
  });

  it('refuses forged, untrusted, skewed and malformed requests with a status and kind', async () => {
    const url = `${mesh[0]!.url}/v1/permits`;
    const request: PermitRequest = {
      v: PERMIT_VERSION,
      action: 'acquire',
      origin: 'n7',
      service: 'web',
      minimum: MIN,
      issuedAt: Date.now(),
    };
    const post = (body: unknown) => requestJson(url, { method: 'POST', body, timeoutMs: 5000 });
    const cases: [string, unknown, number, string][] = [
      ['forged', signPermitRequest(request, generateKey()), 403, 'director.permit_bad_signature'],
      [
        'untrusted',
        signPermitRequest({ ...request, origin: 'stranger' }, generateKey()),
        403,
        'director.permit_untrusted',
      ],
      [
        'skewed',
        signPermitRequest({ ...request, issuedAt: Date.now() - 60_000 }, fleet.key('node', 'n7')),
        400,
        'director.permit_clock',
      ],
      ['malformed', { request: { ...request, v: 9 }, sig: 'x' }, 400, 'director.permit_invalid'],
    ];
    for (const [what, body, status, kind] of cases) {
      const response = await post(body);
      assert.equal(response.status, status, what);
      assert.equal((response.body as { kind?: string }).kind, kind, what);
    }
    // A good request still passes, and nothing was granted to the refused ones.
    const good = await post(signPermitRequest(request, fleet.key('node', 'n7')));
    assert.equal(good.status, 200);
    assert.deepEqual(await holders(mesh[0]!), ['n7']);
    await client('n7').release('web');
    await eventually(
      () => loggedEvent(mesh[0]!.output, 'director.permit_request_refused'),
      'the refused requests logged',
    );
  });

  it('counts a director still catching up (503) as an error reply', async () => {
    const response = await requestJson(`${lonely.url}/v1/permits`, {
      method: 'POST',
      body: signPermitRequest(
        {
          v: PERMIT_VERSION,
          action: 'acquire',
          origin: 'n8',
          service: 'web',
          minimum: MIN,
          issuedAt: Date.now(),
        },
        fleet.key('node', 'n8'),
      ),
      timeoutMs: 5000,
    });
    assert.equal(response.status, 503);
    assert.match(response.headers?.['retry-after'] ?? '', /^[1-9]\d*$/);
    const asker = new PermitClient({
      origin: 'n8',
      key: fleet.key('node', 'n8'),
      directors: () => [mesh[0]!.url, lonely.url, 'http://127.0.0.1:1'],
      timeoutMs: 2000,
      clock: systemClock,
    });
    assert.equal(asker.knownDirectors(), 3);
    const replies: PermitReply[] = await asker.acquire('web', MIN);
    assert.equal(replies.length, 3);
    assert.ok('answer' in replies[0]! && replies[0].answer.granted);
    assert.ok('error' in replies[1]! && /not ready/.test(replies[1].error), 'the 503');
    assert.ok('error' in replies[2]!, 'the unreachable one');
    // One of three answered: not a majority, so "hold" keeps the route.
    assert.equal(decideWithdrawal(replies, 3, 'hold').withdraw, false);
    await asker.release('web');
    assert.deepEqual(await holders(mesh[0]!), []);
  });

  it('counts an answer that is not JSON, or not a permit answer, as an error reply', async () => {
    const bodies = ['not json', JSON.stringify({ granted: true })];
    const servers: Server[] = [];
    const urls: string[] = [];
    for (const body of bodies) {
      const server = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    try {
      const asker = new PermitClient({
        origin: 'n9',
        key: fleet.key('node', 'n9'),
        directors: () => urls,
        timeoutMs: 2000,
        clock: systemClock,
      });
      const replies = await asker.acquire('web', MIN);
      assert.deepEqual(
        replies.map((r) => ('error' in r ? r.error.replace(/:.*/, '') : 'answer')),
        ['not a permit answer', 'not a permit answer'],
      );
    } finally {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });

  it('signs every request of a node with a later issuedAt than the one before', async () => {
    const seen: number[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push((JSON.parse(body) as { request: { issuedAt: number } }).request.issuedAt);
        response.writeHead(503).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      // A clock that does not move: acquire, release and acquire in "one millisecond".
      const clock = new ManualClock(Date.now());
      const asker = new PermitClient({
        origin: 'n9',
        key: fleet.key('node', 'n9'),
        directors: () => [`http://127.0.0.1:${(server.address() as AddressInfo).port}`],
        timeoutMs: 2000,
        clock,
      });
      await asker.acquire('web', MIN);
      await asker.release('web');
      await asker.acquire('web', MIN);
      assert.deepEqual(seen, [clock.now(), clock.now() + 1, clock.now() + 2]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
