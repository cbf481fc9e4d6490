/**
 * `anycast-guard run` with fleet_guard, asking a real director (a process on loopback)
 * through the PermitClient NodeDirectors builds: two other nodes (advertisers in this
 * process) list the service down, so the node's judged failure is refused and it stays
 * announced, guarded (status, the director's view); once the others are back up, the
 * next round's permit withdraws it; mended, it returns.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { loggedEvent } from '../../helpers/log-events.js';
import { eventually } from '../../helpers/raw-peer.js';
import { runFixture, ToggleService, type RunFixture } from '../../helpers/loopback.js';
import { CLI, Fleet, getJson, type NodesAnswer } from '../director/fleet.js';

const PREFIX = '203.0.113.80/32';
/** 65535:0 as the collector names it (RFC 8326). */
const GSHUT = 'graceful-shutdown';
const execFileAsync = promisify(execFile);

describe('anycast-guard run with a fleet guard and a real director', () => {
  let fleet: Fleet;
  let fixture: RunFixture;
  const web = new ToggleService();
  let child: ChildProcess | undefined;
  let output = '';

  before(async () => {
    await web.start();
    fleet = await Fleet.create('fleet-guard-run');
    await fleet.makeKeys(['d1'], ['edge-1', 'n2', 'n3']);
    await fleet.defineDirectors(() => [{ name: 'd1', peers: [], intervalSeconds: 1 }], 1);
    await fleet.directors[0]!.start();
    fixture = await runFixture(
      'fleet-guard-run',
      () => `
[services.web]
prefixes = ["203.0.113.80"]
checks.http = [{ name = "upstream", url = "http://127.0.0.1:${web.port}/", interval = 0.1, timeout = 0.5 }]
rise = 1
fall = 1
hold_down = 0
fleet_guard = { min_announcing = 2 }

[directors]
urls = ["${fleet.directors[0]!.url}"]
key_file = "${fleet.dir}/node-edge-1.key"
name = "edge-1"
url = "http://127.0.1.1:8080/"
interval = 0.5
ad_lifetime = 2
timeout = 1
`,
    );
    fleet.addNodes(['n2', 'n3'], [fleet.directors[0]!.url], { intervalMs: 300 });
  });

  after(async () => {
    child?.kill('SIGKILL');
    await web.stop();
    await fixture.close();
    await fleet.close();
  });

  const route = () => fixture.collector.receivedRoutes().find((r) => r.prefix === PREFIX);
  const statesAtDirector = async (): Promise<Record<string, string | undefined>> => {
    const { nodes } = await getJson<NodesAnswer>(`${fleet.directors[0]!.url}/v1/nodes`);
    return Object.fromEntries(
      nodes.map((n) => [n.name, n.services.find((s) => s.name === 'web')?.state]),
    );
  };
  async function directorSees(want: Record<string, string>): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const seen = await statesAtDirector();
      if (Object.entries(want).every(([node, state]) => seen[node] === state)) return;
      if (Date.now() > deadline)
        throw new Error(`the director saw ${JSON.stringify(seen)}, not ${JSON.stringify(want)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const directorReady = () =>
    eventually(
      async () => (await fetch(`${fleet.directors[0]!.url}/healthz`)).status === 200,
      'the director ready',
      10_000,
    );
  const setOthers = (state: 'up' | 'down'): void => {
    for (const node of fleet.nodes)
      node.services = [{ name: 'web', state, prefixes: ['203.0.113.80/32'] }];
  };

  it('refused: guarded and announced; the others back: the permit withdraws it', async () => {
    child = spawn(process.execPath, [CLI, 'run', '--config', fixture.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child?.once('exit', resolve));

    await eventually(() => route(), 'the route', 10_000);
    setOthers('down');
    await directorSees({ 'edge-1': 'up', n2: 'down', n3: 'down' });
    // A director still catching up answers 503, which the node reads as unreachable.
    await directorReady();

    // Alone announcing, min 2: the director refuses, the route stays (less preferred).
    web.healthy = false;
    await eventually(() => loggedEvent(output, 'guard.permit_refused'), 'the refusal', 10_000);
    await eventually(() => route()?.communities.includes(GSHUT), 'GRACEFUL_SHUTDOWN', 10_000);
    await directorSees({ 'edge-1': 'guarded' });
    const status = await execFileAsync(process.execPath, [
      CLI,
      'status',
      '--socket',
      `${fixture.dir}/control.sock`,
    ]);
    assert.match(status.stdout, /^web +guarded /m);
    assert.match(status.stdout, /^ {2}! guarded \(1 of 3 announcing, min 2\): /m);

    // The others are back: the next round (within a second) is granted; it withdraws.
    setOthers('up');
    await eventually(() => route() === undefined, 'the withdrawal with the permit', 10_000);
    assert.ok(loggedEvent(output, 'guard.permit_granted'), output);
    await directorSees({ 'edge-1': 'down' });

    web.healthy = true;
    await eventually(() => route()?.communities.includes(GSHUT) === false, 'back, plain');

    child.kill('SIGTERM');
    assert.equal(await exit, 0, output);
    child = undefined;
  });
});
