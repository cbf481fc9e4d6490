/**
 * The CLI's `#!/usr/bin/env -S node FLAGS` line: it runs as an executable on this system
 * (env passes the flags on), and the transfer benchmark's speaker gets the same flags.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { daemonNodeFlags } from '../../lab/speaker-client.js';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const PACKAGE = new URL('../../../../package.json', import.meta.url);

describe('the CLI node flags', () => {
  it('the CLI runs through its own first line', async () => {
    const { version } = JSON.parse(readFileSync(PACKAGE, 'utf8')) as { version: string };
    // As the kernel runs it (tsc leaves dist/ without the x bit; npm sets it on install):
    // the interpreter, the rest of the line as one argument, then the script.
    const [interpreter, argument] = readFileSync(CLI, 'utf8')
      .split('\n', 1)[0]!
      .slice(2)
      .split(/ (.*)/, 2) as [string, string];
    const { stdout } = await promisify(execFile)(interpreter, [argument, CLI, '--version']);
    assert.equal(stdout.trim(), version);
  });

  it('the benchmark speaker runs with the flags of that line', () => {
    const first = readFileSync(CLI, 'utf8').split('\n', 1)[0];
    assert.equal(first, `#!/usr/bin/env -S node ${daemonNodeFlags().join(' ')}`);
    assert.ok(daemonNodeFlags().some((flag) => flag.startsWith('--max-semi-space-size=')));
  });
});
