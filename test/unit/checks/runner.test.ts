import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/clock/index.js';
import { CheckTimeoutError, runCheck } from '../../../src/checks/runner.js';
import type { HealthCheck } from '../../../src/checks/types.js';
import { FakeCheck, flush } from './fake-check.js';

describe('runCheck', () => {
  it('passes a result given in time through and leaves no timer behind', async () => {
    const clock = new ManualClock();
    const check = new FakeCheck('c', 5, 1);
    const pending = runCheck(check, clock);
    clock.advance(400);
    check.pass('HTTP 200');
    assert.deepEqual(await pending, { ok: true, reason: 'HTTP 200', durationMs: 1 });
    assert.equal(clock.timerCount, 0);
  });

  it('reports a timeout at the deadline even when the check ignores its signal', async () => {
    const clock = new ManualClock();
    const check = new FakeCheck('c', 5, 1);
    let settled = false;
    const pending = runCheck(check, clock).then((result) => {
      settled = true;
      return result;
    });
    clock.advance(999);
    await flush();
    assert.equal(settled, false, 'not before the deadline');
    assert.equal(check.runs[0]?.signal.aborted, false);
    clock.advance(1);
    assert.deepEqual(await pending, { ok: false, reason: 'timed out after 1 s', durationMs: 1000 });
    const signal = check.runs[0]?.signal;
    assert.equal(signal?.aborted, true, 'the check was told to stop');
    assert.ok(signal?.reason instanceof CheckTimeoutError);
    // Whatever the check does afterwards changes nothing.
    check.pass('too late');
    await flush();
  });

  it('formats fractional timeouts', async () => {
    const clock = new ManualClock();
    const pending = runCheck(new FakeCheck('c', 5, 0.25), clock);
    clock.advance(250);
    assert.equal((await pending).reason, 'timed out after 0.25 s');
  });

  it('turns a rejection or a synchronous throw into a failure with the message', async () => {
    const clock = new ManualClock();
    const rejecting = new FakeCheck('r', 5, 1);
    const pending = runCheck(rejecting, clock);
    rejecting.runs[0]?.reject(new Error('socket exploded'));
    assert.deepEqual(await pending, {
      ok: false,
      reason: 'check threw: socket exploded',
      durationMs: 0,
    });

    const throwing: HealthCheck = {
      name: 't',
      type: 'fake',
      interval: 5,
      timeout: 1,
      run() {
        throw new TypeError('bad spec');
      },
    };
    clock.advance(5);
    const result = await runCheck(throwing, clock);
    assert.equal(result.ok, false);
    assert.equal(result.reason, 'check threw: bad spec');
    assert.equal(clock.timerCount, 0);
  });

  it('stops at once when the outer signal aborts', async () => {
    const clock = new ManualClock();
    const check = new FakeCheck('c', 5, 10);
    const outer = new AbortController();
    const pending = runCheck(check, clock, outer.signal);
    clock.advance(30);
    outer.abort(new Error('scheduler stopped'));
    assert.deepEqual(await pending, { ok: false, reason: 'aborted', durationMs: 30 });
    assert.equal(check.runs[0]?.signal.aborted, true);
    assert.equal(clock.timerCount, 0);
  });

  it('does not run a check whose outer signal is already aborted', async () => {
    const clock = new ManualClock();
    const check = new FakeCheck('c', 5, 10);
    const result = await runCheck(check, clock, AbortSignal.abort());
    assert.equal(result.reason, 'aborted');
    assert.equal(check.runs.length, 0);
  });
});
