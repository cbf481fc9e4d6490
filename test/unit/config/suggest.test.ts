import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closest, didYouMean, editDistance, formatPath } from '../../../src/validation/index.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and swaps of neighbours as one edit each', () => {
    assert.equal(editDistance('rise', 'rise'), 0);
    assert.equal(editDistance('rise', 'rize'), 1);
    assert.equal(editDistance('rise', 'rse'), 1);
    assert.equal(editDistance('rise', 'rises'), 1);
    assert.equal(editDistance('rise', 'rsie'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
});

describe('closest / didYouMean', () => {
  const keys = ['rise', 'fall', 'hold_down', 'policy', 'prefixes', 'checks'];
  it('suggests a likely typo and nothing for an unrelated word', () => {
    assert.equal(closest('rize', keys), 'rise');
    assert.equal(closest('HOLD_DOWN', keys), 'hold_down');
    assert.equal(closest('hold-down', keys), 'hold_down');
    assert.equal(closest('prefix', keys), 'prefixes');
    assert.equal(closest('colour', keys), undefined);
    assert.equal(closest('ab', keys), undefined);
  });

  it('allows more edits for longer words', () => {
    assert.equal(closest('hlod_dwon', keys), 'hold_down');
    assert.equal(closest('plcy', keys), undefined);
  });

  it('phrases the hint', () => {
    assert.equal(didYouMean('fal', keys), " (did you mean 'fall'?)");
    assert.equal(didYouMean('zzz', keys), '');
  });
});

describe('formatPath', () => {
  it('writes table keys with dots, indexes in brackets, and quotes keys that are not bare', () => {
    assert.equal(formatPath(['bgp', 'peers', 0, 'hold_time']), 'bgp.peers[0].hold_time');
    assert.equal(
      formatPath(['services', 'dns resolver', 'checks']),
      'services."dns resolver".checks',
    );
    assert.equal(formatPath([]), '');
  });
});
