/**
 * `anycast-guard run` as a real process on loopback, with our collector as the router.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../helpers/raw-peer.js';
import { runFixture, type RunFixture } from '../../helpers/loopback.js';
import { loggedEvent } from '../../helpers/log-events.js';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function run(configPath: string): Run {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

describe('anycast-guard run', () => {
  let fixture: RunFixture;

  before(async () => {
    fixture = await runFixture(
      'run',
      () => `
[services.unicast]
prefixes = ["203.0.113.99"]
announce = "always"
`,
    );
  });

  after(() => fixture.close());

  it('a second instance fails on the API socket before it touches BGP; SIGTERM withdraws and exits 0', async () => {
    const first = run(fixture.configPath);
    try {
      await eventually(
        () => fixture.collector.receivedRoutes().some((r) => r.prefix === '203.0.113.99/32'),
        'the first instance to announce',
        10_000,
      );
      const second = run(fixture.configPath);
      const code = await second.exit;
      assert.equal(code, 1, second.output());
      assert.match(second.output(), /control\.sock is in use: is another anycast-guard running\?/);
      // No BGP activity at all: not even a connection attempt (the old order made one).
      assert.doesNotMatch(second.output(), /"component":"bgp"/, 'the second instance touched BGP');
      assert.equal(
        fixture.collector.peerStatus()[0]?.establishedCount,
        1,
        'the router saw no second session',
      );
      assert.equal(fixture.collector.peerStatus()[0]?.state, 'established');

      first.child.kill('SIGTERM');
      assert.equal(await first.exit, 0, first.output());
      await eventually(() => fixture.collector.receivedRoutes().length === 0, 'the withdrawal');
      const cease = fixture.collector.peerStatus()[0]?.lastErrorReceived;
      assert.deepEqual([cease?.code, cease?.subcode], [6, 2]);
      assert.match(cease?.shutdownMessage ?? '', /SIGTERM/);
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  it('a reload with a huge file, a huge value or 100,000 unknown keys is refused at once, briefly, and the running config stays', async () => {
    const daemon = run(fixture.configPath);
    const good = await readFile(fixture.configPath, 'utf8');
    const announced = (): boolean =>
      fixture.collector.receivedRoutes().some((r) => r.prefix === '203.0.113.99/32');
    const records = (): Record<string, unknown>[] =>
      daemon
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    /** Writes `text`, sends SIGHUP and returns the failed-reload record it causes. */
    const refusedReload = async (text: string): Promise<Record<string, unknown>> => {
      const before = records().filter((r) => r.event === 'config.reload_failed').length;
      await writeFile(fixture.configPath, text);
      daemon.child.kill('SIGHUP');
      await eventually(
        () => records().filter((r) => r.event === 'config.reload_failed').length > before,
        'the refused reload',
        20_000,
      );
      const failed = records().filter((r) => r.event === 'config.reload_failed')[before]!;
      assert.ok(announced(), 'the route stayed through the refused reload');
      return failed;
    };
    try {
      await eventually(announced, 'the route', 10_000);
      // 2 MiB: over the cap, refused unread, by name with its size and the cap.
      const huge = await refusedReload(
        `${good}\n[log]\nlevel = "${'x'.repeat(2 * 1024 * 1024)}"\n`,
      );
      assert.match(
        String(huge.err),
        /config\.toml: the file is 2 MiB \(\d+ bytes\), larger than the cap of 1 MiB \(1048576 bytes\)/,
      );
      assert.ok(JSON.stringify(huge).length < 2000, 'the log line is short');
      // 900 KB in one value, under the cap: refused, the value cut in the message.
      const long = await refusedReload(`${good}\n[log]\nlevel = "${'x'.repeat(900_000)}"\n`);
      assert.match(String(long.err), /log\.level: must be .*, got "x{64}"… \(900000 characters\)/);
      assert.ok(JSON.stringify(long).length < 2000, 'the log line is short');
      // 100,000 unknown keys (under the cap): 50 listed, then one line counting the rest.
      const keys = Array.from({ length: 100_000 }, (_, i) => `k${i}=1`).join('\n');
      const many = await refusedReload(`${good}\n[log]\n${keys}\n`);
      const lines = String(many.err).split('\n');
      assert.equal(lines.length, 51, lines.slice(0, 3).join('\n'));
      assert.match(lines[0]!, /: log\.k0: unknown key$/);
      assert.match(lines[50]!, /config\.toml: and 99950 more problems$/);
      // The running configuration is still the one in force, and a good file reloads.
      await writeFile(fixture.configPath, good);
      daemon.child.kill('SIGHUP');
      await eventually(
        () => records().some((r) => r.event === 'config.reloaded'),
        'the good reload',
        20_000,
      );
      assert.ok(announced());
      daemon.child.kill('SIGTERM');
      assert.equal(await daemon.exit, 0, daemon.output().slice(-2000));
    } finally {
      daemon.child.kill('SIGKILL');
      await writeFile(fixture.configPath, good);
    }
  });

  it('a reload forgets the drain of a service it removes, and moves the API socket', async () => {
    const services = `
[services.unicast]
prefixes = ["203.0.113.98"]
announce = "always"
[services.old]
prefixes = ["203.0.113.97"]
announce = "always"
`;
    const own = await runFixture('drain-reload', () => services);
    const drainFile = join(own.dir, 'drained.json');
    const drained = (): Promise<Record<string, unknown>> =>
      readFile(drainFile, 'utf8').then(
        (text) => (JSON.parse(text) as { drained: Record<string, unknown> }).drained,
      );
    await writeFile(
      drainFile,
      JSON.stringify({ version: 1, drained: { old: { reason: 'maintenance', at: 1 } } }),
    );
    const daemon = run(own.configPath);
    try {
      await eventually(
        () => own.collector.receivedRoutes().some((r) => r.prefix === '203.0.113.98/32'),
        'the undrained service',
        10_000,
      );
      assert.ok(!own.collector.receivedRoutes().some((r) => r.prefix === '203.0.113.97/32'));
      const text = await readFile(own.configPath, 'utf8');
      // The same reload moves the API socket.
      const moved = text
        .slice(0, text.indexOf('[services.old]'))
        .replace('control.sock', 'moved.sock');
      await writeFile(own.configPath, moved);
      daemon.child.kill('SIGHUP');
      await eventually(
        () => loggedEvent(daemon.output(), 'service.drain_forgotten'),
        'the drain of the removed service to be forgotten',
        20_000,
      );
      assert.deepEqual(Object.keys(await drained()), [], 'the file no longer drains "old"');
      await eventually(() => loggedEvent(daemon.output(), 'api.moved'), 'the API to move', 5_000);
      assert.ok(existsSync(join(own.dir, 'moved.sock')), 'the API listens on the new socket');
      assert.ok(!existsSync(join(own.dir, 'control.sock')), 'the old socket is gone');
      daemon.child.kill('SIGTERM');
      assert.equal(await daemon.exit, 0, daemon.output().slice(-2000));
    } finally {
      daemon.child.kill('SIGKILL');
      await own.close();
    }
  });
});
