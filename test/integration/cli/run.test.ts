/**
 * `anycast-guard run` as a real process on loopback, with our collector as the router.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../../helpers/raw-peer.js';
import { runFixture, type RunFixture } from '../../helpers/loopback.js';

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
});
