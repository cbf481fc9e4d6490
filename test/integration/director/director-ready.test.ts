/**
 * Readiness, as processes on loopback: 3 directors in a full mesh and 6 nodes. All
 * directors are killed and started again at once. Until a director has caught up
 * (pulled a ready peer's table, or waited one interval) it answers locate and
 * /healthz with 503 and Retry-After; it never answers with a partial or empty list,
 * and a client asking through the restart gets nodes or the anycast URL, never
 * "no nodes".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { locate } from '../../../src/client/locate.js';
import { requestJson } from '../../../src/director/http.js';
import { loggedEvent } from '../../helpers/log-events.js';
import { eventually } from '../../helpers/raw-peer.js';
import { Fleet } from './fleet.js';

const names = ['r1', 'r2', 'r3'];
const NODES = Array.from({ length: 6 }, (_, i) => `node-${i}`);

describe('all directors restarted at once', () => {
  let fleet: Fleet;

  before(async () => {
    fleet = await Fleet.create('ready');
    await fleet.makeKeys(names, NODES);
    await fleet.defineDirectors(
      (urls) =>
        names.map((name, i) => ({
          name,
          peers: urls.filter((_, j) => j !== i),
          intervalSeconds: 4,
        })),
      3,
    );
    for (const director of fleet.directors) await director.start();
    fleet.addNodes(
      NODES,
      fleet.directors.map((d) => d.url),
      { learnDirectors: false, intervalMs: 1000, lifetimeMs: 10_000 },
    );
  });

  after(() => fleet.close());

  it('answer 503 with Retry-After until caught up, then every node', async () => {
    await Promise.all(fleet.directors.map((d) => d.kill('SIGKILL')));
    await Promise.all(fleet.directors.map((d) => d.start()));
    const answers = new Map<string, { notReady: number; ready: number }>(
      names.map((n) => [n, { notReady: 0, ready: 0 }]),
    );
    const clientSources = new Set<string>();
    const deadline = Date.now() + 30_000;
    let allReadyAt: number | undefined;
    while (allReadyAt === undefined || Date.now() < allReadyAt + 1000) {
      assert.ok(Date.now() < deadline, 'the directors to become ready');
      for (const director of fleet.directors) {
        const counts = answers.get(director.name)!;
        const wasReady = loggedEvent(director.output, 'director.ready');
        const response = await requestJson(`${director.url}/v1/locate/web`, { timeoutMs: 5000 });
        const health = await requestJson(`${director.url}/healthz`, { timeoutMs: 5000 });
        if (response.status === 503) {
          assert.ok(!wasReady, `${director.name} said 503 after it was ready`);
          assert.match(response.headers?.['retry-after'] ?? '', /^[1-9]\d*$/);
          assert.equal((response.body as { ready: boolean }).ready, false);
          counts.notReady++;
        } else {
          assert.equal(response.status, 200);
          const nodes = (response.body as { nodes: { name: string }[] }).nodes;
          assert.deepEqual(
            nodes.map((n) => n.name).sort(),
            NODES,
            `${director.name} answered with a partial list`,
          );
          counts.ready++;
        }
        if (health.status === 503) assert.ok(!wasReady, `${director.name} healthz 503 when ready`);
        else
          // The log line may reach us a little after the answer.
          await eventually(
            () => loggedEvent(director.output, 'director.ready'),
            `${director.name}: healthz 200 only once ready`,
            2000,
          );
      }
      const located = await locate('web', {
        directors: fleet.directors.map((d) => d.url),
        anycast: 'http://203.0.113.80/',
        timeoutMs: 2000,
      });
      clientSources.add(located.source);
      if (located.source === 'director') assert.equal(located.nodes.length, NODES.length);
      else assert.deepEqual(located.urls, ['http://203.0.113.80/']);
      if (
        allReadyAt === undefined &&
        fleet.directors.every((d) => loggedEvent(d.output, 'director.ready'))
      )
        allReadyAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const [name, counts] of answers) {
      assert.ok(counts.notReady > 0, `${name} was never seen catching up`);
      assert.ok(counts.ready > 0, `${name} never answered`);
    }
    assert.deepEqual([...clientSources].sort(), ['anycast', 'director']);
  });
});
