import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execCheck, createExecCheck } from '../../../src/checks/exec.js';
import { runCheck } from '../../../src/checks/runner.js';
import { common, eventually, isAlive, runOnce, tempDir } from './helpers.js';

function exec(input: unknown, timeout = 5, options: { killGraceMs?: number } = {}) {
  const spec = execCheck.schema.parse(input);
  return createExecCheck(spec, common('exec', timeout), options);
}

describe('exec check', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await tempDir('exec');
  });
  after(async () => {
    await dir.remove();
  });

  it('passes on exit 0', async () => {
    const result = await runOnce(exec({ command: ['/bin/sh', '-c', 'exit 0'] }));
    assert.equal(result.ok, true);
    assert.match(result.reason, /^exit 0 in \d+ ms$/);
  });

  it('fails on another exit status with the output as the reason', async () => {
    const result = await runOnce(
      exec({ command: `/bin/sh -c 'echo "backend down" >&2; echo to-stdout; exit 3'` }),
    );
    assert.equal(result.ok, false);
    assert.match(result.reason, /^exit 3 after \d+ ms: /);
    assert.match(result.reason, /backend down/);
    assert.match(result.reason, /to-stdout/);
  });

  it('keeps only the last KiB of output', async () => {
    const result = await runOnce(
      exec({
        command: [
          '/bin/sh',
          '-c',
          'i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done; exit 1',
        ],
      }),
    );
    assert.equal(result.ok, false);
    assert.match(result.reason, /line 499$/);
    assert.doesNotMatch(result.reason, /line 0\n/);
    const output = result.reason.slice(result.reason.indexOf(': ') + 2);
    assert.ok(output.startsWith('…'), 'marks the cut');
    assert.ok(Buffer.byteLength(output) <= 1024 + 3, `kept ${Buffer.byteLength(output)} bytes`);
  });

  it('passes env and cwd, without a shell: arguments reach the program as written', async () => {
    const result = await runOnce(
      exec({
        command: `/bin/sh -c 'printf "%s|%s|%s" "$GREETING" "$(pwd)" "$1" > out.txt; exit 0' sh '$HOME; not expanded'`,
        env: { GREETING: 'hello' },
        cwd: dir.path,
      }),
    );
    assert.equal(result.ok, true, result.reason);
    const written = await readFile(join(dir.path, 'out.txt'), 'utf8');
    assert.equal(written, `hello|${dir.path}|$HOME; not expanded`);
  });

  it('names the missing program, or the missing cwd', async () => {
    const missing = await runOnce(exec({ command: ['/nonexistent/health-probe', '-v'] }));
    assert.deepEqual(
      [missing.ok, missing.reason],
      [false, 'cannot run "/nonexistent/health-probe": no such file or directory (ENOENT)'],
    );
    const badCwd = await runOnce(exec({ command: ['/bin/true'], cwd: join(dir.path, 'nope') }));
    assert.equal(badCwd.ok, false);
    assert.equal(
      badCwd.reason,
      `cannot run "/bin/true": cwd "${join(dir.path, 'nope')}" does not exist (ENOENT)`,
    );
  });

  it('refuses to run a file that is not executable', async () => {
    const script = join(dir.path, 'not-executable.sh');
    await writeFile(script, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const result = await runOnce(exec({ command: [script] }));
    assert.deepEqual(
      [result.ok, result.reason],
      [false, `cannot run "${script}": permission denied (EACCES)`],
    );
  });

  it('reports a death by signal', async () => {
    const result = await runOnce(exec({ command: ['/bin/sh', '-c', 'kill -USR1 $$'] }));
    assert.equal(result.ok, false);
    assert.match(result.reason, /^killed by SIGUSR1 after \d+ ms: \(no output\)$/);
  });

  it('at the timeout kills the whole process group, grandchildren included', async () => {
    const pidFile = join(dir.path, 'grandchild.pid');
    // sh starts a grandchild that sleeps, records its pid, and both hang.
    const check = exec({ command: ['/bin/sh', '-c', `sleep 300 & echo $! > ${pidFile}; wait`] }, 1);
    const result = await runCheck(check);
    assert.deepEqual([result.ok, result.reason], [false, 'timed out after 1 s']);
    const pid = Number(await readFile(pidFile, 'utf8'));
    assert.ok(pid > 0);
    await eventually(() => !isAlive(pid), `grandchild ${pid} to die`);
  });

  it('follows SIGTERM with SIGKILL for a group that ignores SIGTERM', async () => {
    const pidFile = join(dir.path, 'stubborn.pid');
    // Ignored signals stay ignored across exec, so the sleeping grandchild ignores SIGTERM too.
    const check = exec(
      { command: ['/bin/sh', '-c', `trap '' TERM; sleep 300 & echo $! > ${pidFile}; wait; wait`] },
      0.5,
      { killGraceMs: 200 },
    );
    const result = await runCheck(check);
    assert.equal(result.reason, 'timed out after 0.5 s');
    const pid = Number(await readFile(pidFile, 'utf8'));
    await eventually(() => !isAlive(pid), `stubborn grandchild ${pid} to be killed`);
  });

  it('kills what a finished command left running in its group', async () => {
    const pidFile = join(dir.path, 'leftover.pid');
    const result = await runOnce(
      exec({
        command: ['/bin/sh', '-c', `sleep 300 > /dev/null 2>&1 & echo $! > ${pidFile}; exit 0`],
      }),
    );
    assert.equal(result.ok, true, result.reason);
    const pid = Number(await readFile(pidFile, 'utf8'));
    await eventually(() => !isAlive(pid), `leftover ${pid} to die`);
  });
});
