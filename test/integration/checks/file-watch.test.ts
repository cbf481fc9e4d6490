/**
 * The file check's inotify watch on a real file system: the file appearing, and its
 * directory created and removed later, each run the check at once (60 s interval).
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckScheduler } from '../../../src/checks/scheduler.js';
import { createFileCheck, watchPath } from '../../../src/checks/file.js';
import type { CheckResult } from '../../../src/checks/types.js';
import { eventually, tempDir } from './helpers.js';

describe('file check watch', () => {
  let dir: { path: string; remove(): Promise<void> };
  before(async () => {
    dir = await tempDir('file-watch');
  });
  after(async () => {
    await dir.remove();
  });

  it('a disable file touched fails the check at once (trigger watch); removed, it passes', async () => {
    const path = join(dir.path, 'disable');
    const check = createFileCheck(
      { path, invert: false },
      { name: 'maintenance', interval: 60, timeout: 5 },
    );
    const results: CheckResult[] = [];
    const scheduler = new CheckScheduler({
      splay: () => 0,
      checks: [check],
      onResult: (_c, result) => results.push(result),
    });
    scheduler.start();
    try {
      await eventually(() => results[0], 'the first run');
      assert.equal(results[0]?.ok, true);
      await writeFile(path, '');
      const failed = await eventually(() => results.find((r) => !r.ok), 'the touch noticed');
      assert.equal(failed.trigger, 'watch');
      await rm(path);
      const passed = await eventually(
        () => results.slice(results.indexOf(failed)).find((r) => r.ok),
        'the removal noticed',
      );
      assert.equal(passed.trigger, 'watch');
    } finally {
      await scheduler.stop();
    }
  });

  it('follows directories created and removed later', async () => {
    const base = join(dir.path, 'later');
    const path = join(base, 'a', 'b', 'disable');
    let wakes = 0;
    const stop = watchPath(path, () => wakes++);
    try {
      await mkdir(join(base, 'a', 'b'), { recursive: true });
      await eventually(() => wakes > 0, 'the directories appearing');
      const beforeFile = wakes;
      await writeFile(path, '');
      await eventually(() => wakes > beforeFile, 'the file in the new directory');
      const beforeRemove = wakes;
      await rm(join(base, 'a'), { recursive: true });
      await eventually(() => wakes > beforeRemove, 'the directory removed');
      // Watched again from the nearest ancestor: created once more, still seen.
      const beforeAgain = wakes;
      await mkdir(join(base, 'a', 'b'), { recursive: true });
      await writeFile(path, '');
      await eventually(() => wakes > beforeAgain, 'the file created again');
      const settled = wakes;
      await writeFile(join(base, 'a', 'b', 'unrelated'), '');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(wakes, settled, 'another file in the directory wakes nothing');
    } finally {
      stop();
    }
  });
});
