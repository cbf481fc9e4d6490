import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalBytes, canonicalJson, CanonicalError } from '../../../src/director/canonical.js';

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } }),
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('is independent of key insertion order and of how the input was formatted', () => {
    const a = JSON.parse(
      '{ "origin" : "n1",\n  "load": 0.5, "node": {"url":"http://x/"} }',
    ) as unknown;
    const b = JSON.parse('{"node":{"url":"http://x/"},"load":0.5,"origin":"n1"}') as unknown;
    assert.equal(canonicalJson(a), canonicalJson(b));
    assert.equal(canonicalJson(a), '{"load":0.5,"node":{"url":"http://x/"},"origin":"n1"}');
  });

  it('sorts by UTF-16 code units, not by locale', () => {
    // "é" (U+00E9) sorts after "z"; an uppercase letter before any lowercase one.
    assert.equal(canonicalJson({ é: 1, z: 2, Z: 3, a: 4 }), '{"Z":3,"a":4,"z":2,"é":1}');
    // Astral characters sort by their surrogates (RFC 8785 3.2.3).
    assert.equal(canonicalJson({ '\u{1F600}': 1, '\uFFFF': 2 }), '{"\u{1F600}":1,"\uFFFF":2}');
  });

  it('writes numbers and strings as ECMAScript does', () => {
    assert.equal(
      canonicalJson([1e21, 0.1, -0, 1.5e-7, 'a"\\\n\u0001']),
      '[1e+21,0.1,0,1.5e-7,"a\\"\\\\\\n\\u0001"]',
    );
  });

  it('gives UTF-8 bytes', () => {
    assert.deepEqual([...canonicalBytes({ k: 'é' })], [...Buffer.from('{"k":"é"}', 'utf8')]);
  });

  it('refuses what has no JSON form instead of dropping it', () => {
    assert.throws(() => canonicalJson({ a: undefined }), CanonicalError);
    assert.throws(() => canonicalJson({ a: NaN }), /NaN has no JSON form/);
    assert.throws(() => canonicalJson([Infinity]), CanonicalError);
    assert.throws(() => canonicalJson({ d: new Date(0) }), /plain objects/);
    assert.throws(() => canonicalJson(1n), /bigint/);
  });

  it('round-trips: parsing the canonical text and encoding it again gives the same text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        assert.equal(canonicalJson(JSON.parse(text)), text);
        assert.doesNotMatch(text.replace(/"(?:[^"\\]|\\.)*"/g, ''), /\s/);
      }),
    );
  });
});
