// The fleet guard in the pure health machine: a judged failure waits for the directors'
// decision (up, asking), then goes down (withdraw) or guarded (hold); facts and drains
// bypass it; guarded goes up at once when the checks recover.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { WithdrawalDecision } from '../../../src/director/index.js';
import {
  desiredRoutes,
  GRACEFUL_SHUTDOWN,
  SERVICE_STATES,
  ServiceHealth,
  type ServiceSettings,
} from '../../../src/health/index.js';

const ok = { ok: true, reason: 'fine', durationMs: 1 };
const bad = { ok: false, reason: 'dependency unreachable', durationMs: 1 };
const daemonFault = { ok: false, reason: 'EMFILE', durationMs: 1, fault: 'daemon' as const };

const fleet = { announcing: 2, total: 5, min: 2, answered: 3, granted: 0, known: 3 };
const hold: WithdrawalDecision = {
  withdraw: false,
  reason: '3 of 3 directors refused a withdrawal permit: 2 announcing, min 2',
  fleet,
};
const permit: WithdrawalDecision = {
  withdraw: true,
  reason: 'withdrawal permitted by 3 of 3 directors',
  fleet: { ...fleet, announcing: 5, granted: 3 },
};

function settings(over: Partial<ServiceSettings> = {}): ServiceSettings {
  return {
    name: 'dns',
    checks: [
      { name: 'judge', rise: 1, fall: 1 },
      { name: 'proc', rise: 1, fall: 1, provesGone: true },
    ],
    policy: { kind: 'all' },
    holdDown: 10,
    announce: 'healthy',
    fleetGuard: { minimum: { announcing: 2 }, whenDirectorsUnreachable: 'withdraw' },
    ...over,
  };
}

/** A service that has come up at t=0. */
function upService(over: Partial<ServiceSettings> = {}): ServiceHealth {
  const h = new ServiceHealth(settings(over), 0);
  h.onResult('judge', ok, 0);
  h.onResult('proc', ok, 0);
  assert.equal(h.state, 'up');
  return h;
}

/** A service held guarded since t=100. */
function guardedService(): ServiceHealth {
  const h = upService();
  h.onResult('judge', bad, 100);
  const t = h.setWithdrawal(hold, 100);
  assert.equal(t?.to, 'guarded');
  return h;
}

describe('fleet guard: the health machine', () => {
  it('lists guarded second among the states', () => {
    assert.deepEqual(SERVICE_STATES.slice(0, 3), ['up', 'guarded', 'draining']);
  });

  it('a judged failure stays up and asks for a permit instead of going down', () => {
    const h = upService();
    assert.equal(h.onResult('judge', bad, 10), undefined);
    assert.equal(h.state, 'up');
    assert.equal(h.permitWanted(), true);
    assert.match(h.snapshot().reason, /asking the directors for a withdrawal permit/);
    assert.match(h.snapshot().reason, /dependency unreachable/);
  });

  it('without a guard the same failure goes down at once', () => {
    const { fleetGuard: _none, ...plain } = settings();
    const h = new ServiceHealth(plain, 0);
    h.onResult('judge', ok, 0);
    h.onResult('proc', ok, 0);
    assert.equal(h.onResult('judge', bad, 10)?.to, 'down');
    assert.equal(h.permitWanted(), false);
  });

  it('a withdraw decision takes it down; hold-down applies when it recovers', () => {
    const h = upService();
    h.onResult('judge', bad, 10);
    const t = h.setWithdrawal(permit, 20);
    assert.deepEqual([t?.from, t?.to], ['up', 'down']);
    assert.match(t?.reason ?? '', /withdrawal permitted by 3 of 3 directors/);
    assert.equal(h.permitWanted(), false);
    // Still failing: stays down, no new permit wanted (it is not announcing).
    assert.equal(h.onResult('judge', bad, 30), undefined);
    assert.equal(h.permitWanted(), false);
    assert.equal(h.onResult('judge', ok, 40)?.to, 'held-down');
    assert.equal(h.tick(40 + 10_000)?.to, 'up');
  });

  it('a hold decision makes it guarded, with the fleet count and the reason', () => {
    const h = upService();
    h.onResult('judge', bad, 10);
    const t = h.setWithdrawal(hold, 20);
    assert.deepEqual([t?.from, t?.to], ['up', 'guarded']);
    const snap = h.snapshot();
    assert.equal(snap.state, 'guarded');
    assert.deepEqual(snap.guard, { reason: hold.reason, since: 20, fleet });
    assert.equal(h.permitWanted(), true, 'guarded keeps asking');
    // Another hold keeps it guarded, since unchanged, the count refreshed.
    const later = { ...hold, fleet: { ...fleet, announcing: 3 } };
    assert.equal(h.setWithdrawal(later, 1020), undefined);
    assert.equal(h.snapshot().guard?.since, 20);
    assert.equal(h.snapshot().guard?.fleet?.announcing, 3);
    // More failing results keep it guarded.
    assert.equal(h.onResult('judge', bad, 1500), undefined);
    assert.equal(h.state, 'guarded');
  });

  it('guarded → down when a later round permits the withdrawal', () => {
    const h = guardedService();
    const t = h.setWithdrawal(permit, 1100);
    assert.deepEqual([t?.from, t?.to], ['guarded', 'down']);
    assert.equal(h.snapshot().guard, undefined);
    assert.equal(h.permitWanted(), false);
  });

  it('guarded → up at once when the checks recover: no hold-down', () => {
    const h = guardedService();
    const t = h.onResult('judge', ok, 200);
    assert.deepEqual([t?.from, t?.to], ['guarded', 'up']);
    assert.equal(h.permitWanted(), false);
    assert.equal(h.snapshot().guard, undefined);
  });

  it('a fact during guarded takes it down with no permit', () => {
    const h = guardedService();
    const t = h.onResult('proc', bad, 200);
    assert.deepEqual([t?.from, t?.to], ['guarded', 'down']);
    assert.equal(h.permitWanted(), false);
  });

  it('a fact while up goes down at once, never asking', () => {
    const h = upService();
    assert.equal(h.onResult('proc', bad, 10)?.to, 'down');
    assert.equal(h.permitWanted(), false);
  });

  it("a fact check failing for the daemon's want (past its grace) is a judgement", () => {
    const h = upService({ daemonFaultGraceMs: 0 });
    assert.equal(h.onResult('proc', daemonFault, 10), undefined);
    assert.equal(h.state, 'up');
    assert.equal(h.permitWanted(), true);
  });

  it('a drain during guarded drains it: the operator is not held back', () => {
    const h = guardedService();
    const t = h.setDrained(true, 200, 'maintenance');
    assert.deepEqual([t?.from, t?.to], ['guarded', 'drained']);
    assert.equal(h.permitWanted(), false);
    // A graceful drain of a guarded (sick) service: nothing healthy to keep: drained.
    const g = guardedService();
    assert.equal(g.setDrained(true, 200, 'maintenance', 60_000)?.to, 'drained');
    // Undrained while still failing: down (not announcing, so not guarded again).
    assert.equal(g.setDrained(false, 300)?.to, 'down');
    assert.equal(g.permitWanted(), false);
  });

  it('a drain while asking cancels the request', () => {
    const h = upService();
    h.onResult('judge', bad, 10);
    assert.equal(h.setDrained(true, 20)?.to, 'drained');
    assert.equal(h.permitWanted(), false);
    assert.equal(h.setWithdrawal(hold, 30), undefined, 'the late decision is ignored');
    assert.equal(h.state, 'drained');
  });

  it('recovering while a request is pending: stays up, wants nothing, and a late decision is ignored', () => {
    const h = upService();
    h.onResult('judge', bad, 10);
    assert.equal(h.onResult('judge', ok, 20), undefined);
    assert.equal(h.state, 'up');
    assert.equal(h.permitWanted(), false);
    assert.doesNotMatch(h.snapshot().reason, /asking/);
    assert.equal(h.setWithdrawal(permit, 30), undefined);
    assert.equal(h.setWithdrawal(hold, 30), undefined);
    assert.equal(h.state, 'up');
  });

  it('a service not yet up, or held down, is not guarded (it announces nothing)', () => {
    const h = new ServiceHealth(settings(), 0);
    h.onResult('judge', bad, 0);
    assert.equal(h.state, 'down');
    assert.equal(h.permitWanted(), false);
    const g = upService();
    g.onResult('judge', bad, 10);
    g.setWithdrawal(permit, 10);
    g.onResult('judge', ok, 20);
    assert.equal(g.state, 'held-down');
    assert.equal(g.onResult('judge', bad, 30)?.to, 'down');
    assert.equal(g.permitWanted(), false);
  });

  it('any sequence of results and decisions: guarded only with failing checks, and wanting only while announcing', () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('result' as const),
        check: fc.constantFrom('judge', 'proc'),
        ok: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('decision' as const), withdraw: fc.boolean() }),
      fc.record({ kind: fc.constant('drain' as const), drained: fc.boolean() }),
      fc.record({ kind: fc.constant('tick' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const h = new ServiceHealth(settings({ holdDown: 1 }), 0);
        let now = 0;
        for (const s of steps) {
          now += 500;
          if (s.kind === 'result') h.onResult(s.check, s.ok ? ok : bad, now);
          else if (s.kind === 'decision') h.setWithdrawal(s.withdraw ? permit : hold, now);
          else if (s.kind === 'drain') h.setDrained(s.drained, now);
          else h.tick(now);
          const snap = h.snapshot();
          const allUp = snap.checks.every((c) => c.up);
          if (h.permitWanted()) {
            assert.ok(snap.state === 'up' || snap.state === 'guarded', snap.state);
            assert.equal(allUp, false);
          }
          if (snap.state === 'guarded') {
            assert.equal(allUp, false, 'guarded with every check up');
            assert.equal(h.permitWanted(), true);
            assert.ok(snap.guard !== undefined);
          } else assert.equal(snap.guard, undefined);
          // A failing fact check never leaves it announcing by the guard.
          const proc = snap.checks.find((c) => c.name === 'proc');
          if (proc?.up === false && proc.last?.ok === false) assert.notEqual(snap.state, 'guarded');
        }
      }),
    );
  });
});

describe('fleet guard: desired routes', () => {
  const base = {
    name: 'dns',
    prefixes: [
      { announcer: 'bgp' as const, prefix: '203.0.113.53/32' },
      { announcer: 'bird' as const, prefix: '203.0.113.54/32' },
    ],
    everUp: true,
  };
  const carries = (kind: string): boolean => kind !== 'bird' && kind !== 'frrouting';

  it('a guarded service is announced with its down attributes and GRACEFUL_SHUTDOWN', () => {
    const routes = desiredRoutes(
      [{ ...base, state: 'guarded', down: { kind: 'degrade', med: 500 } }],
      { carriesAttributes: carries },
    );
    const bgp = routes.get('bgp 203.0.113.53/32');
    assert.deepEqual(bgp?.attributes, { med: 500, communities: [GRACEFUL_SHUTDOWN] });
    assert.equal(bgp?.guarded, true);
    assert.equal(bgp?.degraded, true);
    assert.equal(bgp?.draining, false);
  });

  it('through BIRD (no attributes) a guarded route stays announced plain; a draining one is withdrawn', () => {
    const guarded = desiredRoutes([{ ...base, state: 'guarded', down: { kind: 'withdraw' } }], {
      carriesAttributes: carries,
    });
    assert.deepEqual(guarded.get('bird 203.0.113.54/32')?.attributes, {});
    assert.equal(guarded.get('bird 203.0.113.54/32')?.guarded, true);
    const draining = desiredRoutes([{ ...base, state: 'draining', down: { kind: 'withdraw' } }], {
      carriesAttributes: carries,
    });
    assert.equal(draining.has('bird 203.0.113.54/32'), false);
  });

  it('a healthy service sharing the prefix wins over a guarded one', () => {
    const routes = desiredRoutes([
      { ...base, state: 'guarded', down: { kind: 'withdraw' } },
      { ...base, name: 'other', state: 'up', down: { kind: 'withdraw' } },
    ]);
    const route = routes.get('bgp 203.0.113.53/32');
    assert.equal(route?.guarded, false);
    assert.deepEqual(route?.attributes, {});
  });
});
