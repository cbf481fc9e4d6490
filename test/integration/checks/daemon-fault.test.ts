/**
 * Issue 12 item 1 for real: an exec check in a process out of descriptors (a child
 * node under `prlimit --nofile`, its descriptors used up) fails with EMFILE at spawn
 * and says it is the daemon's fault, not the service's; the same check with room passes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { CheckResult } from '../../../src/checks/index.js';

const checks = pathToFileURL(join(import.meta.dirname, '../../../src/checks/index.js')).href;

/** Runs `true` as an exec check in a child limited to 512 descriptors, `exhaust` first using them up. */
function runLimited(exhaust: boolean): Promise<CheckResult> {
  const script = `
import { openSync } from 'node:fs';
import { createExecCheck } from ${JSON.stringify(checks)};
const held = [];
if (${exhaust}) {
  try { for (;;) held.push(openSync('/dev/null', 'r')); } catch (error) {
    if (error.code !== 'EMFILE') throw error;
  }
}
const check = createExecCheck({ command: ['true'] }, { name: 'true', interval: 1, timeout: 5 });
const result = await check.run(new AbortController().signal);
process.stdout.write(JSON.stringify(result));
process.exit(0);
`;
  return new Promise((resolve, reject) => {
    execFile(
      'prlimit',
      ['--nofile=512:512', process.execPath, '--input-type=module', '-e', script],
      { timeout: 20_000 },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as CheckResult);
      },
    );
  });
}

describe('exec check out of descriptors', () => {
  it('fails with EMFILE and fault "daemon"; with room it passes', async () => {
    const starved = await runLimited(true);
    assert.equal(starved.ok, false);
    assert.match(starved.reason, /EMFILE/);
    assert.equal(starved.fault, 'daemon');
    const roomy = await runLimited(false);
    assert.equal(roomy.ok, true, roomy.reason);
    assert.equal(roomy.fault, undefined);
  });
});
