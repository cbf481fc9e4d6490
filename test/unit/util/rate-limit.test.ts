import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedRateLimiter } from '../../../src/util/index.js';

describe('KeyedRateLimiter', () => {
  it('logs the first event of a key, then one per interval with the count suppressed', () => {
    const limiter = new KeyedRateLimiter({ intervalMs: 10_000 });
    assert.deepEqual(limiter.hit('a', 0), { key: 'a', suppressed: 0 });
    for (let t = 1; t <= 999; t++) assert.equal(limiter.hit('a', t), undefined);
    assert.equal(limiter.hit('a', 9_999), undefined);
    assert.deepEqual(limiter.hit('a', 10_000), { key: 'a', suppressed: 1000 });
    assert.equal(limiter.hit('a', 10_001), undefined);
    // Another key has its own interval.
    assert.deepEqual(limiter.hit('b', 10_002), { key: 'b', suppressed: 0 });
  });

  it('flush gives the counts of keys whose interval is over, and forgets quiet keys', () => {
    const limiter = new KeyedRateLimiter({ intervalMs: 10_000 });
    limiter.hit('a', 0);
    limiter.hit('a', 1);
    limiter.hit('a', 2);
    limiter.hit('b', 5_000);
    assert.deepEqual(limiter.flush(9_999), []);
    assert.deepEqual(limiter.flush(10_000), [{ key: 'a', suppressed: 2 }]);
    // The flushed line started a new interval: the next event waits for it.
    assert.equal(limiter.hit('a', 15_000), undefined);
    assert.deepEqual(limiter.flush(20_000), [{ key: 'a', suppressed: 1 }]);
    // b was quiet for an interval, a too after its flush: both forgotten.
    assert.deepEqual(limiter.flush(30_000), []);
    assert.equal(limiter.size, 0);
    assert.deepEqual(limiter.hit('a', 30_001), { key: 'a', suppressed: 0 });
  });

  it('flush(all) gives every pending count at once and clears', () => {
    const limiter = new KeyedRateLimiter({ intervalMs: 10_000 });
    limiter.hit('a', 0);
    limiter.hit('a', 1);
    limiter.hit('b', 2);
    assert.deepEqual(limiter.flush(3, true), [{ key: 'a', suppressed: 1 }]);
    assert.equal(limiter.size, 0);
  });

  it('past maxKeys, new keys share the overflow key', () => {
    const limiter = new KeyedRateLimiter({ intervalMs: 10_000, maxKeys: 2, overflowKey: '*' });
    limiter.hit('a', 0);
    limiter.hit('b', 0);
    assert.deepEqual(limiter.hit('c', 1), { key: '*', suppressed: 0 });
    for (let i = 0; i < 100; i++) assert.equal(limiter.hit(`x${i}`, 2), undefined);
    assert.equal(limiter.size, 3);
    assert.deepEqual(limiter.flush(10_001), [{ key: '*', suppressed: 100 }]);
    // Once the old keys are quiet for an interval they make room again.
    assert.deepEqual(limiter.hit('d', 20_002), { key: 'd', suppressed: 0 });
  });
});
