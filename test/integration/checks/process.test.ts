/**
 * The process check against real processes: pidfds held through the FFI and one
 * worker thread; exits noticed through the real scheduler with a 60 s interval, so
 * only the watch can have run the check.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckScheduler } from '../../../src/checks/scheduler.js';
import { createProcessCheck, pidsByName } from '../../../src/checks/process.js';
import type { CheckResult, HealthCheck } from '../../../src/checks/types.js';
import { eventually, runOnce, tempDir } from './helpers.js';

const common = { name: 'proc', interval: 60, timeout: 5 };

function sleeper(argv0?: string): ChildProcess {
  return spawn('sleep', ['600'], { stdio: 'ignore', ...(argv0 === undefined ? {} : { argv0 }) });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

function schedule(check: HealthCheck) {
  const results: CheckResult[] = [];
  const scheduler = new CheckScheduler({
    splay: () => 0,
    checks: [check],
    onResult: (_c, result) => results.push(result),
  });
  scheduler.start();
  return { scheduler, results };
}

describe('process check', () => {
  let dir: { path: string; remove(): Promise<void> };
  const children: ChildProcess[] = [];
  before(async () => {
    dir = await tempDir('process');
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await dir.remove();
  });

  it('pidfile: up while the process lives; SIGKILL fails it at once, fail_fast, trigger watch', async () => {
    const child = sleeper();
    children.push(child);
    const pidfile = join(dir.path, 'a.pid');
    await writeFile(pidfile, `${child.pid}\n`);
    const check = createProcessCheck({ pidfile, fail_fast: true }, common);
    const { scheduler, results } = schedule(check);
    try {
      await eventually(() => results[0], 'the first run');
      assert.equal(results[0]?.ok, true, results[0]?.reason);
      child.kill('SIGKILL');
      const failed = await eventually(() => results.find((r) => !r.ok), 'the exit noticed');
      assert.equal(failed.trigger, 'watch');
      assert.equal(failed.failFast, true);
      assert.match(failed.reason, /exited/);
    } finally {
      await scheduler.stop();
    }
  });

  it('pidfile rewritten (a restart): the new process is watched, the old one forgotten', async () => {
    const first = sleeper();
    children.push(first);
    const pidfile = join(dir.path, 'b.pid');
    await writeFile(pidfile, `${first.pid}\n`);
    const check = createProcessCheck({ pidfile, fail_fast: true }, common);
    const { scheduler, results } = schedule(check);
    try {
      await eventually(() => results[0], 'the first run');
      const second = sleeper();
      children.push(second);
      await writeFile(pidfile, `${second.pid}\n`);
      // The old process exits: its exit wakes the check, which finds the new one.
      first.kill('SIGKILL');
      const woken = await eventually(
        () => results.find((r) => r.trigger === 'watch'),
        'the run the exit woke',
      );
      assert.equal(woken.ok, true, woken.reason);
      assert.match(woken.reason, new RegExp(`pid ${second.pid}`));
      second.kill('SIGKILL');
      const failed = await eventually(() => results.find((r) => !r.ok), 'the new one exiting');
      assert.equal(failed.failFast, true);
    } finally {
      await scheduler.stop();
    }
  });

  it('not there at start: failed by the interval run, counting fall (no failFast)', async () => {
    const check = createProcessCheck(
      { pidfile: join(dir.path, 'absent.pid'), fail_fast: true },
      common,
    );
    const { scheduler, results } = schedule(check);
    try {
      const first = await eventually(() => results[0], 'the first run');
      assert.equal(first.ok, false);
      assert.match(first.reason, /absent/);
      assert.equal(first.trigger, 'interval');
      assert.equal(first.failFast, undefined);
    } finally {
      await scheduler.stop();
    }
  });

  it('a pidfile naming a pid that a later process reuses is not that process', async () => {
    const child = sleeper();
    children.push(child);
    const pidfile = join(dir.path, 'stale.pid');
    await writeFile(pidfile, `${child.pid}\n`);
    // As if written long before this process started: the pid was reused.
    const past = new Date(Date.now() - 3600_000);
    await utimes(pidfile, past, past);
    const result = await runOnce(createProcessCheck({ pidfile, fail_fast: true }, common));
    assert.equal(result.ok, false);
    assert.match(result.reason, /pid was reused/);
  });

  it('a zombie (exited, not reaped) counts as gone', async () => {
    // A shell whose child exits but is never waited for: exec replaces the shell with
    // sleep, which does not reap.
    const parent = spawn('sh', ['-c', 'sleep 0 & exec sleep 600'], { stdio: 'ignore' });
    children.push(parent);
    const zombie = await eventually(async () => {
      const { readdir, readFile } = await import('node:fs/promises');
      for (const task of await readdir(`/proc/${parent.pid}/task`).catch(() => [])) {
        const kids = await readFile(`/proc/${parent.pid}/task/${task}/children`, 'utf8').catch(
          () => '',
        );
        for (const pid of kids.trim().split(/\s+/).filter(Boolean)) {
          const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
          if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return Number(pid);
        }
      }
      return undefined;
    }, 'a zombie child');
    const pidfile = join(dir.path, 'zombie.pid');
    await writeFile(pidfile, `${zombie}\n`);
    const result = await runOnce(createProcessCheck({ pidfile, fail_fast: true }, common));
    assert.equal(result.ok, false, result.reason);
  });

  it('name: matches argv[0] exactly; the exit of the last one fails fast', async () => {
    const name = `ag-test-${process.pid}-${Date.now()}`;
    assert.deepEqual(await pidsByName('/proc', name), []);
    const one = sleeper(name);
    const two = sleeper(name);
    children.push(one, two);
    await eventually(async () => (await pidsByName('/proc', name)).length === 2, 'both found');
    assert.deepEqual(await pidsByName('/proc', name.slice(0, -1)), [], 'exact, not a prefix');
    const check = createProcessCheck({ name, fail_fast: true }, common);
    const { scheduler, results } = schedule(check);
    try {
      await eventually(() => results[0], 'the first run');
      assert.equal(results[0]?.ok, true);
      one.kill('SIGKILL');
      const stillUp = await eventually(
        () => results.find((r) => r.trigger === 'watch'),
        'the first exit noticed',
      );
      assert.equal(stillUp.ok, true, 'the other one still runs');
      two.kill('SIGKILL');
      const failed = await eventually(() => results.find((r) => !r.ok), 'the last exit');
      assert.equal(failed.trigger, 'watch');
      assert.equal(failed.failFast, true);
      await Promise.all([exited(one), exited(two)]);
    } finally {
      await scheduler.stop();
    }
  });

  it('stopped watches close their pidfds (and the worker its eventfd)', async () => {
    const child = sleeper();
    children.push(child);
    const pidfile = join(dir.path, 'fds.pid');
    await writeFile(pidfile, `${child.pid}\n`);
    const { readdir } = await import('node:fs/promises');
    const count = async () => (await readdir('/proc/self/fd')).length;
    const before = await count();
    for (let i = 0; i < 3; i++) {
      const check = createProcessCheck({ pidfile, fail_fast: true }, common);
      const { scheduler, results } = schedule(check);
      await eventually(() => results[0], 'a run');
      assert.equal(results[0]?.ok, true);
      await scheduler.stop();
    }
    await eventually(async () => (await count()) <= before, 'the descriptors closed');
  });

  it('one-shot runs (no watch) hold no descriptor', async () => {
    const child = sleeper();
    children.push(child);
    const pidfile = join(dir.path, 'once.pid');
    await writeFile(pidfile, `${child.pid}\n`);
    const { readdir } = await import('node:fs/promises');
    const before = (await readdir('/proc/self/fd')).length;
    const check = createProcessCheck({ pidfile, fail_fast: true }, common);
    for (let i = 0; i < 5; i++) assert.equal((await runOnce(check)).ok, true);
    assert.equal((await readdir('/proc/self/fd')).length, before);
  });
});
