/** The README's configuration examples must stay valid. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

describe('README', () => {
  it('has configuration examples', () => {
    assert.ok(blocks.length > 0);
  });
  blocks.forEach((block, i) => {
    it(`configuration example ${i + 1} is valid`, () => {
      const config = parseConfig(block, `README.md example ${i + 1}`);
      assert.ok(config.services.length > 0);
    });
  });
});
