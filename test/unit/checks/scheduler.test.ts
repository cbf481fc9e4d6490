import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Clock, type TimerHandle, ManualClock } from '../../../src/clock/index.js';
import { CheckError } from '../../../src/checks/errors.js';
import { CheckScheduler, type CheckTiming, hashSplay } from '../../../src/checks/scheduler.js';
import type { CheckResult, HealthCheck } from '../../../src/checks/types.js';
import { FakeCheck, flush } from './fake-check.js';

interface Delivered {
  readonly check: string;
  readonly result: CheckResult;
  readonly timing: CheckTiming;
}

function setup(splay: (check: HealthCheck) => number = () => 0, clock: Clock = new ManualClock(0)) {
  const delivered: Delivered[] = [];
  const skipped: { check: string; at: number }[] = [];
  const scheduler = new CheckScheduler({
    clock,
    splay,
    onResult: (check, result, timing) => delivered.push({ check: check.name, result, timing }),
    onSkip: (check, at) => skipped.push({ check: check.name, at }),
  });
  return { scheduler, delivered, skipped };
}

describe('CheckScheduler', () => {
  it('first runs each check after its splay, then every interval on a fixed grid', async () => {
    const clock = new ManualClock(0);
    const { scheduler, delivered } = setup((check) => (check.name === 'a' ? 0.25 : 0.5), clock);
    const a = new FakeCheck('a', 10, 1);
    const b = new FakeCheck('b', 4, 1);
    scheduler.add(a);
    scheduler.add(b);
    assert.equal(a.runs.length + b.runs.length, 0, 'nothing runs before start');
    scheduler.start();
    clock.advance(1999);
    assert.equal(b.runs.length, 0);
    clock.advance(1); // t = 2000: b's splay is half of 4 s
    assert.equal(b.runs.length, 1);
    b.pass();
    await flush();
    clock.advance(499);
    assert.equal(a.runs.length, 0);
    clock.advance(1); // t = 2500: a's splay is a quarter of 10 s
    assert.equal(a.runs.length, 1);
    a.pass();
    await flush();
    for (let t = 2500; t < 22_500; t += 500) {
      clock.advance(500);
      if (a.runs.at(-1)?.signal.aborted === false) a.pass();
      if (b.runs.at(-1)?.signal.aborted === false) b.pass();
      await flush();
    }
    const times = (name: string) =>
      delivered.filter((d) => d.check === name).map((d) => d.timing.scheduledAt);
    assert.deepEqual(times('a'), [2500, 12_500, 22_500]);
    assert.deepEqual(times('b'), [2000, 6000, 10_000, 14_000, 18_000, 22_000]);
    for (const d of delivered) {
      assert.equal(d.timing.startedAt, d.timing.scheduledAt);
      assert.equal(d.timing.lagMs, 0);
      assert.equal(d.result.ok, true);
    }
    assert.deepEqual(scheduler.stats(a), { runs: 3, skipped: 0, running: false, nextAt: 32_500 });
    await scheduler.stop();
  });

  it('never overlaps runs of one check: a slot due during a run is owed and runs when it ends; later ones are skipped', async () => {
    const clock = new ManualClock(0);
    const { scheduler, delivered, skipped } = setup(() => 0, clock);
    const slow = new FakeCheck('slow', 1, 3.5); // may run 3.5 s on a 1 s interval
    scheduler.add(slow);
    scheduler.start();
    clock.advance(0);
    assert.equal(slow.runs.length, 1);
    clock.advance(2500); // slots at 1000 and 2000 fall due while the first run is going
    assert.equal(slow.runs.length, 1, 'no second run while the first is going');
    assert.deepEqual(skipped, [{ check: 'slow', at: 2000 }], 'the slot at 1000 is owed');
    assert.equal(scheduler.stats(slow)?.running, true);
    slow.pass('finally');
    await flush();
    assert.equal(delivered.length, 1);
    assert.equal(delivered[0]?.result.reason, 'finally');
    assert.equal(slow.runs.length, 2, 'the owed run starts as the first one ends, at 2500');
    slow.pass('quick');
    await flush();
    assert.deepEqual(delivered[1]?.timing, {
      scheduledAt: 2500,
      startedAt: 2500,
      lagMs: 0,
      trigger: 'interval',
    });
    clock.advance(500); // t = 3000: the grid carries on
    assert.equal(slow.runs.length, 3);
    assert.deepEqual(scheduler.stats(slow), { runs: 2, skipped: 1, running: true, nextAt: 4000 });
    await scheduler.stop();
  });

  it('a timeout longer than the interval (ExaBGP: --interval 1, --timeout 5): runs back to back, never together', async () => {
    const clock = new ManualClock(0);
    const { scheduler, delivered } = setup(() => 0, clock);
    const hung = new FakeCheck('hung', 1, 5);
    scheduler.add(hung);
    scheduler.start();
    let concurrent = 0;
    for (let t = 0; t < 12_000; t += 250) {
      clock.advance(250);
      await flush();
      const open = hung.runs.filter((r) => !r.signal.aborted).length;
      concurrent = Math.max(concurrent, open);
    }
    assert.equal(concurrent, 1, 'one run at a time');
    assert.deepEqual(
      delivered.map((d) => [d.timing.startedAt, d.result.reason]),
      [
        [0, 'timed out after 5 s'],
        [5000, 'timed out after 5 s'],
      ],
      'each run starts when the previous one timed out',
    );
    assert.equal(hung.runs.length, 3, 'the third started at 10000');
    // Owed: 1000, 6000, 11000 (one per run); skipped: 2000-5000, 7000-10000, 12000.
    assert.equal(scheduler.stats(hung)?.skipped, 9);
    await scheduler.stop();
    assert.equal(hung.runs[2]?.signal.aborted, true, 'stop aborts the owed run too');
  });

  it('interval_while_changing: faster runs while the check is counting towards rise or fall, then the grid again', async () => {
    const clock = new ManualClock(0);
    let changing = false;
    const delivered: number[] = [];
    const scheduler = new CheckScheduler({
      clock,
      splay: () => 0,
      onResult: (_check, _result, timing) => delivered.push(timing.startedAt),
      isChanging: () => changing,
    });
    const check = new FakeCheck('c', 5, 0.5, 1);
    const plain = new FakeCheck('plain', 5, 0.5);
    scheduler.add(check);
    scheduler.add(plain);
    scheduler.start();
    const settle = async () => {
      for (const c of [check, plain]) if (c.runs.at(-1)?.signal.aborted === false) c.pass();
      await flush();
    };
    clock.advance(0);
    await settle(); // t = 0, stable: next at 5000
    assert.equal(scheduler.stats(check)?.nextAt, 5000);
    clock.advance(5000);
    changing = true; // this result starts a change (e.g. the first failure of three)
    await settle();
    assert.equal(scheduler.stats(check)?.nextAt, 6000, '1 s after the run started');
    assert.equal(scheduler.stats(plain)?.nextAt, 10_000, 'a check without it keeps its interval');
    clock.advance(1000);
    await settle(); // t = 6000, still changing
    clock.advance(1000);
    changing = false; // t = 7000: the change completed
    await settle();
    assert.equal(scheduler.stats(check)?.nextAt, 10_000, 'back on its grid');
    clock.advance(3000);
    await settle();
    assert.deepEqual(delivered.slice(0, 5), [0, 0, 5000, 5000, 6000]);
    assert.deepEqual(check.runs.length, 5, 'runs at 0, 5000, 6000, 7000, 10000');
    assert.deepEqual(plain.runs.length, 3, 'runs at 0, 5000, 10000');
    await scheduler.stop();
  });

  it('a run cut by its timeout frees the next slot and reports the timeout', async () => {
    const clock = new ManualClock(0);
    const { scheduler, delivered } = setup(() => 0, clock);
    const hung = new FakeCheck('hung', 2, 1);
    scheduler.add(hung);
    scheduler.start();
    clock.advance(1000);
    await flush();
    assert.deepEqual(delivered[0]?.result, {
      ok: false,
      reason: 'timed out after 1 s',
      durationMs: 1000,
      trigger: 'interval',
    });
    assert.equal(hung.runs[0]?.signal.aborted, true);
    clock.advance(1000);
    assert.equal(hung.runs.length, 2, 'the next slot runs');
    await scheduler.stop();
  });

  it('stop() aborts runs in flight, drops their results and clears every timer', async () => {
    const clock = new ManualClock(0);
    const { scheduler, delivered } = setup(() => 0, clock);
    const checks = [new FakeCheck('x', 1, 5), new FakeCheck('y', 3, 5)];
    for (const check of checks) scheduler.add(check);
    scheduler.start();
    clock.advance(0);
    assert.ok(clock.timerCount > 0);
    await scheduler.stop();
    assert.equal(clock.timerCount, 0, 'no scheduler or timeout timers left');
    for (const check of checks) assert.equal(check.runs[0]?.signal.aborted, true);
    checks[0]?.pass('after stop');
    clock.advance(60_000);
    await flush();
    assert.equal(delivered.length, 0);
    assert.equal(checks[0]?.runs.length, 1, 'nothing runs after stop');
    // It can start again; phases come from the splay anew.
    scheduler.start();
    clock.advance(0);
    assert.equal(checks[0]?.runs.length, 2);
    await scheduler.stop();
  });

  it('add() and remove() apply to a running scheduler', async () => {
    const clock = new ManualClock(0);
    const { scheduler, delivered } = setup(() => 0.5, clock);
    scheduler.start();
    clock.advance(10_000);
    const late = new FakeCheck('late', 2, 1);
    scheduler.add(late);
    clock.advance(999);
    assert.equal(late.runs.length, 0);
    clock.advance(1); // splay measured from when it was added
    assert.equal(late.runs.length, 1);
    scheduler.remove(late);
    assert.equal(late.runs[0]?.signal.aborted, true, 'its run in flight is aborted');
    late.pass();
    clock.advance(10_000);
    await flush();
    assert.equal(late.runs.length, 1);
    assert.equal(delivered.length, 0);
    assert.equal(scheduler.has(late), false);
    assert.equal(clock.timerCount, 0);
    assert.throws(
      () => {
        const check = new FakeCheck('twice', 1, 1);
        scheduler.add(check);
        scheduler.add(check);
      },
      (error: unknown) => error instanceof CheckError && error.code === 'CHECK_SCHEDULER_MISUSE',
    );
    assert.throws(() => scheduler.add(new FakeCheck('zero', 0, 1)), /positive number of seconds/);
    assert.throws(
      () => scheduler.add(new FakeCheck('fast-zero', 1, 1, 0)),
      /interval_while_changing 0; it must be a positive number of seconds/,
    );
    await scheduler.stop();
  });

  it('reports the lag between when a run was due and when it started', async () => {
    // A clock whose timers fire 7 ms late, like a busy event loop.
    const manual = new ManualClock(0);
    const laggy: Clock = {
      now: () => manual.now(),
      setTimeout: (callback: () => void, ms: number): TimerHandle =>
        manual.setTimeout(callback, ms + 7),
      clearTimeout: (handle) => manual.clearTimeout(handle),
    };
    const { scheduler, delivered } = setup(() => 0, laggy);
    const check = new FakeCheck('c', 1, 0.5);
    scheduler.add(check);
    scheduler.start();
    manual.advance(7);
    check.pass();
    await flush();
    manual.advance(1000);
    check.pass();
    await flush();
    assert.deepEqual(
      delivered.map((d) => d.timing),
      [
        { scheduledAt: 0, startedAt: 7, lagMs: 7, trigger: 'interval' },
        { scheduledAt: 1000, startedAt: 1007, lagMs: 7, trigger: 'interval' },
      ],
    );
    await scheduler.stop();
  });

  it('after a stall longer than the interval, runs once and rejoins the grid without replaying', async () => {
    const manual = new ManualClock(0);
    let stall = 2500;
    const stalling: Clock = {
      now: () => manual.now(),
      setTimeout: (callback: () => void, ms: number): TimerHandle => {
        const extra = stall;
        stall = 0;
        return manual.setTimeout(callback, ms + extra);
      },
      clearTimeout: (handle) => manual.clearTimeout(handle),
    };
    const { scheduler, delivered } = setup(() => 0, stalling);
    const check = new FakeCheck('c', 1, 0.5);
    scheduler.add(check);
    scheduler.start();
    manual.advance(2500);
    check.pass();
    await flush();
    manual.advance(500); // t = 3000: the next slot on the grid
    check.pass();
    await flush();
    assert.deepEqual(
      delivered.map((d) => [d.timing.scheduledAt, d.timing.lagMs]),
      [
        [0, 2500],
        [3000, 0],
      ],
    );
    assert.equal(check.runs.length, 2, 'slots 1000 and 2000 were not replayed');
    await scheduler.stop();
  });

  it('spreads a thousand checks over the interval with the default splay, the same way every time', () => {
    const checks = Array.from(
      { length: 1000 },
      (_, i) => new FakeCheck(`http http://127.0.0.1:${8000 + i}/health`, 10, 1),
    );
    const fractions = checks.map(hashSplay);
    assert.deepEqual(checks.map(hashSplay), fractions, 'deterministic');
    for (const f of fractions) assert.ok(f >= 0 && f < 1);
    const buckets = new Array<number>(10).fill(0);
    for (const f of fractions) buckets[Math.floor(f * 10)]! += 1;
    for (const count of buckets)
      assert.ok(count > 60 && count < 140, `uneven: ${buckets.join(' ')}`);
    const firstRuns = new Set(fractions.map((f) => Math.floor(f * 10_000)));
    assert.ok(firstRuns.size > 900, `only ${firstRuns.size} distinct first-run times`);
  });

  it('uses the injected splay, clamped to the interval', async () => {
    const clock = new ManualClock(0);
    const { scheduler } = setup(() => 7, clock);
    const check = new FakeCheck('c', 2, 1);
    scheduler.add(check);
    scheduler.start();
    clock.advance(1999);
    assert.equal(check.runs.length, 0);
    clock.advance(1);
    assert.equal(check.runs.length, 1);
    await scheduler.stop();
  });

  it('property: whatever the interval, timeout and run times, one run at a time; a slot due during a run runs as it ends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 20 }), // interval, in 100 ms steps
        fc.integer({ min: 1, max: 60 }), // timeout, in 100 ms steps
        fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 12 }), // run times
        async (intervalSteps, timeoutSteps, durations) => {
          const clock = new ManualClock(0);
          const runs: { start: number; end?: number }[] = [];
          let open = 0;
          let maxOpen = 0;
          const check: HealthCheck = {
            type: 'fake',
            name: 'c',
            interval: intervalSteps / 10,
            timeout: timeoutSteps / 10,
            run: (signal) =>
              new Promise<CheckResult>((resolve) => {
                const run: { start: number; end?: number } = { start: clock.now() };
                runs.push(run);
                open++;
                maxOpen = Math.max(maxOpen, open);
                const finish = (): void => {
                  if (run.end !== undefined) return;
                  run.end = clock.now();
                  open--;
                  resolve({ ok: true, reason: 'ok', durationMs: 0 });
                };
                const ms = (durations[(runs.length - 1) % durations.length] ?? 0) * 100;
                clock.setTimeout(finish, ms);
                signal.addEventListener('abort', finish);
              }),
          };
          const scheduler = new CheckScheduler({ clock, splay: () => 0, onResult: () => {} });
          scheduler.add(check);
          scheduler.start();
          for (let t = 0; t < 300; t++) {
            clock.advance(100);
            await flush();
          }
          await scheduler.stop();
          assert.equal(maxOpen, 1, 'one run at a time');
          const intervalMs = intervalSteps * 100;
          for (let i = 1; i < runs.length; i++) {
            const before = runs[i - 1];
            const run = runs[i];
            assert.ok(before?.end !== undefined && run !== undefined);
            assert.ok(run.start >= before.end, `run ${i} started before run ${i - 1} ended`);
            const slot = (Math.floor(before.start / intervalMs) + 1) * intervalMs;
            if (before.end > slot)
              assert.equal(run.start, before.end, `the slot at ${slot} was owed: run ${i} at once`);
            assert.ok(
              run.start - before.end <= intervalMs,
              `run ${i} waited ${run.start - before.end} ms after run ${i - 1} on a ${intervalMs} ms interval`,
            );
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
