/**
 * sd_notify from `anycast-guard run` on loopback: a real AF_UNIX SOCK_DGRAM socket (a
 * python3 receiver, since Node's dgram cannot bind one) stands in for systemd.
 * READY=1 once started, WATCHDOG=1 every WATCHDOG_USEC/2, STOPPING=1 on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { loggedEvent } from '../../helpers/log-events.js';
import { eventually } from '../../helpers/raw-peer.js';
import { runFixture, type RunFixture } from '../../helpers/loopback.js';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

// Prints "bound", then one line per datagram: "<epoch ms> <CLOCK_MONOTONIC µs> <lines joined by |>".
const RECEIVER = `
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('bound', flush=True)
while True:
    data = s.recv(65536)
    print(int(time.time() * 1000), time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000, data.decode().replace('\\n', '|'), flush=True)
`;

interface Message {
  at: number;
  /** The receiver's CLOCK_MONOTONIC when the datagram arrived, in µs. */
  monotonicUsec: bigint;
  text: string;
}

function startReceiver(path: string): Promise<{ child: ChildProcess; messages: Message[] }> {
  const child = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: Message[] = [];
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.once('error', reject);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'bound') resolve({ child, messages });
        const match = /^(\d+) (\d+) (.*)$/.exec(line);
        // systemd-notify follows each message with its own BARRIER=1: not ours to check.
        if (match?.[1] && match[2] && match[3] !== undefined && match[3] !== 'BARRIER=1')
          messages.push({ at: Number(match[1]), monotonicUsec: BigInt(match[2]), text: match[3] });
      }
    });
  });
}

describe('systemd notifications', () => {
  let fixture: RunFixture;

  before(async () => {
    fixture = await runFixture(
      'notify',
      () => `
[services.unicast]
prefixes = ["203.0.113.99"]
announce = "always"
`,
    );
  });

  after(() => fixture.close());

  it('READY=1 once started, WATCHDOG=1 every WATCHDOG_USEC/2, STOPPING=1 on SIGTERM', async () => {
    const socketPath = join(fixture.dir, 'notify.sock');
    const receiver = await startReceiver(socketPath);
    try {
      const child = spawn(process.execPath, [CLI, 'run', '--config', fixture.configPath], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '400000' },
      });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));

      await eventually(() => receiver.messages.length > 0, 'READY=1', 10_000);
      assert.equal(receiver.messages[0]?.text, 'READY=1', output);
      // Started means the API is up and the BGP session configured: the socket exists.
      assert.ok(existsSync(join(fixture.dir, 'control.sock')), 'READY=1 before the API was up');

      await eventually(
        () => receiver.messages.filter((m) => m.text === 'WATCHDOG=1').length >= 5,
        'five WATCHDOG=1',
        10_000,
      );
      const pings = receiver.messages.filter((m) => m.text === 'WATCHDOG=1').map((m) => m.at);
      const gaps = pings.slice(1).map((at, i) => at - (pings[i] ?? at));
      // Every 200 ms on average (each ping is a helper process: single gaps jitter).
      const mean = ((pings.at(-1) ?? 0) - (pings[0] ?? 0)) / (pings.length - 1);
      assert.ok(mean > 150 && mean < 300, `watchdog gaps ${gaps.join(',')}`);
      await eventually(
        () => fixture.collector.receivedRoutes().some((r) => r.prefix === '203.0.113.99/32'),
        'the announcement',
        10_000,
      );

      child.kill('SIGTERM');
      assert.equal(await exit, 0, output);
      await eventually(
        () => receiver.messages.some((m) => m.text === 'STOPPING=1'),
        'STOPPING=1',
        5_000,
      );
      const texts = receiver.messages.map((m) => m.text);
      const stoppingAt = texts.indexOf('STOPPING=1');
      assert.ok(
        texts.slice(stoppingAt + 1).every((t) => t !== 'WATCHDOG=1' && t !== 'READY=1'),
        `after STOPPING=1: ${texts.join(',')}`,
      );
      assert.doesNotMatch(output, /sd_notify failed|systemd-notify failed/);
    } finally {
      receiver.child.kill();
    }
  });

  it('a reload is framed by RELOADING=1 with MONOTONIC_USEC and READY=1, a failed one too', async () => {
    const socketPath = join(fixture.dir, 'notify-reload.sock');
    const receiver = await startReceiver(socketPath);
    const good = await readFile(fixture.configPath, 'utf8');
    try {
      const child = spawn(process.execPath, [CLI, 'run', '--config', fixture.configPath], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NOTIFY_SOCKET: socketPath },
      });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      const texts = (): string[] => receiver.messages.map((m) => m.text);
      await eventually(() => texts().includes('READY=1'), 'READY=1', 10_000);

      /** SIGHUP, then the messages it causes once the second READY=1 is in. */
      const reload = async (): Promise<Message[]> => {
        const from = receiver.messages.length;
        child.kill('SIGHUP');
        await eventually(
          () => texts().slice(from).includes('READY=1'),
          'READY=1 after the reload',
          20_000,
        );
        return receiver.messages.slice(from);
      };
      const assertFramed = (sent: Message[]): void => {
        assert.deepEqual(
          sent.map((m) => m.text.replace(/MONOTONIC_USEC=\d+/, 'MONOTONIC_USEC=N')),
          ['RELOADING=1|MONOTONIC_USEC=N', 'READY=1'],
          output,
        );
        // The sender's CLOCK_MONOTONIC, taken before the datagram left: a little earlier.
        const usec = BigInt(/MONOTONIC_USEC=(\d+)/.exec(sent[0]?.text ?? '')?.[1] ?? '0');
        const lag = (sent[0]?.monotonicUsec ?? 0n) - usec;
        assert.ok(lag >= 0n && lag < 5_000_000n, `MONOTONIC_USEC ${usec} is ${lag} µs off`);
      };

      assertFramed(await reload());
      assert.ok(loggedEvent(output, 'config.reloaded'));
      await writeFile(fixture.configPath, `${good}\n[services.unicast.nope]\n`);
      assertFramed(await reload());
      assert.ok(loggedEvent(output, 'config.reload_failed'));

      child.kill('SIGTERM');
      assert.equal(await exit, 0, output);
    } finally {
      receiver.child.kill();
      await writeFile(fixture.configPath, good);
    }
  });

  it('without NOTIFY_SOCKET nothing is sent and the daemon runs as before', async () => {
    const env = { ...process.env };
    delete env.NOTIFY_SOCKET;
    const child = spawn(process.execPath, [CLI, 'run', '--config', fixture.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    await eventually(() => existsSync(join(fixture.dir, 'control.sock')), 'the API socket', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    assert.equal(await exit, 0, output);
    assert.doesNotMatch(output, /"component":"systemd"/);
  });

  it('a NOTIFY_SOCKET nobody listens on is logged, never fatal', async () => {
    const child = spawn(process.execPath, [CLI, 'run', '--config', fixture.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NOTIFY_SOCKET: join(fixture.dir, 'nobody.sock') },
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    await eventually(
      () => loggedEvent(output, 'systemd.notify_failed'),
      'the failure logged',
      10_000,
    );
    child.kill('SIGTERM');
    assert.equal(await exit, 0, output);
  });
});
