// The transition history outlives a restart (STATE_DIR/transitions.json), so the
// dashboard still shows what happened just before a crash or a reboot.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { TransitionLog, TRANSITIONS_FILE } from '../../../src/api/index.js';
import type { Transition } from '../../../src/health/index.js';

const at = 1_700_000_000_000;
const t = (n: number, to: Transition['to'] = 'up'): Transition => ({
  service: 'web',
  from: to === 'up' ? 'down' : 'up',
  to,
  reason: `change ${n}`,
  at: at + n,
});

describe('TransitionLog kept in state_dir', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-transitions-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a new log reads back what the previous run recorded, newest last', async () => {
    const file = join(dir, 'state', TRANSITIONS_FILE);
    const first = new TransitionLog({ file });
    await first.load();
    first.record(t(1));
    first.record(t(2, 'down'));
    first.record(t(3));
    await first.flushed();

    const second = new TransitionLog({ file });
    await second.load();
    assert.deepEqual(
      second.list().map((x) => x.reason),
      ['change 1', 'change 2', 'change 3'],
    );
    second.record(t(4, 'down'));
    await second.flushed();
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as { transitions: Transition[] };
    assert.equal(onDisk.transitions.length, 4);
  });

  it('keeps only the newest `size`, in memory and on disk', async () => {
    const file = join(dir, 'bounded.json');
    const log = new TransitionLog({ file, size: 3 });
    for (let i = 0; i < 10; i++) log.record(t(i, i % 2 === 0 ? 'up' : 'down'));
    await log.flushed();
    const again = new TransitionLog({ file, size: 3 });
    await again.load();
    assert.deepEqual(
      again.list().map((x) => x.reason),
      ['change 7', 'change 8', 'change 9'],
    );
  });

  it('a corrupt file is logged once and the log carries on in memory', async () => {
    const file = join(dir, 'corrupt.json');
    await writeFile(file, '{"transitions": [ {"service": 1} ');
    const lines: { event?: string }[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => lines.push(JSON.parse(line) as { event?: string }) },
    );
    const log = new TransitionLog({ file, logger });
    await log.load();
    assert.deepEqual(log.list(), []);
    log.record(t(1));
    await log.flushed();
    assert.equal(log.list().length, 1);
    assert.deepEqual(
      lines.map((l) => l.event),
      ['transitions.load_failed'],
    );
  });

  it('an unwritable state_dir does not stop recording', async () => {
    // A file where the directory should be: every write fails, as root too.
    await writeFile(join(dir, 'not-a-dir'), '');
    const lines: { event?: string }[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => lines.push(JSON.parse(line) as { event?: string }) },
    );
    const log = new TransitionLog({ file: join(dir, 'not-a-dir', TRANSITIONS_FILE), logger });
    log.record(t(1));
    log.record(t(2, 'down'));
    await log.flushed();
    assert.equal(log.list().length, 2);
    assert.deepEqual(
      lines.map((l) => l.event),
      ['transitions.save_failed'],
    );
  });
});
