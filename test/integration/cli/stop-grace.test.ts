/**
 * `[daemon] stop_grace`: `anycast-guard run` as a real process on loopback, our collector as
 * the router. SIGTERM re-announces with GRACEFUL_SHUTDOWN (65535:0), then withdraws and
 * exits 0; a second SIGTERM ends the wait.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { eventually } from '../../helpers/raw-peer.js';
import { runFixture, type RunFixture } from '../../helpers/loopback.js';
import { loggedEvent } from '../../helpers/log-events.js';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const GSHUT = 'graceful-shutdown';

function run(configPath: string): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

describe('[daemon] stop_grace', () => {
  let fixture: RunFixture;
  const start = async (grace: number) => {
    fixture = await runFixture(
      'stop-grace',
      () => `
[daemon]
stop_grace = ${grace}

[services.unicast]
prefixes = ["203.0.113.99"]
announce = "always"

[services.off]
prefixes = ["203.0.113.98"]
checks.exec = [{ command = ["/bin/false"], interval = 0.1 }]
`,
    );
  };
  afterEach(() => fixture.close());

  const route = () =>
    fixture.collector.receivedRoutes().find((r) => r.prefix === '203.0.113.99/32');

  it('SIGTERM marks the routes with 65535:0 first; a second SIGTERM withdraws now and exits 0', async () => {
    await start(600);
    const daemon = run(fixture.configPath);
    try {
      await eventually(() => route(), 'the route', 10_000);
      assert.deepEqual(route()?.communities, []);
      daemon.child.kill('SIGTERM');
      await eventually(() => route()?.communities.includes(GSHUT), 'GRACEFUL_SHUTDOWN', 10_000);
      // Logged once the wait has begun: only then is a second signal a skip.
      await eventually(() => loggedEvent(daemon.output(), 'daemon.stop_grace'), 'the wait');
      // Still draining (600 s): the second signal ends the wait.
      daemon.child.kill('SIGTERM');
      assert.equal(await daemon.exit, 0, daemon.output());
      assert.ok(loggedEvent(daemon.output(), 'daemon.stop_grace_skipped'), daemon.output());
      await eventually(() => fixture.collector.receivedRoutes().length === 0, 'the withdrawal');
      const cease = fixture.collector.peerStatus()[0]?.lastErrorReceived;
      assert.deepEqual([cease?.code, cease?.subcode], [6, 2]);
    } finally {
      daemon.child.kill('SIGKILL');
    }
  });

  it('the wait ends on its own: withdrawn, exit 0, and nothing left drained on disk', async () => {
    await start(0.5);
    const daemon = run(fixture.configPath);
    try {
      await eventually(() => route(), 'the route', 10_000);
      daemon.child.kill('SIGTERM');
      await eventually(() => route()?.communities.includes(GSHUT), 'GRACEFUL_SHUTDOWN', 10_000);
      assert.equal(await daemon.exit, 0, daemon.output());
      assert.ok(!loggedEvent(daemon.output(), 'daemon.stop_grace_skipped'));
      await eventually(() => fixture.collector.receivedRoutes().length === 0, 'the withdrawal');
      assert.equal(
        existsSync(join(fixture.dir, 'drained.json')),
        false,
        'a stop drains in memory only',
      );
    } finally {
      daemon.child.kill('SIGKILL');
    }
  });
});
