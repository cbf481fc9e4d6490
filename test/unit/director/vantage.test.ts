import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  afterProbe,
  outsideView,
  outsideViews,
  probeDue,
  PROBE_FAILURES_TO_DOWN,
  type ProbeState,
} from '../../../src/director/vantage.js';
import type { DirectorAd } from '../../../src/director/ad.js';

const spec = { path: '/health', intervalMs: 5000, timeoutMs: 2000 };

function directorAd(origin: string, unreachable: string[]): DirectorAd {
  return {
    v: 2,
    kind: 'director',
    origin,
    startTime: 0,
    instance: '11111111-1111-4111-8111-111111111111',
    generation: 1,
    issuedAt: 0,
    expires: 30_000,
    director: {
      url: `http://${origin}.test`,
      ...(unreachable.length === 0
        ? {}
        : { unreachable: unreachable.map((node) => ({ node, since: 0, error: 'timeout' })) }),
    },
  };
}

describe('outside probes', () => {
  it('are due at once, then every interval', () => {
    assert.equal(probeDue(undefined, spec, 0), true);
    const state: ProbeState = { failures: 0, lastAt: 1000 };
    assert.equal(probeDue(state, spec, 5999), false);
    assert.equal(probeDue(state, spec, 6000), true);
  });

  it('take two failures in a row to call a node unreachable, one success to clear it', () => {
    const fail = { ok: false, error: 'no answer within 2000 ms' } as const;
    const one = afterProbe(undefined, fail, 1000);
    assert.equal(PROBE_FAILURES_TO_DOWN, 2);
    assert.deepEqual([one.changed, one.state.unreachableSince], [false, undefined]);
    const two = afterProbe(one.state, fail, 2000);
    assert.deepEqual([two.changed, two.state.unreachableSince], [true, 2000]);
    const three = afterProbe(two.state, fail, 3000);
    assert.deepEqual([three.changed, three.state.unreachableSince], [false, 2000]);
    const back = afterProbe(three.state, { ok: true }, 4000);
    assert.deepEqual([back.changed, back.state.unreachableSince], [true, undefined]);
    // A single lost probe between successes is no verdict.
    const blip = afterProbe(afterProbe(back.state, fail, 5000).state, { ok: true }, 6000);
    assert.equal(blip.changed, false);
  });

  it('leave a node out only when a strict majority of the directors alive cannot reach it', () => {
    const views = outsideViews([
      directorAd('d1', ['a', 'b']),
      directorAd('d2', ['a']),
      directorAd('d3', []),
    ]);
    assert.deepEqual(views.get('a'), {
      unreachableFrom: ['d1', 'd2'],
      directors: 3,
      excluded: true,
      summary: 'unreachable from 2 of 3 directors',
    });
    assert.equal(views.get('b')?.excluded, false);
    assert.equal(views.get('b')?.summary, 'unreachable from 1 of 3 directors');
    assert.equal(views.has('c'), false);
    assert.equal(outsideView([], 3).summary, 'reachable from all 3 directors');
    // 2 of 4 is no majority.
    assert.equal(outsideView(['d1', 'd2'], 4).excluded, false);
  });

  it('exclude exactly when more than half say unreachable (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 50 }), (n, k) => {
        const from = Array.from({ length: Math.min(k, n) }, (_, i) => `d${i}`);
        const view = outsideView(from, n);
        assert.equal(view.excluded, from.length > n / 2);
        assert.equal(view.unreachableFrom.length, from.length);
      }),
    );
  });
});
