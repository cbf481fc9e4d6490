/**
 * Graceful drain (RFC 8326) in the pure cores: ServiceHealth's `draining` state and its
 * deadline, and what desiredRoutes announces for it; per-service `up` attributes; and the
 * bug of issue 16: a degraded `down` is never announced before the checks passed once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  GRACEFUL_SHUTDOWN,
  ServiceHealth,
  desiredRoutes,
  type DownAction,
  type ServiceRoutes,
  type ServiceSettings,
  type ServiceState,
} from '../../../src/health/index.js';

const pass = { ok: true, reason: 'ok', durationMs: 1 };
const fail = { ok: false, reason: 'HTTP 503', durationMs: 1 };

function settings(overrides: Partial<ServiceSettings> = {}): ServiceSettings {
  return {
    name: 'dns',
    checks: [{ name: 'a', rise: 1, fall: 1 }],
    policy: { kind: 'all' },
    holdDown: 10,
    announce: 'healthy',
    ...overrides,
  };
}

function upAt(now: number, overrides: Partial<ServiceSettings> = {}): ServiceHealth {
  const health = new ServiceHealth(settings(overrides), 0);
  assert.equal(health.onResult('a', pass, now)?.to, 'up');
  return health;
}

const V4 = { announcer: 'bgp' as const, prefix: '203.0.113.53/32' };

function routes(service: Partial<ServiceRoutes> & { state: ServiceState }) {
  return desiredRoutes([
    { name: 'dns', prefixes: [V4], down: { kind: 'withdraw' }, everUp: true, ...service },
  ]);
}

describe('graceful drain: service health', () => {
  it('is draining until the deadline, then drained; nextWake is the deadline', () => {
    const health = upAt(1000);
    const t = health.setDrained(true, 2000, 'maintenance', 32_000);
    assert.deepEqual(
      { from: t?.from, to: t?.to, reason: t?.reason },
      {
        from: 'up',
        to: 'draining',
        reason: 'maintenance',
      },
    );
    assert.equal(health.nextWake(), 32_000);
    assert.equal(health.snapshot().drainingUntil, 32_000);
    assert.equal(health.tick(31_999), undefined, 'not before the deadline');
    assert.equal(health.tick(32_000)?.to, 'drained');
    assert.equal(health.nextWake(), undefined);
    assert.equal(health.snapshot().drainingUntil, undefined);
  });

  it('undrain during the wait cancels it: up again at once, no hold-down', () => {
    const health = upAt(1000);
    health.setDrained(true, 2000, 'maintenance', 32_000);
    assert.equal(health.setDrained(false, 5000)?.to, 'up');
    assert.equal(health.tick(32_000), undefined, 'the old deadline does nothing');
    assert.equal(health.state, 'up');
  });

  it('a failing check during the wait withdraws at once (never announces a sick service)', () => {
    const health = upAt(1000);
    health.setDrained(true, 2000, 'maintenance', 32_000);
    assert.equal(health.onResult('a', fail, 3000)?.to, 'drained');
  });

  it('a degraded service keeps draining while down, once it has been up', () => {
    const health = upAt(1000, { degradedWhenDown: true });
    health.setDrained(true, 2000, 'maintenance', 32_000);
    assert.equal(health.onResult('a', fail, 3000), undefined);
    assert.equal(health.state, 'draining');
  });

  it('a graceful drain of a service never up is drained at once', () => {
    const health = new ServiceHealth(settings({ degradedWhenDown: true }), 0);
    assert.equal(health.setDrained(true, 1000, 'x', 31_000)?.to, 'drained');
  });

  it('a drain with a deadline already past is a plain drain (a restart after the wait)', () => {
    const health = new ServiceHealth(settings(), 0);
    health.setDrained(true, 50_000, 'x', 32_000);
    assert.equal(health.onResult('a', pass, 50_001), undefined);
    assert.equal(health.state, 'drained');
  });

  it('a restart within the wait: draining once the checks pass, for what is left', () => {
    const health = new ServiceHealth(settings(), 10_000);
    health.setDrained(true, 10_000, 'maintenance', 32_000);
    assert.equal(health.state, 'drained', 'nothing announced before a check passed');
    assert.equal(health.onResult('a', pass, 11_000)?.to, 'draining');
    assert.equal(health.tick(32_000)?.to, 'drained');
    assert.deepEqual(health.drainOrder, { reason: 'maintenance', until: 32_000 });
  });

  it('property: whatever the results and times, never draining past the deadline or while sick (withdraw)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ok: fc.boolean(), dt: fc.integer({ min: 0, max: 5000 }) }), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 60_000 }),
        (steps, wait) => {
          const health = upAt(1);
          const until = 2 + wait;
          health.setDrained(true, 2, 'x', until);
          let now = 2;
          for (const step of steps) {
            now += step.dt;
            health.onResult('a', step.ok ? pass : fail, now);
            if (health.nextWake() !== undefined && now >= health.nextWake()!) health.tick(now);
            if (health.state === 'draining') {
              assert.ok(now < until);
              assert.ok(step.ok);
            } else assert.equal(health.state, 'drained');
          }
        },
      ),
    );
  });
});

describe('graceful drain: desired routes', () => {
  it('a draining route carries 65535:0', () => {
    const route = routes({ state: 'draining' }).get('bgp 203.0.113.53/32');
    assert.deepEqual(route?.attributes, { communities: [GRACEFUL_SHUTDOWN] });
    assert.equal(route?.draining, true);
    assert.equal(route?.degraded, true);
  });

  it('… plus the down attributes, but not the up ones', () => {
    const down: DownAction = { kind: 'degrade', med: 1000, communities: ['65001:666'] };
    const route = routes({
      state: 'draining',
      down,
      up: { med: 10, localPref: 200, communities: ['65001:1'] },
    }).get('bgp 203.0.113.53/32');
    assert.deepEqual(route?.attributes, { med: 1000, communities: ['65001:666', '65535:0'] });
  });

  it('a draining service withdraws at once what its announcer cannot mark', () => {
    const plain = desiredRoutes(
      [
        {
          name: 'dns',
          state: 'draining',
          prefixes: [V4, { announcer: 'bird', prefix: '198.51.100.1/32' }],
          down: { kind: 'withdraw' },
          everUp: true,
        },
      ],
      { carriesAttributes: (kind) => kind !== 'bird' },
    );
    assert.deepEqual([...plain.keys()], ['bgp 203.0.113.53/32']);
  });

  it('up attributes go on the route while up, and only then', () => {
    const up = { med: 10, prepend: 1, localPref: 200, communities: ['65001:1'] };
    assert.deepEqual(routes({ state: 'up', up }).get('bgp 203.0.113.53/32')?.attributes, up);
    assert.equal(routes({ state: 'down', up }).size, 0);
    assert.equal(routes({ state: 'drained', up }).size, 0);
  });
});

describe('a degraded down before the first up (issue 16 bug)', () => {
  const down: DownAction = { kind: 'degrade', med: 1000 };
  it('is not announced until the checks have passed once', () => {
    for (const state of ['down', 'held-down'] as const)
      assert.equal(routes({ state, down, everUp: false }).size, 0, state);
    assert.equal(routes({ state: 'down', down, everUp: true }).size, 1);
  });

  it('ServiceHealth says when it has been up', () => {
    const health = new ServiceHealth(settings({ degradedWhenDown: true }), 0);
    assert.equal(health.provenOnce, false);
    assert.equal(health.snapshot().everUp, false);
    health.onResult('a', fail, 1000);
    assert.equal(health.provenOnce, false);
    health.onResult('a', pass, 2000);
    health.onResult('a', fail, 3000);
    assert.equal(health.provenOnce, true);
    assert.equal(
      new ServiceHealth(settings({ announce: 'always', checks: [] }), 0).provenOnce,
      true,
    );
  });
});
