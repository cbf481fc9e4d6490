import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareAds, supersedes, type AdOrderKey } from '../../../src/director/order.js';

const key: fc.Arbitrary<AdOrderKey> = fc.record({
  startTime: fc.integer({ min: 0, max: 20 }),
  instance: fc.constantFrom(
    '00000000-0000-4000-8000-000000000001',
    '00000000-0000-4000-8000-000000000002',
    'ffffffff-0000-4000-8000-000000000000',
  ),
  generation: fc.integer({ min: 1, max: 20 }),
});

const same = (a: AdOrderKey, b: AdOrderKey): boolean =>
  a.startTime === b.startTime && a.instance === b.instance && a.generation === b.generation;

describe('ad order', () => {
  it('is irreflexive and total: exactly one of a<b, a=b, a>b, and a=b only for the same ad', () => {
    fc.assert(
      fc.property(key, key, (a, b) => {
        const ab = Math.sign(compareAds(a, b));
        const ba = Math.sign(compareAds(b, a));
        assert.equal(ab + ba, 0, 'antisymmetric');
        assert.equal(ab === 0, same(a, b));
        assert.equal(supersedes(a, a), false);
      }),
    );
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(key, key, key, (a, b, c) => {
        if (compareAds(a, b) < 0 && compareAds(b, c) < 0) assert.ok(compareAds(a, c) < 0);
      }),
    );
  });

  it('sorting any permutation gives one order (a strict total order)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(key, { selector: (k) => `${k.startTime}/${k.instance}/${k.generation}` }),
        (keys) => {
          const sorted = [...keys].sort(compareAds);
          const again = [...keys].reverse().sort(compareAds);
          assert.deepEqual(sorted, again);
          for (let i = 1; i < sorted.length; i++)
            assert.ok(compareAds(sorted[i - 1]!, sorted[i]!) < 0);
        },
      ),
    );
  });

  it('a restart always wins: a later start time beats any generation and any instance', () => {
    fc.assert(
      fc.property(key, key, (old, fresh) => {
        fc.pre(fresh.startTime > old.startTime);
        assert.ok(supersedes(fresh, old));
        assert.ok(!supersedes(old, fresh));
      }),
    );
    // The restarted process counts from 1 again and still wins over generation 10^6.
    assert.ok(
      supersedes(
        { startTime: 2, instance: '00000000-0000-4000-8000-000000000001', generation: 1 },
        { startTime: 1, instance: 'ffffffff-0000-4000-8000-000000000000', generation: 1_000_000 },
      ),
    );
  });

  it('within one process the higher generation wins', () => {
    const instance = '00000000-0000-4000-8000-000000000001';
    assert.ok(
      supersedes(
        { startTime: 5, instance, generation: 3 },
        { startTime: 5, instance, generation: 2 },
      ),
    );
    assert.ok(
      !supersedes(
        { startTime: 5, instance, generation: 2 },
        { startTime: 5, instance, generation: 3 },
      ),
    );
    assert.ok(supersedes({ startTime: 5, instance, generation: 1 }, undefined));
  });
});
