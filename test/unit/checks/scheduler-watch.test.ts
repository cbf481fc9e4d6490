import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/clock/index.js';
import { CheckScheduler, type CheckTiming } from '../../../src/checks/scheduler.js';
import type { CheckResult } from '../../../src/checks/types.js';
import { FakeCheck, flush } from './fake-check.js';

/** A fake check with a watch: the test fires its events by hand. */
class WatchedCheck extends FakeCheck {
  wake: (() => void) | undefined;
  watches = 0;
  unwatches = 0;
  watch(wake: () => void): () => void {
    this.wake = wake;
    this.watches++;
    return () => {
      this.wake = undefined;
      this.unwatches++;
    };
  }
}

function setup() {
  const clock = new ManualClock(0);
  const delivered: { result: CheckResult; timing: CheckTiming }[] = [];
  const scheduler = new CheckScheduler({
    clock,
    splay: () => 0.5,
    onResult: (_check, result, timing) => delivered.push({ result, timing }),
  });
  return { clock, scheduler, delivered };
}

describe('CheckScheduler: watches and runNow', () => {
  it('watches a check from start, runs it at once on a wake, and keeps its grid', async () => {
    const { clock, scheduler, delivered } = setup();
    const check = new WatchedCheck('w', 10, 1);
    scheduler.add(check);
    assert.equal(check.watches, 0, 'not watched before start');
    scheduler.start();
    assert.equal(check.watches, 1);
    clock.advance(2000);
    check.wake?.();
    assert.equal(check.runs.length, 1, 'a wake runs the check at once');
    check.pass();
    await flush();
    clock.advance(3000); // t = 5000: the grid's first slot (splay 0.5 of 10 s)
    assert.equal(check.runs.length, 2);
    check.pass();
    await flush();
    assert.deepEqual(
      delivered.map((d) => [d.result.trigger, d.timing.trigger, d.timing.scheduledAt]),
      [
        ['watch', 'watch', 2000],
        ['interval', 'interval', 5000],
      ],
    );
    assert.equal(scheduler.stats(check)?.nextAt, 15_000, 'the grid did not move');
  });

  it('a wake during a run runs the check once more when it ends, however many wakes', async () => {
    const { clock, scheduler, delivered } = setup();
    const check = new WatchedCheck('w', 10, 1);
    scheduler.add(check);
    scheduler.start();
    clock.advance(5000);
    assert.equal(check.runs.length, 1);
    check.wake?.();
    check.wake?.();
    assert.equal(check.runs.length, 1, 'no overlap');
    check.pass();
    await flush();
    assert.equal(check.runs.length, 2, 'one run for the wakes');
    check.pass();
    await flush();
    assert.deepEqual(
      delivered.map((d) => d.result.trigger),
      ['interval', 'watch'],
    );
  });

  it('stops the watch on remove and on stop, ignores wakes after, watches again on start', async () => {
    const { scheduler } = setup();
    const a = new WatchedCheck('a', 10, 1);
    const b = new WatchedCheck('b', 10, 1);
    scheduler.add(a);
    scheduler.add(b);
    scheduler.start();
    const wakeA = a.wake;
    scheduler.remove(a);
    assert.equal(a.unwatches, 1);
    wakeA?.();
    assert.equal(a.runs.length, 0, 'a removed check does not run');
    await scheduler.stop();
    assert.equal(b.unwatches, 1);
    scheduler.runNow(b);
    assert.equal(b.runs.length, 0, 'a stopped scheduler does not run');
    scheduler.start();
    assert.equal(b.watches, 2);
    await scheduler.stop();
  });

  it('a check without a watch can still be run now (trigger given)', async () => {
    const { scheduler, delivered } = setup();
    const check = new FakeCheck('plain', 10, 1);
    scheduler.add(check);
    scheduler.start();
    scheduler.runNow(check, 'watch');
    check.pass();
    await flush();
    assert.equal(delivered[0]?.result.trigger, 'watch');
    await scheduler.stop();
  });

  it('a wake and a slot due during one run (timeout longer than the interval): one run after it, not two', async () => {
    const { clock, scheduler, delivered } = setup();
    const check = new WatchedCheck('w', 2, 5); // the first slot at 1000 (splay 0.5 of 2 s)
    scheduler.add(check);
    scheduler.start();
    clock.advance(1000);
    assert.equal(check.runs.length, 1);
    check.wake?.();
    clock.advance(2000); // t = 3000: the slot falls due during the run
    assert.equal(check.runs.length, 1, 'no overlap');
    check.pass();
    await flush();
    assert.equal(check.runs.length, 2, 'one run answers the wake and the owed slot');
    check.pass();
    await flush();
    assert.equal(check.runs.length, 2, 'and nothing more until the next slot');
    assert.deepEqual(
      delivered.map((d) => d.result.trigger),
      ['interval', 'watch'],
    );
    clock.advance(2000); // t = 5000: the grid carries on
    assert.equal(check.runs.length, 3);
    await scheduler.stop();
  });
});
