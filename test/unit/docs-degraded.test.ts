/**
 * What docs/announcer-gobgp.md and announcer-exabgp.md say a degraded route carries must
 * be what `down = { … }` accepts: every key they list parses, and LOCAL_PREF (which no
 * key sets, by design: health/settings.ts) is not promised.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.js';

const VALUES: Readonly<Record<string, string>> = {
  med: '100',
  communities: '["65001:666"]',
  large_communities: '["65001:1:2"]',
  prepend: '2',
  local_pref: '50',
};

function service(kind: string, key: string): string {
  return `[services.web]\nprefixes.${kind} = ["203.0.113.80"]\nannounce = "always"\ndown = { ${key} = ${VALUES[key] ?? '1'} }\n`;
}

for (const kind of ['gobgp', 'exabgp']) {
  describe(`docs/announcer-${kind}.md: degraded routes`, () => {
    const text = readFileSync(
      new URL(`../../../docs/announcer-${kind}.md`, import.meta.url),
      'utf8',
    );
    const paragraph = /^Degraded services work:[\s\S]*?(?:\n\n|(?![\s\S]))/m.exec(text)?.[0] ?? '';

    it('lists keys that down = { … } accepts', () => {
      const keys = /`down = \{ ([^}]*) \}`/.exec(paragraph)?.[1]?.split(/,\s*/) ?? [];
      assert.deepEqual(keys, ['med', 'communities', 'large_communities', 'prepend']);
      for (const key of keys) assert.doesNotThrow(() => parseConfig(service(kind, key), 't.toml'));
    });

    it('promises no LOCAL_PREF, which no key sets', () => {
      assert.throws(() => parseConfig(service(kind, 'local_pref'), 't.toml'), /local_pref/);
      assert.doesNotMatch(paragraph, /\(and a\s+LOCAL_PREF\)|LOCAL_PREF\) (?:are set|go on)/);
      assert.match(paragraph, /No key sets\s+LOCAL_PREF/);
    });
  });
}
