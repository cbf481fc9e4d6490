// The import order of docs/architecture.md is enforced by `npm run lint` through
// lint/layers.js. These cases lint small sources as if they sat in src/, so a rule
// that stopped reporting back-edges would fail here, not only in review.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const root = process.cwd();

async function lintAs(pathInSrc: string, code: string): Promise<Linter.LintMessage[]> {
  const { layersPlugin } = (await import(pathToFileURL(join(root, 'lint/layers.js')).href)) as {
    layersPlugin: NonNullable<Linter.Config['plugins']>[string];
  };
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { layers: layersPlugin },
        rules: { 'layers/import-order': 'error' },
      },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: join(root, 'src', pathInSrc) });
  return result?.messages ?? [];
}

describe('lint: the layers of docs/architecture.md', () => {
  it('refuses a lower layer importing a higher one (bgp → config)', async () => {
    const messages = await lintAs(
      'bgp/x.ts',
      "import type { DaemonConfig } from '../config/index.js';\n",
    );
    assert.equal(messages.length, 1);
    assert.equal(messages[0]?.ruleId, 'layers/import-order');
    assert.match(messages[0]?.message ?? '', /bgp \(layer \d+\) may not import config/);
  });

  it('refuses siblings on one layer (checks → bgp)', async () => {
    const messages = await lintAs('checks/x.ts', "import { BgpSpeaker } from '../bgp/index.js';\n");
    assert.equal(messages.length, 1);
    assert.match(messages[0]?.message ?? '', /checks .* may not import bgp/);
  });

  it('refuses reaching past an index.ts (daemon → checks/scheduler.js)', async () => {
    const messages = await lintAs(
      'daemon/x.ts',
      "export { CheckScheduler } from '../checks/scheduler.js';\n",
    );
    assert.equal(messages.length, 1);
    assert.match(messages[0]?.message ?? '', /through its index\.ts/);
  });

  it('refuses a folder with no layer', async () => {
    const messages = await lintAs('newthing/x.ts', "import { LEVELS } from '../log/index.js';\n");
    assert.equal(messages.length, 1);
    assert.match(messages[0]?.message ?? '', /src\/newthing\/ has no layer/);
  });

  it('accepts downward imports through an index and imports inside an area', async () => {
    const messages = await lintAs(
      'daemon/x.ts',
      [
        "import { CheckScheduler } from '../checks/index.js';",
        "import { BIRD_DEFAULTS } from '../announcers/bird/index.js';",
        "import { runHook } from './hook.js';",
        "const later = import('../health/index.js');",
        '',
      ].join('\n'),
    );
    assert.deepEqual(messages, []);
  });
});
