import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RFC4271_JITTER, backoffDelay, type BackoffPolicy } from '../../../src/util/index.js';

const fixed = (value: number) => () => value;
// The two callers' numbers: announcers/synced.ts (retry a routing daemon) and director/link.ts.
const synced: BackoffPolicy = { initialMs: 500, maxMs: 30_000, jitter: RFC4271_JITTER };
const link: BackoffPolicy = { initialMs: 500, maxMs: 30_000, jitter: { low: 0.8, span: 0.4 } };

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the ceiling', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(synced, n, fixed(1 - 1e-12)));
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('applies the jitter range at both ends', () => {
    assert.equal(backoffDelay(synced, 1, fixed(0)), 375);
    assert.equal(backoffDelay(synced, 3, fixed(0.5)), Math.round(2000 * 0.875));
    assert.equal(backoffDelay(link, 1, fixed(0)), 400);
    assert.equal(backoffDelay(link, 1, fixed(0.5)), 500);
    assert.equal(backoffDelay(link, 7, fixed(0.999_999)), 36_000);
  });

  it('keeps the numbers the hand-written schemes gave', () => {
    // synced.ts before: min(max, retry * 2 ** min(failures - 1, 20)) * (0.75 + 0.25 r).
    // link.ts before: a doubling delay from min, capped at max, times (0.8 + 0.4 r).
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (failures, r) => {
          const old = Math.round(
            Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 20)) * (0.75 + 0.25 * r),
          );
          assert.equal(backoffDelay(synced, failures, fixed(r)), old);
          let doubling = 0;
          for (let i = 0; i < failures; i++)
            doubling = doubling === 0 ? 500 : Math.min(30_000, doubling * 2);
          assert.equal(
            backoffDelay(link, failures, fixed(r)),
            Math.round(doubling * (0.8 + 0.4 * r)),
          );
        },
      ),
    );
  });

  it('stays within the jitter of the capped delay for any attempt and policy', () => {
    const policy = fc
      .record({
        initialMs: fc.integer({ min: 0, max: 100_000 }),
        extraMs: fc.integer({ min: 0, max: 10_000_000 }),
        factor: fc.double({ min: 1, max: 10, noNaN: true }),
        low: fc.double({ min: 0, max: 2, noNaN: true }),
        span: fc.double({ min: 0, max: 1, noNaN: true }),
      })
      .map((p): BackoffPolicy => ({
        initialMs: p.initialMs,
        maxMs: p.initialMs + p.extraMs,
        factor: p.factor,
        jitter: { low: p.low, span: p.span },
      }));
    fc.assert(
      fc.property(
        policy,
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (p, attempt, r) => {
          const delay = backoffDelay(p, attempt, fixed(r));
          assert.ok(Number.isInteger(delay), `${delay} is a whole number of ms`);
          assert.ok(delay >= Math.floor(p.initialMs * p.jitter.low), `${delay} below the floor`);
          assert.ok(
            delay <= Math.ceil(p.maxMs * (p.jitter.low + p.jitter.span)),
            `${delay} above the ceiling`,
          );
          // Never shorter than the attempt before it (same random draw).
          if (attempt > 1) assert.ok(delay >= backoffDelay(p, attempt - 1, fixed(r)));
        },
      ),
    );
  });
});
