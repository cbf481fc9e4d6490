import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyResult, type CheckHealth } from '../../../src/health/service-health.js';

const up: CheckHealth = { name: 'c', up: true, consecutivePasses: 5, consecutiveFailures: 0 };
const failure = { ok: false, reason: 'gone', durationMs: 1 };

describe('fail_fast results', () => {
  it('a failFast failure counts the check down at once, whatever fall says', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), (fall) => {
        const next = applyResult(
          up,
          { ...failure, failFast: true },
          { name: 'c', rise: 1, fall },
          0,
        );
        assert.equal(next.up, false);
        assert.equal(next.consecutiveFailures, 1);
      }),
    );
  });

  it('an ordinary failure still waits for fall', () => {
    let health = up;
    for (let i = 1; i < 3; i++) {
      health = applyResult(health, failure, { name: 'c', rise: 1, fall: 3 }, i);
      assert.equal(health.up, true, `failure ${i} of 3`);
    }
    health = applyResult(health, failure, { name: 'c', rise: 1, fall: 3 }, 3);
    assert.equal(health.up, false);
  });
});
