import assert from 'node:assert/strict';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createFileCheck, fileCheck } from '../../../src/checks/file.js';
import { common, runOnce, tempDir } from './helpers.js';

const execFileAsync = promisify(execFile);

/**
 * Runs one file check in a child process that is still root (so it can load this
 * checkout wherever it lies) but without the capabilities that let root search any
 * directory (setpriv, util-linux).
 */
async function runWithoutDacOverride(path: string): Promise<{ ok: boolean; reason: string }> {
  const module = new URL('../../../src/checks/file.js', import.meta.url).href;
  const script = `
    const { createFileCheck } = await import(${JSON.stringify(module)});
    const check = createFileCheck({ path: ${JSON.stringify(path)}, invert: false }, { name: 'f', interval: 10, timeout: 5 });
    console.log(JSON.stringify(await check.run(new AbortController().signal)));`;
  const { stdout } = await execFileAsync('setpriv', [
    '--inh-caps=-dac_override,-dac_read_search',
    '--bounding-set=-dac_override,-dac_read_search',
    process.execPath,
    '--input-type=module',
    '-e',
    script,
  ]);
  return JSON.parse(stdout) as { ok: boolean; reason: string };
}

function file(input: unknown) {
  return createFileCheck(fileCheck.schema.parse(input), common('file'));
}

describe('file check', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await tempDir('file');
  });
  after(async () => {
    await dir.remove();
  });

  it('by default fails while the disable file exists and passes once it is gone', async () => {
    const path = join(dir.path, 'maintenance');
    const check = file({ path });
    assert.deepEqual(
      [(await runOnce(check)).ok, (await runOnce(check)).reason],
      [true, `no disable file ${path}`],
    );
    await writeFile(path, '');
    const present = await runOnce(check);
    assert.deepEqual([present.ok, present.reason], [false, `disable file ${path} exists`]);
    await rm(path);
    assert.equal((await runOnce(check)).ok, true);
  });

  it('with invert = true fails while the file is absent', async () => {
    const path = join(dir.path, 'ready');
    const check = file({ path, invert: true });
    const absent = await runOnce(check);
    assert.deepEqual([absent.ok, absent.reason], [false, `required file ${path} is absent`]);
    await mkdir(path); // a directory counts as existing
    const present = await runOnce(check);
    assert.deepEqual([present.ok, present.reason], [true, `${path} exists`]);
  });

  it('follows symbolic links: a dangling link is absent', async () => {
    const link = join(dir.path, 'link');
    await symlink(join(dir.path, 'nowhere'), link);
    assert.equal((await runOnce(file({ path: link }))).ok, true);
    await writeFile(join(dir.path, 'nowhere'), 'x');
    assert.equal((await runOnce(file({ path: link }))).ok, false);
  });

  it('fails when it cannot tell (a parent directory it may not search)', async () => {
    const locked = join(dir.path, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o000);
    try {
      // Root may search any directory: as root the check runs without that power.
      const result =
        process.getuid?.() === 0
          ? await runWithoutDacOverride(join(locked, 'disable'))
          : await runOnce(file({ path: join(locked, 'disable') }));
      assert.equal(result.ok, false);
      assert.match(result.reason, /^cannot tell whether .*locked\/disable exists: .*EACCES/);
    } finally {
      await chmod(locked, 0o755);
    }
  });

  it('fails when it cannot tell (a symbolic link loop)', async () => {
    const a = join(dir.path, 'loop-a');
    await symlink(join(dir.path, 'loop-b'), a);
    await symlink(a, join(dir.path, 'loop-b'));
    const result = await runOnce(file({ path: a }));
    assert.equal(result.ok, false);
    assert.match(result.reason, /^cannot tell whether .*loop-a exists: .*ELOOP/);
  });

  it('a path below a regular file counts as absent', async () => {
    const regular = join(dir.path, 'regular');
    await writeFile(regular, '');
    assert.equal((await runOnce(file({ path: join(regular, 'disable') }))).ok, true);
  });
});
