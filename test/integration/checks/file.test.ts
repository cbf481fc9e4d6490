import assert from 'node:assert/strict';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFileCheck, fileCheck } from '../../../src/checks/file.js';
import { common, runOnce, tempDir } from './helpers.js';

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

  it(
    'fails when it cannot tell (a parent directory it may not search)',
    { skip: process.getuid?.() === 0 ? 'root can search any directory' : false },
    async () => {
      const locked = join(dir.path, 'locked');
      await mkdir(locked);
      await chmod(locked, 0o000);
      try {
        const result = await runOnce(file({ path: join(locked, 'disable') }));
        assert.equal(result.ok, false);
        assert.match(result.reason, /^cannot tell whether .*locked\/disable exists: .*EACCES/);
      } finally {
        await chmod(locked, 0o755);
      }
    },
  );

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
