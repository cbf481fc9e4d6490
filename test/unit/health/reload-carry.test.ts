// A reload that changes a service continues from the old health (ServiceHealth.continueFrom):
// unchanged checks keep their counts, a changed check keeps its verdict and counts afresh,
// a new check is innocent while the service was announcing (and must rise while it was
// not), the service keeps its state
// and is evaluated once under the new settings (#18: a config rollout never withdraws a
// healthy fleet at once).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { WithdrawalDecision } from '../../../src/director/index.js';
import {
  ServiceHealth,
  type CheckSettings,
  type ServiceSettings,
  type ServiceState,
} from '../../../src/health/index.js';

const ok = { ok: true, reason: 'fine', durationMs: 1 };
const bad = { ok: false, reason: 'dependency unreachable', durationMs: 1 };
const gone = { ok: false, reason: 'process gone', durationMs: 1 };

const hold: WithdrawalDecision = {
  withdraw: false,
  reason: '3 of 3 directors refused a withdrawal permit: 2 announcing, min 2',
  fleet: { announcing: 2, total: 5, min: 2, answered: 3, granted: 0, known: 3 },
};
const guard = { minimum: { announcing: 2 }, whenDirectorsUnreachable: 'withdraw' as const };

const judge = (over: Partial<CheckSettings> = {}): CheckSettings => ({
  name: 'judge',
  rise: 1,
  fall: 1,
  config: { type: 'http', url: 'http://127.0.0.1/', timeout: 1 },
  ...over,
});
const other = (over: Partial<CheckSettings> = {}): CheckSettings => ({
  name: 'other',
  rise: 1,
  fall: 1,
  config: { type: 'tcp', port: 53, timeout: 1 },
  ...over,
});

function settings(over: Partial<ServiceSettings> = {}): ServiceSettings {
  return {
    name: 'dns',
    checks: [judge(), other()],
    policy: { kind: 'all' },
    holdDown: 10,
    announce: 'healthy',
    ...over,
  };
}

/** Up since t=0: both checks passed once. */
function upService(over: Partial<ServiceSettings> = {}): ServiceHealth {
  const h = new ServiceHealth(settings(over), 0);
  h.onResult('judge', ok, 0);
  h.onResult('other', ok, 0);
  assert.equal(h.state, 'up');
  return h;
}

/** Guarded since t=100 (judge failing, the directors refused). */
function guardedService(): ServiceHealth {
  const h = upService({ fleetGuard: guard });
  h.onResult('judge', bad, 100);
  assert.equal(h.setWithdrawal(hold, 100)?.to, 'guarded');
  return h;
}

/** A service in each state, with `judge` and `other` as its checks. */
function inState(state: ServiceState): ServiceHealth {
  switch (state) {
    case 'up':
      return upService();
    case 'guarded':
      return guardedService();
    case 'down': {
      const h = upService();
      h.onResult('judge', bad, 100);
      return h;
    }
    case 'held-down': {
      const h = inState('down');
      h.onResult('judge', ok, 200);
      return h;
    }
    case 'draining': {
      const h = upService();
      h.setDrained(true, 100, 'maintenance', 60_000);
      return h;
    }
    case 'drained': {
      const h = upService();
      h.setDrained(true, 100, 'maintenance');
      return h;
    }
  }
}

const ANNOUNCING: readonly ServiceState[] = ['up', 'guarded', 'draining'];
const STATES: readonly ServiceState[] = [
  'up',
  'guarded',
  'draining',
  'down',
  'held-down',
  'drained',
];

describe('reload: a changed service continues from the old health', () => {
  for (const state of STATES) {
    it(`${state}: keeps its state and details; a new check starts ${ANNOUNCING.includes(state) ? 'up' : 'down'}`, () => {
      const old = inState(state);
      assert.equal(old.state, state);
      const before = old.snapshot();
      const next = settings({
        ...(old.settings.fleetGuard === undefined ? {} : { fleetGuard: guard }),
        // A new check, and a harmless change elsewhere (the hold-down).
        checks: [judge(), other(), { name: 'extra', rise: 2, fall: 3, config: { port: 80 } }],
        holdDown: 20,
      });
      const { health, transition } = ServiceHealth.continueFrom(old, next, 300);
      const extra = health.check('extra');
      const announcing = ANNOUNCING.includes(state);
      assert.deepEqual(extra, {
        name: 'extra',
        up: announcing,
        consecutivePasses: 0,
        consecutiveFailures: 0,
      });
      // Unchanged checks keep their health, object for object.
      assert.deepEqual(health.check('judge'), old.check('judge'));
      assert.deepEqual(health.check('other'), old.check('other'));
      if (announcing) {
        assert.equal(transition, undefined, 'no state change');
        assert.equal(health.state, state);
        const after = health.snapshot();
        assert.equal(after.since, before.since);
        assert.equal(after.everUp, before.everUp);
        assert.deepEqual(after.guard, before.guard);
        assert.equal(after.drainingUntil, before.drainingUntil);
        assert.deepEqual(health.drainOrder, old.drainOrder);
        assert.equal(health.permitWanted(), old.permitWanted());
      } else if (state === 'drained') {
        assert.equal(transition, undefined);
        assert.equal(health.state, 'drained');
        assert.equal(health.snapshot().reason, 'maintenance');
      } else {
        // Not announcing: the new check must rise first, so the service is down now.
        assert.equal(health.state, 'down');
        assert.equal(transition?.to === undefined ? 'down' : transition.to, 'down');
        health.onResult('judge', ok, 400);
        health.onResult('extra', ok, 400);
        assert.equal(health.state, 'down', 'one pass of rise = 2');
        health.onResult('extra', ok, 500);
        assert.equal(health.state, 'held-down', 'risen: through the hold-down as usual');
      }
    });
  }

  it('a changed check (any config key, or rise/fall) keeps its verdict and counts afresh; an unchanged one keeps its counts', () => {
    const old = upService();
    old.onResult('judge', bad, 50); // fall = 1: down
    old.onResult('other', ok, 50);
    assert.equal(old.state, 'down');
    assert.equal(old.check('other')?.consecutivePasses, 2);
    const timeout = ServiceHealth.continueFrom(
      old,
      settings({ checks: [judge(), other({ config: { type: 'tcp', port: 53, timeout: 2 } })] }),
      60,
    ).health;
    assert.equal(timeout.check('other')?.consecutivePasses, 0);
    assert.equal(timeout.check('other')?.up, true, 'its verdict is kept');
    assert.equal(timeout.check('judge')?.up, false);
    assert.equal(timeout.check('judge')?.consecutiveFailures, 1, 'kept');
    const fall = ServiceHealth.continueFrom(
      old,
      settings({ checks: [judge(), other({ fall: 2 })] }),
      60,
    ).health;
    assert.equal(fall.check('other')?.consecutivePasses, 0);
    const same = ServiceHealth.continueFrom(
      old,
      settings({ checks: [judge(), other({ config: { type: 'tcp', port: 53, timeout: 1 } })] }),
      60,
    ).health;
    assert.equal(same.check('other')?.consecutivePasses, 2, 'deep-equal config: kept');
  });

  it('a new failing check with fall = 3 takes an up service down on its 3rd failure', () => {
    const old = upService();
    const { health, transition } = ServiceHealth.continueFrom(
      old,
      settings({ checks: [judge(), other(), { name: 'new', rise: 2, fall: 3 }] }),
      100,
    );
    assert.equal(transition, undefined);
    assert.equal(health.onResult('new', bad, 110), undefined);
    assert.equal(health.onResult('new', bad, 120), undefined);
    assert.equal(health.state, 'up');
    const down = health.onResult('new', bad, 130);
    assert.deepEqual([down?.from, down?.to], ['up', 'down']);
    assert.match(down?.reason ?? '', /new: dependency unreachable \(3 failures in a row\)/);
  });

  it('a new check whose result proves the process gone (fail_fast) takes it down at once', () => {
    const { health } = ServiceHealth.continueFrom(
      upService({ fleetGuard: guard }),
      settings({
        fleetGuard: guard,
        checks: [judge(), other(), { name: 'proc', rise: 1, fall: 3, provesGone: true }],
      }),
      100,
    );
    const t = health.onResult('proc', { ...gone, failFast: true }, 110);
    assert.equal(t?.to, 'down', 'a fact: no permit asked');
    assert.equal(health.permitWanted(), false);
  });

  it('removing the failing check brings a down service up (no hold-down set) and a guarded one up at once', () => {
    const down = inState('down');
    const fromDown = ServiceHealth.continueFrom(
      down,
      settings({ checks: [other()], holdDown: 0 }),
      300,
    );
    assert.deepEqual([fromDown.transition?.from, fromDown.transition?.to], ['down', 'up']);
    assert.equal(fromDown.health.state, 'up');

    const guarded = guardedService();
    const fromGuarded = ServiceHealth.continueFrom(
      guarded,
      settings({ checks: [other()], fleetGuard: guard }),
      300,
    );
    assert.deepEqual(
      [fromGuarded.transition?.from, fromGuarded.transition?.to],
      ['guarded', 'up'],
      'it never stopped announcing: no hold-down',
    );
    assert.equal(fromGuarded.health.permitWanted(), false, 'the permit is no longer wanted');
  });

  it('a guarded service stays guarded across a reload that changes another check’s timeout', () => {
    const old = guardedService();
    const before = old.snapshot();
    const { health, transition } = ServiceHealth.continueFrom(
      old,
      settings({
        fleetGuard: guard,
        checks: [judge(), other({ config: { type: 'tcp', port: 53, timeout: 5 } })],
      }),
      300,
    );
    assert.equal(transition, undefined);
    assert.equal(health.state, 'guarded');
    assert.equal(health.permitWanted(), true, 'it keeps asking');
    assert.equal(health.check('other')?.up, true, 'innocent: it was announcing');
    const after = health.snapshot();
    assert.equal(after.since, before.since);
    assert.deepEqual(after.guard, before.guard, 'the fleet count and since carry over');
    // The next round is applied to the new health as to the old.
    const permit: WithdrawalDecision = { withdraw: true, reason: 'permitted' };
    assert.equal(health.setWithdrawal(permit, 400)?.to, 'down');
  });

  it('changing the failing check itself keeps its verdict: still guarded and asking, up once it passes', () => {
    const old = guardedService();
    const { health, transition } = ServiceHealth.continueFrom(
      old,
      settings({
        fleetGuard: guard,
        checks: [
          judge({ config: { type: 'http', url: 'http://127.0.0.1/', timeout: 9 } }),
          other(),
        ],
      }),
      300,
    );
    assert.equal(transition, undefined);
    assert.equal(health.state, 'guarded');
    assert.equal(health.permitWanted(), true);
    assert.equal(health.check('judge')?.consecutiveFailures, 0, 'counts afresh');
    assert.equal(health.onResult('judge', ok, 310)?.to, 'up', 'rise = 1: up at once');
    assert.equal(health.permitWanted(), false);
  });

  it('a policy change is evaluated at once: down without a guard, asking with one', () => {
    const mixed = (over: Partial<ServiceSettings>) => {
      const h = upService({ policy: { kind: 'any' }, ...over });
      h.onResult('judge', bad, 50);
      assert.equal(h.state, 'up', 'any: one check is enough');
      return h;
    };
    const plain = ServiceHealth.continueFrom(mixed({}), settings({ policy: { kind: 'all' } }), 60);
    assert.deepEqual([plain.transition?.from, plain.transition?.to], ['up', 'down']);
    const guarded = ServiceHealth.continueFrom(
      mixed({ fleetGuard: guard }),
      settings({ policy: { kind: 'all' }, fleetGuard: guard }),
      60,
    );
    assert.equal(guarded.transition, undefined, 'a judgement: held until the directors answer');
    assert.equal(guarded.health.permitWanted(), true);
    assert.match(guarded.health.snapshot().reason, /asking the directors/);
  });

  it('removing the guard from an asking service lets local health decide at once', () => {
    const old = upService({ fleetGuard: guard });
    old.onResult('judge', bad, 50);
    assert.equal(old.permitWanted(), true);
    const { health, transition } = ServiceHealth.continueFrom(old, settings(), 60);
    assert.equal(transition?.to, 'down');
    assert.equal(health.permitWanted(), false);
  });

  it('a held-down service keeps the end of its hold-down; a graceful drain keeps its deadline', () => {
    const held = inState('held-down');
    const end = held.nextWake();
    assert.equal(end, 200 + 10_000);
    const carried = ServiceHealth.continueFrom(held, settings({ holdDown: 99 }), 300).health;
    assert.equal(carried.state, 'held-down');
    assert.equal(carried.nextWake(), end);
    assert.equal(carried.tick(end ?? 0)?.to, 'up');

    const draining = inState('draining');
    const drainCarried = ServiceHealth.continueFrom(draining, settings(), 300).health;
    assert.equal(drainCarried.state, 'draining');
    assert.equal(drainCarried.nextWake(), 60_000);
    assert.equal(drainCarried.tick(60_000)?.to, 'drained');
  });

  it('any reload of an announcing service with only new checks and unchanged ones: never a transition', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ServiceState>(...ANNOUNCING),
        fc.array(
          fc.record({ rise: fc.integer({ min: 1, max: 5 }), fall: fc.integer({ min: 1, max: 5 }) }),
          {
            maxLength: 4,
          },
        ),
        fc.constantFrom<ServiceSettings['policy']>({ kind: 'all' }, { kind: 'any' }),
        (state, extra, policy) => {
          const old = inState(state);
          // Only `guarded` has failing checks: keep its policy (`all`) so it stays held.
          const next = settings({
            ...(old.settings.fleetGuard === undefined ? {} : { fleetGuard: guard }),
            policy: state === 'guarded' ? { kind: 'all' } : policy,
            checks: [judge(), other(), ...extra.map((e, i) => ({ name: `new${i}`, ...e }))],
          });
          const { health, transition } = ServiceHealth.continueFrom(old, next, 300);
          return transition === undefined && health.state === state;
        },
      ),
    );
  });
});
