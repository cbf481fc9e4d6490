/**
 * The daemon's log: JSON when stdout is not a terminal, readable lines from formatRecord,
 * and the level changed at run time — SIGUSR1 one step more verbose, SIGUSR2 one less —
 * checked on `anycast-guard run` as a child process on loopback.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { formatRecord, stepLevel } from '../../../src/log/index.js';
import { eventually } from '../../helpers/raw-peer.js';
import { runFixture, type RunFixture } from '../../helpers/loopback.js';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

type Rec = Record<string, unknown>;

describe('log', () => {
  it('stepLevel: info → debug → trace, clamped at both ends', () => {
    assert.equal(stepLevel('info', 1), 'debug');
    assert.equal(stepLevel('debug', 1), 'trace');
    assert.equal(stepLevel('trace', 1), 'trace');
    assert.equal(stepLevel('info', -1), 'warn');
    assert.equal(stepLevel('fatal', -1), 'fatal');
    assert.equal(stepLevel('silent', 1), 'debug');
  });

  it('formatRecord: time, level, component, message, fields; non-JSON passes through', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      pid: 1,
      component: 'bgp',
      msg: 'session down',
      peer: '198.18.0.2',
      reason: 'hold timer expired',
      count: 2,
    });
    assert.equal(
      formatRecord(line),
      '03:04:05.678 WARN  [bgp] session down peer=198.18.0.2 reason="hold timer expired" count=2\n',
    );
    assert.ok(formatRecord(line, true).includes('\x1b[33mWARN '));
    assert.equal(formatRecord('not json'), 'not json\n');
  });

  describe('anycast-guard run', () => {
    let fixture: RunFixture;

    before(async () => {
      fixture = await runFixture(
        'log',
        (dir) => `
[services.web]
prefixes = ["203.0.113.99"]
checks.file = [{ path = "${dir}/disable-web", interval = 0.1 }]
rise = 1
fall = 1
hold_down = 0
`,
      );
    });

    after(() => fixture.close());

    it('JSON on a pipe; SIGUSR1 brings debug lines, SIGUSR2 takes them away', async () => {
      const child = spawn(
        process.execPath,
        [CLI, 'run', '--config', fixture.configPath, '--log-level', 'info'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      const lines = (): string[] => stdout.split('\n').filter((l) => l !== '');
      // Every line is pino JSON: stdout is a pipe.
      const records = (from = 0): Rec[] =>
        lines()
          .slice(from)
          .map((l) => JSON.parse(l) as Rec);
      const isDebugCheck = (r: Rec): boolean => r.event === 'check.result' && r.level === 20;
      try {
        await eventually(
          () => records().some((r) => r.event === 'route.announced'),
          'the announcement',
          10_000,
        );
        // At info, checks every 100 ms log nothing.
        await new Promise((resolve) => setTimeout(resolve, 400));
        assert.equal(records().filter((r) => (r.level as number) < 30).length, 0, stdout);

        // SIGUSR1: debug — check results appear.
        let mark = lines().length;
        child.kill('SIGUSR1');
        await eventually(
          () => records(mark).some(isDebugCheck),
          'debug check results after SIGUSR1',
          5_000,
        );
        const toDebug = records(mark).find((r) => r.event === 'log.level_changed');
        assert.equal(toDebug?.from, 'info');
        assert.equal(toDebug?.signal, 'SIGUSR1');

        // SIGUSR1 again: trace; once more: still trace.
        child.kill('SIGUSR1');
        await eventually(
          () => records(mark).filter((r) => r.event === 'log.level_changed').length >= 2,
          'second change',
          5_000,
        );
        child.kill('SIGUSR1');
        await eventually(
          () => records(mark).filter((r) => r.event === 'log.level_changed').length >= 3,
          'third change',
          5_000,
        );
        const changes = records(mark).filter((r) => r.event === 'log.level_changed');
        assert.deepEqual(
          changes.map((r) => [r.from, r.to]),
          [
            ['info', 'debug'],
            ['debug', 'trace'],
            ['trace', 'trace'],
          ],
        );

        // SIGUSR2 twice: back to info — the debug lines stop.
        mark = lines().length;
        child.kill('SIGUSR2');
        await eventually(
          () => records(mark).some((r) => r.event === 'log.level_changed'),
          'SIGUSR2 to debug',
          5_000,
        );
        child.kill('SIGUSR2');
        await eventually(
          () =>
            records(mark).some(
              (r) => r.event === 'log.level_changed' && r.from === 'debug' && r.to === 'info',
            ),
          'SIGUSR2 to info',
          5_000,
        );
        const atInfo = lines().length;
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(
          records(atInfo).filter((r) => (r.level as number) < 30).length,
          0,
          lines().slice(atInfo).join('\n'),
        );
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exit, 0, stderr);
      assert.doesNotMatch(stderr, /Debugger listening/);
    });
  });
});
