/**
 * Issue 12 item 1: a check that fails for the daemon's own want of descriptors or
 * memory (fault: 'daemon') does not count toward fall; it holds the check's state for
 * DAEMON_FAULT_GRACE_MS, then counts as an ordinary failure. Injected results, no I/O.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckResult } from '../../../src/checks/index.js';
import {
  DAEMON_FAULT_GRACE_MS,
  ServiceHealth,
  type ServiceSettings,
} from '../../../src/health/index.js';

const pass: CheckResult = { ok: true, reason: 'exit 0 in 2 ms', durationMs: 2 };
const fail: CheckResult = { ok: false, reason: 'exit 1 after 2 ms', durationMs: 2 };
const emfile: CheckResult = {
  ok: false,
  reason: 'cannot run "true": spawn true EMFILE',
  durationMs: 0,
  fault: 'daemon',
};

function settings(overrides: Partial<ServiceSettings> = {}): ServiceSettings {
  return {
    name: 'web',
    checks: [{ name: 'exec', rise: 1, fall: 1 }],
    policy: { kind: 'all' },
    holdDown: 0,
    announce: 'healthy',
    ...overrides,
  };
}

/** A healthy service: up after one pass at t=0. */
function healthy(overrides: Partial<ServiceSettings> = {}): ServiceHealth {
  const health = new ServiceHealth(settings(overrides), 0);
  assert.equal(health.onResult('exec', pass, 0)?.to, 'up');
  return health;
}

describe('daemon faults', () => {
  it('EMFILE at spawn does not withdraw a healthy service within the grace (fall = 1)', () => {
    const health = healthy();
    for (let at = 1000; at < DAEMON_FAULT_GRACE_MS; at += 1000)
      assert.equal(health.onResult('exec', emfile, at), undefined, `held at ${at} ms`);
    assert.equal(health.state, 'up');
    const check = health.check('exec');
    assert.equal(check?.up, true);
    assert.equal(check?.consecutiveFailures, 0);
    assert.equal(check?.last?.fault, 'daemon');
    assert.deepEqual(check?.daemonFault, {
      count: DAEMON_FAULT_GRACE_MS / 1000 - 1,
      since: 1000,
      held: true,
    });
  });

  it('an ordinary failure withdraws at once (the control: fall = 1 bites)', () => {
    const health = healthy();
    assert.equal(health.onResult('exec', fail, 1000)?.to, 'down');
  });

  it('past the grace a daemon fault counts as a failure: a daemon that cannot check withdraws', () => {
    const health = healthy({ daemonFaultGraceMs: 5000 });
    assert.equal(health.onResult('exec', emfile, 1000), undefined);
    assert.equal(health.onResult('exec', emfile, 5999), undefined);
    const down = health.onResult('exec', emfile, 6000);
    assert.equal(down?.to, 'down');
    assert.match(down?.reason ?? '', /the daemon's fault, past its grace: cannot run "true"/);
    assert.deepEqual(health.check('exec')?.daemonFault, { count: 3, since: 1000, held: false });
  });

  it('a pass or a real failure ends the streak; a new streak gets a new grace', () => {
    const health = healthy({ daemonFaultGraceMs: 5000 });
    health.onResult('exec', emfile, 1000);
    health.onResult('exec', pass, 2000);
    assert.equal(health.check('exec')?.daemonFault, undefined);
    // 10 s after the first fault, but the streak began at 8000: still held.
    health.onResult('exec', emfile, 8000);
    assert.equal(health.onResult('exec', emfile, 11_000), undefined);
    assert.equal(health.state, 'up');
    assert.equal(health.check('exec')?.daemonFault?.since, 8000);
  });

  it('holds a down check down too: a fault never brings a service up', () => {
    const health = new ServiceHealth(settings(), 0);
    assert.equal(health.onResult('exec', emfile, 1000), undefined);
    assert.equal(health.state, 'down');
    assert.equal(health.check('exec')?.up, false);
  });
});
