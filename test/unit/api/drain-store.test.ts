// The drained-services file: round trip, atomic replacement, and refusing a file it cannot read.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DrainStore, DrainStoreError } from '../../../src/api/index.js';

describe('DrainStore', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-drains-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts empty without a file, and a second store reads what the first wrote', async () => {
    const stateDir = join(dir, 'a', 'state');
    const store = new DrainStore(stateDir);
    assert.equal((await store.load()).size, 0);
    await Promise.all([
      store.drain('web', 'maintenance', 1000),
      store.drain('dns', 'moving', 2000),
    ]);
    await store.undrain('dns');
    assert.deepEqual(await readdir(stateDir), ['drained.json'], 'no temporary file left');
    const again = new DrainStore(stateDir);
    assert.deepEqual([...(await again.load())], [['web', { reason: 'maintenance', at: 1000 }]]);
    assert.deepEqual(again.reasons(), new Map([['web', 'maintenance']]));
    assert.deepEqual(JSON.parse(await readFile(join(stateDir, 'drained.json'), 'utf8')), {
      version: 1,
      drained: { web: { reason: 'maintenance', at: 1000 } },
    });
  });

  it('keeps a graceful drain’s deadline, and gives it to the daemon', async () => {
    const stateDir = join(dir, 'graceful');
    const store = new DrainStore(stateDir);
    await store.load();
    await store.drain('web', 'upgrade', 1000, 31_000);
    await store.drain('dns', 'moving', 2000);
    const again = new DrainStore(stateDir);
    await again.load();
    assert.deepEqual(again.get('web'), { reason: 'upgrade', at: 1000, until: 31_000 });
    assert.deepEqual(
      again.orders(),
      new Map([
        ['web', { reason: 'upgrade', until: 31_000 }],
        ['dns', { reason: 'moving' }],
      ]),
    );
  });

  it('refuses a corrupt or foreign file instead of forgetting the drains', async () => {
    for (const text of [
      '{"version":1,"drained":',
      '{"drained":{}}',
      '{"version":1,"drained":{"web":"x"}}',
      '{"version":1,"drained":{"web":{"reason":"x","at":1,"until":"soon"}}}',
    ]) {
      const stateDir = await mkdtemp(join(dir, 'bad-'));
      await writeFile(join(stateDir, 'drained.json'), text);
      await assert.rejects(new DrainStore(stateDir).load(), DrainStoreError, text);
    }
  });

  it('a failed write keeps the change in memory (marked unsaved), not on disk; the next write carries it', async () => {
    const stateDir = join(dir, 'blocked');
    const store = new DrainStore(stateDir);
    await store.drain('web', 'one');
    // A directory where the temporary file would go makes the write fail.
    const { mkdir } = await import('node:fs/promises');
    await mkdir(`${store.path}.${process.pid}.tmp`);
    assert.equal(store.unsaved, false);
    await assert.rejects(store.drain('dns', 'two'), DrainStoreError);
    // The running daemon is drained: memory says so, and that it is not on disk.
    assert.equal(store.get('dns')?.reason, 'two');
    assert.equal(store.unsaved, true);
    assert.equal((await new DrainStore(stateDir).load()).has('dns'), false);
    await rm(`${store.path}.${process.pid}.tmp`, { recursive: true });
    await store.drain('mail', 'three');
    const onDisk = await new DrainStore(stateDir).load();
    assert.equal(onDisk.get('dns')?.reason, 'two');
    assert.equal(onDisk.get('mail')?.reason, 'three');
    assert.equal(store.unsaved, false);
  });
});
