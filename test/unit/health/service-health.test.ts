import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Policy } from '../../../src/config/types.js';
import {
  ServiceHealth,
  desiredRoutes,
  type ServiceSettings,
  type ServiceState,
  type Transition,
} from '../../../src/health/index.js';

const pass = { ok: true, reason: 'ok', durationMs: 1 };
const fail = { ok: false, reason: 'HTTP 503', durationMs: 1 };

function service(overrides: Partial<ServiceSettings> = {}): ServiceSettings {
  return {
    name: 'dns',
    checks: [
      { name: 'a', rise: 2, fall: 2 },
      { name: 'b', rise: 2, fall: 2 },
    ],
    policy: { kind: 'all' },
    holdDown: 10,
    announce: 'healthy',
    ...overrides,
  };
}

describe('service health', () => {
  it('starts down and needs rise passes on every check (policy all)', () => {
    const health = new ServiceHealth(service(), 0);
    assert.equal(health.state, 'down');
    assert.equal(health.onResult('a', pass, 1000), undefined);
    assert.equal(health.onResult('b', pass, 1000), undefined);
    assert.equal(health.onResult('a', pass, 2000), undefined);
    const up = health.onResult('b', pass, 2000);
    assert.deepEqual(
      { from: up?.from, to: up?.to, at: up?.at },
      { from: 'down', to: 'up', at: 2000 },
      'no hold-down at first start',
    );
  });

  it('goes down after fall failures and names the failing check', () => {
    const health = new ServiceHealth(service(), 0);
    for (const t of [1, 2]) for (const c of ['a', 'b']) health.onResult(c, pass, t * 1000);
    assert.equal(health.onResult('a', fail, 3000), undefined, 'one failure is not enough');
    const down = health.onResult('a', fail, 4000);
    assert.equal(down?.to, 'down');
    assert.match(
      down?.reason ?? '',
      /1\/2 checks up \(policy all\); a: HTTP 503 \(2 failures in a row\)/,
    );
  });

  it('holds a recovered service down for hold_down seconds, then announces it', () => {
    const health = new ServiceHealth(service({ holdDown: 10 }), 0);
    for (const t of [1, 2]) for (const c of ['a', 'b']) health.onResult(c, pass, t * 1000);
    health.onResult('a', fail, 3000);
    health.onResult('a', fail, 4000);
    health.onResult('a', pass, 5000);
    const held = health.onResult('a', pass, 6000);
    assert.equal(held?.to, 'held-down');
    assert.equal(health.nextWake(), 16_000);
    assert.equal(health.tick(15_999), undefined);
    const up = health.tick(16_000);
    assert.equal(up?.to, 'up');
    assert.match(up?.reason ?? '', /held down for 10 s/);
  });

  it('a failure during the hold-down restarts it from the next recovery', () => {
    const health = new ServiceHealth(
      service({ holdDown: 10, checks: [{ name: 'a', rise: 1, fall: 1 }] }),
      0,
    );
    health.onResult('a', pass, 0);
    health.onResult('a', fail, 1000);
    assert.equal(health.onResult('a', pass, 2000)?.to, 'held-down');
    assert.equal(health.onResult('a', fail, 5000)?.to, 'down');
    assert.equal(health.onResult('a', pass, 6000)?.to, 'held-down');
    assert.equal(health.tick(12_000), undefined, 'the first hold-down no longer counts');
    assert.equal(health.tick(16_000)?.to, 'up');
  });

  it('policies: any and quorum', () => {
    const checks = ['a', 'b', 'c'].map((name) => ({ name, rise: 1, fall: 1 }));
    const any = new ServiceHealth(service({ checks, policy: { kind: 'any' } }), 0);
    assert.equal(any.onResult('b', pass, 1)?.to, 'up');
    const quorum = new ServiceHealth(service({ checks, policy: { kind: 'quorum', count: 2 } }), 0);
    assert.equal(quorum.onResult('a', pass, 1), undefined);
    assert.equal(quorum.onResult('c', pass, 2)?.to, 'up');
    assert.equal(quorum.onResult('a', fail, 3)?.to, 'down');
  });

  it('drain wins over healthy checks, and undrain skips the hold-down', () => {
    const health = new ServiceHealth(service({ checks: [{ name: 'a', rise: 1, fall: 1 }] }), 0);
    health.onResult('a', pass, 0);
    assert.equal(health.setDrained(true, 1000)?.to, 'drained');
    assert.equal(health.onResult('a', pass, 2000), undefined);
    assert.equal(health.setDrained(false, 3000)?.to, 'up');
  });

  it('announce = "always" is up with no checks', () => {
    const health = new ServiceHealth(service({ checks: [], announce: 'always' }), 0);
    assert.equal(health.state, 'up');
  });
});

describe('desired routes', () => {
  const prefixes = [{ announcer: 'bgp' as const, prefix: '203.0.113.53/32' }];
  it('announces up services, withdraws down ones, degrades where asked, never drained', () => {
    const routes = desiredRoutes([
      { name: 'up', state: 'up', prefixes, down: { kind: 'withdraw' }, everUp: true },
      {
        name: 'down',
        state: 'down',
        prefixes: [{ announcer: 'bgp', prefix: '198.51.100.1/32' }],
        down: { kind: 'withdraw' },
        everUp: true,
      },
      {
        name: 'soft',
        state: 'held-down',
        prefixes: [{ announcer: 'bgp', prefix: '198.51.100.2/32' }],
        down: { kind: 'degrade', med: 1000 },
        everUp: true,
      },
      {
        name: 'drained',
        state: 'drained',
        prefixes: [{ announcer: 'bgp', prefix: '198.51.100.3/32' }],
        down: { kind: 'degrade', med: 1000 },
        everUp: true,
      },
    ]);
    assert.deepEqual([...routes.keys()].sort(), ['bgp 198.51.100.2/32', 'bgp 203.0.113.53/32']);
    assert.deepEqual(routes.get('bgp 198.51.100.2/32')?.attributes, { med: 1000 });
    assert.equal(routes.get('bgp 198.51.100.2/32')?.degraded, true);
  });

  it('a healthy announcement of a shared prefix beats a degraded one', () => {
    const routes = desiredRoutes([
      {
        name: 'soft',
        state: 'down',
        prefixes,
        down: { kind: 'degrade', prepend: 3 },
        everUp: true,
      },
      { name: 'up', state: 'up', prefixes, down: { kind: 'withdraw' }, everUp: true },
    ]);
    assert.deepEqual(routes.get('bgp 203.0.113.53/32'), {
      announcer: 'bgp',
      prefix: '203.0.113.53/32',
      attributes: {},
      services: ['up', 'soft'],
      degraded: false,
      draining: false,
      guarded: false,
    });
  });
});

describe('health properties', () => {
  const policies: fc.Arbitrary<Policy> = fc.oneof(
    fc.constant<Policy>({ kind: 'all' }),
    fc.constant<Policy>({ kind: 'any' }),
    fc.integer({ min: 1, max: 3 }).map((count): Policy => ({ kind: 'quorum', count })),
  );
  const scenario = fc.record({
    rise: fc.integer({ min: 1, max: 4 }),
    fall: fc.integer({ min: 1, max: 4 }),
    holdDown: fc.integer({ min: 0, max: 20 }),
    policy: policies,
    steps: fc.array(
      fc.record({
        check: fc.integer({ min: 0, max: 2 }),
        ok: fc.boolean(),
        advanceMs: fc.integer({ min: 0, max: 4000 }),
      }),
      { maxLength: 120 },
    ),
  });

  it('never up before some check had rise passes in a row; never up inside a hold-down', () => {
    fc.assert(
      fc.property(scenario, ({ rise, fall, holdDown, policy, steps }) => {
        const names = ['c0', 'c1', 'c2'];
        const health = new ServiceHealth(
          service({ checks: names.map((name) => ({ name, rise, fall })), policy, holdDown }),
          0,
        );
        let now = 0;
        const streak = [0, 0, 0];
        let maxStreak = 0;
        let lastDownFromUp: number | undefined;
        let everUp = false;
        const record = (t: Transition | undefined): void => {
          if (t === undefined) return;
          if (t.to === 'up') {
            assert.ok(
              maxStreak >= rise,
              `up after at most ${maxStreak} passes in a row (rise ${rise})`,
            );
            if (lastDownFromUp !== undefined) {
              assert.ok(t.at - lastDownFromUp >= holdDown * 1000, 'announced inside the hold-down');
            }
            everUp = true;
          }
          if (t.to === 'down' && everUp && lastDownFromUp === undefined) lastDownFromUp = t.at;
          if (t.to === 'down' && t.from === 'up') lastDownFromUp = t.at;
        };
        for (const step of steps) {
          now += step.advanceMs;
          record(health.tick(now));
          streak[step.check] = step.ok ? (streak[step.check] ?? 0) + 1 : 0;
          maxStreak = Math.max(maxStreak, ...streak);
          record(health.onResult(names[step.check] ?? 'c0', step.ok ? pass : fail, now));
          const state: ServiceState = health.state;
          assert.ok(['up', 'down', 'held-down'].includes(state));
          const wake = health.nextWake();
          if (state === 'held-down') assert.ok(wake !== undefined && wake > now);
          else assert.equal(wake, undefined);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
