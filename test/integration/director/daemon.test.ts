/**
 * `anycast-guard run` with [directors]: its ads reach a director at once on every
 * transition and at once at a clean stop (every service down), and when every
 * director is down it keeps announcing and keeps
 * following its service's health — announcing never depends on a director.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loggedEvent } from '../../helpers/log-events.js';
import { eventually } from '../../helpers/raw-peer.js';
import { runFixture, ToggleService, type RunFixture } from '../../helpers/loopback.js';
import { CLI, Fleet, freePort, getJson, type NodesAnswer } from './fleet.js';

const PREFIX = '203.0.113.80/32';
const execFileAsync = promisify(execFile);

describe('the daemon and its directors', () => {
  let fleet: Fleet;
  let fixture: RunFixture;
  const web = new ToggleService();
  let child: ChildProcess | undefined;
  let output = '';

  before(async () => {
    await web.start();
    fleet = await Fleet.create('daemon-directors');
    await fleet.makeKeys(['d1'], ['edge-1']);
    await fleet.defineDirectors(() => [{ name: 'd1', peers: [], intervalSeconds: 1 }], 1);
    await fleet.directors[0]!.start();
    const dead = `http://127.0.0.1:${await freePort()}`;
    fixture = await runFixture(
      'directors',
      () => `
[services.web]
prefixes = ["203.0.113.80"]
checks.http = [{ url = "http://127.0.0.1:${web.port}/", interval = 0.1, timeout = 0.1 }]
rise = 1
fall = 1
hold_down = 0

[directors]
urls = ["${fleet.directors[0]!.url}", "${dead}"]
key_file = "${fleet.dir}/node-edge-1.key"
name = "edge-1"
url = "http://127.0.1.1:8080/"
site = "ams"
interval = 0.5
ad_lifetime = 2
timeout = 0.5
`,
    );
  });

  after(async () => {
    child?.kill('SIGKILL');
    await web.stop();
    await fixture.close();
    await fleet.close();
  });

  const announced = (): boolean =>
    fixture.collector.receivedRoutes().some((r) => r.prefix === PREFIX);
  const stateAtDirector = async (): Promise<string | undefined> => {
    const { nodes } = await getJson<NodesAnswer>(`${fleet.directors[0]!.url}/v1/nodes`);
    return nodes.find((n) => n.name === 'edge-1')?.services.find((s) => s.name === 'web')?.state;
  };
  async function urlAtDirectorIs(url: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { nodes } = await getJson<NodesAnswer>(`${fleet.directors[0]!.url}/v1/nodes`);
      if (nodes.find((n) => n.name === 'edge-1')?.url === url) return;
      if (Date.now() > deadline) throw new Error(`the director never saw ${url}: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  async function directorSays(state: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await stateAtDirector()) !== state) {
      if (Date.now() > deadline) throw new Error(`the director never saw web ${state}: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  function start(): { child: ChildProcess; exit: Promise<number | null> } {
    const started = spawn(process.execPath, [CLI, 'run', '--config', fixture.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((resolve) =>
      started.once('exit', (code) => resolve(code)),
    );
    return { child: started, exit };
  }

  it('advertises every transition, says goodbye at stop, and keeps announcing while every director is down', async () => {
    const first = start();
    await eventually(announced, 'the route', 10_000);
    await directorSays('up');
    web.healthy = false;
    await eventually(() => !announced(), 'the withdrawal');
    await directorSays('down');
    web.healthy = true;
    await eventually(announced, 'the route again');
    await directorSays('up');

    // A clean stop tells the director at once (the ad would live 2 s more).
    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0, output);
    await directorSays('down');

    const second = start();
    await eventually(announced, 'the route after the restart', 10_000);
    await directorSays('up');

    // SIGHUP with a changed [directors]: the new ad replaces the old at once.
    const text = await readFile(fixture.configPath, 'utf8');
    await writeFile(
      fixture.configPath,
      text.replace('http://127.0.1.1:8080/', 'http://127.0.1.2:8080/'),
    );
    second.child.kill('SIGHUP');
    await urlAtDirectorIs('http://127.0.1.2:8080/');
    // A reload whose key cannot be read changes nothing, and advertising goes on.
    await writeFile(
      fixture.configPath,
      text.replace(`${fleet.dir}/node-edge-1.key`, `${fixture.dir}/gone.key`),
    );
    second.child.kill('SIGHUP');
    await eventually(() => loggedEvent(output, 'config.reload_failed'), 'the refused reload');
    await urlAtDirectorIs('http://127.0.1.2:8080/');
    assert.ok(announced());
    await writeFile(fixture.configPath, text);

    // Every director down: one was never there, now the other goes too.
    await fleet.directors[0]!.kill('SIGKILL');
    const watchUntil = Date.now() + 3000; // six ad intervals, longer than an ad lives
    while (Date.now() < watchUntil) {
      assert.ok(announced(), 'the route went while the directors were down');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Health still rules: break and mend with no director anywhere.
    web.healthy = false;
    await eventually(() => !announced(), 'the withdrawal without directors');
    web.healthy = true;
    await eventually(announced, 'the route without directors', 10_000);
    assert.match(output, /cannot send ads: retrying with backoff/);
    // And the operator sees it: status lists both directors as not reachable.
    const status = await execFileAsync(process.execPath, [
      CLI,
      'status',
      '--socket',
      `${fixture.dir}/control.sock`,
    ]);
    assert.match(status.stdout, /^DIRECTOR +STATE +SENT +FAILURES$/m);
    assert.equal(
      (status.stdout.match(/^http:\/\/127\.0\.0\.1:\d+ +failing +\d+ +[1-9]\d*$/gm) ?? []).length,
      2,
      status.stdout,
    );

    second.child.kill('SIGTERM');
    assert.equal(await second.exit, 0, output);
    child = undefined;
  });

  it('a missing key file stops the start before anything is announced', async () => {
    const text = await readFile(fixture.configPath, 'utf8');
    const path = join(fixture.dir, 'no-key.toml');
    await writeFile(
      path,
      text
        .replace(`${fleet.dir}/node-edge-1.key`, `${fixture.dir}/missing.key`)
        .replace(/socket = ".*"/, `socket = "${fixture.dir}/no-key.sock"`),
    );
    const before = fixture.collector.peerStatus()[0]?.establishedCount ?? 0;
    const result = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const started = spawn(process.execPath, [CLI, 'run', '--config', path], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      started.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
      started.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
      started.once('exit', (code) => resolve({ code, text }));
    });
    assert.equal(result.code, 1, result.text);
    assert.match(result.text, /cannot read the key file .*missing\.key: ENOENT/);
    assert.equal(
      fixture.collector.peerStatus()[0]?.establishedCount ?? 0,
      before,
      'it touched BGP',
    );
  });

  it('with [directors] probe, its status says what the directors see from outside, and the route stays', async () => {
    await fleet.directors[0]!.start();
    const text = await readFile(fixture.configPath, 'utf8');
    const path = join(fixture.dir, 'probe.toml');
    // Its url (127.0.1.1:8080) has nothing listening: the director cannot reach it.
    await writeFile(
      path,
      text
        .replace(
          'timeout = 0.5\n',
          'timeout = 0.5\nprobe = { path = "/health", interval = 1, timeout = 0.5 }\n',
        )
        .replace(/socket = ".*"/, `socket = "${fixture.dir}/probe.sock"`),
    );
    output = '';
    const started = spawn(process.execPath, [CLI, 'run', '--config', path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => started.once('exit', (c) => resolve(c)));
    await eventually(announced, 'the route', 10_000);
    await eventually(
      () => loggedEvent(fleet.directors[0]!.output, 'director.node_unreachable'),
      'the director to give up on reaching edge-1',
      15_000,
    );
    // The node reads it from a director every interval.
    let status = '';
    const deadline = Date.now() + 15_000;
    while (!/^from outside: unreachable/m.test(status)) {
      assert.ok(Date.now() < deadline, `the node never heard it: ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (
        await execFileAsync(process.execPath, [
          CLI,
          'status',
          '--socket',
          `${fixture.dir}/probe.sock`,
        ])
      ).stdout;
    }
    assert.match(
      status,
      /^from outside: unreachable from 1 of 1 directors \(d1\): clients are not sent here$/m,
    );
    const { nodes } = await getJson<{ nodes: { name: string }[] }>(
      `${fleet.directors[0]!.url}/v1/locate/web`,
    );
    assert.deepEqual(nodes, [], 'left out of locate');
    assert.ok(announced(), 'a director never takes the route away');
    started.kill('SIGTERM');
    assert.equal(await exit, 0, output);
    child = undefined;
  });
});
