// The shared sync loop of the routing-daemon announcers, driven by a ManualClock and a
// backend that records every sync and fails when told to.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import {
  AnnouncerFailure,
  SyncedAnnouncer,
  stateFilePath,
  type RouteBackend,
  type SyncRequest,
} from '../../../src/announcers/index.js';
import { ManualClock } from '../../../src/clock/index.js';

const quiet = pino({ level: 'silent' });

class FakeBackend implements RouteBackend {
  readonly syncs: SyncRequest[] = [];
  /** What the "routing daemon" carries. */
  readonly carried = new Set<string>();
  failWith: Error | undefined;
  /** Resolve syncs only when released (to test changes during a sync). */
  hold = false;
  private release: (() => void) | undefined;

  async sync(request: SyncRequest): Promise<void> {
    this.syncs.push(request);
    if (this.hold) await new Promise<void>((resolve) => (this.release = resolve));
    if (this.failWith !== undefined) throw this.failWith;
    for (const key of request.owned.keys()) if (!request.wanted.has(key)) this.carried.delete(key);
    for (const key of request.wanted.keys()) this.carried.add(key);
  }

  releaseSync(): void {
    this.hold = false;
    this.release?.();
  }
}

async function settle(clock: ManualClock, ms = 0): Promise<void> {
  // Fire due timers and let promise chains (sync, state file) run, a few rounds.
  for (let i = 0; i < 20; i++) {
    clock.advance(i === 0 ? ms : 0);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Settles until `done()` holds: file I/O finishes on the thread pool, not in a few turns. */
async function settleUntil(
  clock: ManualClock,
  done: () => boolean | Promise<boolean>,
): Promise<void> {
  for (let i = 0; i < 5000 && !(await done()); i++) await settle(clock);
  assert.ok(await done(), 'condition not reached');
}

const exists = (path: string) =>
  readFile(path).then(
    () => true,
    () => false,
  );

function make(
  backend: FakeBackend,
  clock: ManualClock,
  extra: { stateDir?: string; stopTimeoutMs?: number; resyncMs?: number } = {},
) {
  return new SyncedAnnouncer({
    kind: 'bird',
    backend,
    context: { logger: quiet, clock, stateDir: extra.stateDir ?? '/nonexistent' },
    stateFile: extra.stateDir !== undefined,
    random: () => 0.5,
    ...(extra.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: extra.stopTimeoutMs }),
    ...(extra.resyncMs === undefined ? {} : { resyncMs: extra.resyncMs }),
  });
}

const route = (prefix: string) => ({ prefix, attributes: {} });

describe('SyncedAnnouncer', () => {
  it('reconciles at start: owned routes that are not wanted go, and start waits for it', async () => {
    const clock = new ManualClock();
    const backend = new FakeBackend();
    backend.carried.add('203.0.113.1/32');
    const announcer = make(backend, clock);
    announcer.setKnown([{ prefix: '203.0.113.1/32' }, { prefix: '203.0.113.2/32' }]);
    const started = announcer.start();
    await settle(clock);
    await started;
    assert.equal(backend.syncs.length, 1);
    assert.deepEqual([...backend.syncs[0]!.owned.keys()], ['203.0.113.1/32', '203.0.113.2/32']);
    assert.equal(backend.syncs[0]!.applied, undefined, 'the first sync does not trust memory');
    assert.equal(backend.carried.size, 0);
    assert.equal(announcer.status().state, 'in-sync');
  });

  it('batches every change of one tick into one sync', async () => {
    const clock = new ManualClock();
    const backend = new FakeBackend();
    const announcer = make(backend, clock);
    const started = announcer.start();
    await settle(clock);
    await started;
    for (let i = 1; i <= 50; i++) announcer.announce(route(`203.0.113.${i}/32`));
    announcer.withdraw({ prefix: '203.0.113.50/32' });
    await settle(clock);
    assert.equal(backend.syncs.length, 2);
    assert.equal(backend.syncs[1]!.wanted.size, 49);
    assert.equal(backend.syncs[1]!.applied?.size, 0, 'after a success, applied is known');
    assert.deepEqual(announcer.status().wanted, 49);
  });

  it('a change during a sync runs one more sync after it, with the latest set', async () => {
    const clock = new ManualClock();
    const backend = new FakeBackend();
    const announcer = make(backend, clock);
    const started = announcer.start();
    await settle(clock);
    await started;
    backend.hold = true;
    announcer.announce(route('203.0.113.1/32'));
    await settle(clock);
    announcer.announce(route('203.0.113.2/32'));
    announcer.announce(route('203.0.113.3/32'));
    await settle(clock);
    assert.equal(backend.syncs.length, 2, 'no second sync while one is in flight');
    assert.equal(announcer.status().state, 'pending');
    backend.releaseSync();
    await settle(clock);
    assert.equal(backend.syncs.length, 3);
    assert.deepEqual([...backend.syncs[2]!.wanted.keys()].sort(), [
      '203.0.113.1/32',
      '203.0.113.2/32',
      '203.0.113.3/32',
    ]);
    assert.equal(announcer.status().state, 'in-sync');
  });

  it('retries a failure with growing, capped backoff, shows it in status, then recovers', async () => {
    const clock = new ManualClock();
    const backend = new FakeBackend();
    backend.failWith = new AnnouncerFailure(
      'ANNOUNCER_DAEMON_UNREACHABLE',
      'birdc: Unable to connect to server control socket (/run/bird/bird.ctl)',
    );
    const announcer = make(backend, clock);
    const started = announcer.start();
    await settle(clock);
    await started;
    const status = announcer.status();
    assert.equal(status.state, 'failing');
    assert.equal(status.failures, 1);
    assert.equal(status.lastError?.code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    assert.match(status.lastError?.message ?? '', /Unable to connect/);
    // random() = 0.5: 87.5% of 500 ms, then of 1 s, 2 s, … capped at 30 s.
    assert.equal(Date.parse(status.retryAt ?? '') - clock.now(), 438);
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const at = Date.parse(announcer.status().retryAt ?? '');
      delays.push(at - clock.now());
      await settle(clock, at - clock.now());
    }
    assert.deepEqual(delays, [438, 875, 1750, 3500, 7000, 14000, 26250, 26250, 26250]);
    assert.equal(backend.syncs.length, 10);
    backend.failWith = undefined;
    await settle(clock, 26_250);
    assert.equal(announcer.status().state, 'in-sync');
    assert.equal(announcer.status().failures, 0);
    assert.equal(announcer.status().retryAt, undefined);
  });

  it('a new change is tried at once, not after the backoff (it may be a withdrawal)', async () => {
    const clock = new ManualClock();
    const backend = new FakeBackend();
    const announcer = make(backend, clock);
    const started = announcer.start();
    await settle(clock);
    await started;
    announcer.announce(route('203.0.113.1/32'));
    await settle(clock);
    backend.failWith = new AnnouncerFailure('ANNOUNCER_COMMAND_TIMEOUT', 'birdc: killed');
    for (let i = 0; i < 6; i++) await settle(clock, 30_000);
    const before = backend.syncs.length;
    backend.failWith = undefined;
    announcer.withdraw({ prefix: '203.0.113.1/32' });
    await settle(clock);
    assert.equal(backend.syncs.length, before + 1);
    assert.equal(backend.carried.size, 0);
  });

  it('after a failure the next sync does not trust what it applied before', async () => {
    const clock = new ManualClock();
    const backend = new FakeBackend();
    const announcer = make(backend, clock);
    const started = announcer.start();
    await settle(clock);
    await started;
    announcer.announce(route('203.0.113.1/32'));
    await settle(clock);
    backend.failWith = new Error('boom');
    announcer.announce(route('203.0.113.2/32'));
    await settle(clock);
    backend.failWith = undefined;
    await settle(clock, 1000);
    const last = backend.syncs.at(-1)!;
    assert.equal(last.applied, undefined);
    assert.ok(last.owned.has('203.0.113.1/32'));
    assert.equal(announcer.status().lastError?.code, 'ANNOUNCER_UNEXPECTED');
  });

  it('stop withdraws everything and waits for it', async () => {
    const clock = new ManualClock();
    const backend = new FakeBackend();
    const announcer = make(backend, clock);
    const started = announcer.start();
    await settle(clock);
    await started;
    announcer.announce(route('203.0.113.1/32'));
    await settle(clock);
    assert.deepEqual([...backend.carried], ['203.0.113.1/32']);
    const stopped = announcer.stop('test');
    await settle(clock);
    await stopped;
    assert.equal(backend.carried.size, 0);
    assert.equal(backend.syncs.at(-1)?.final, true);
    assert.equal(announcer.status().state, 'stopped');
    announcer.announce(route('203.0.113.9/32'));
    await settle(clock);
    assert.equal(backend.carried.size, 0, 'nothing is announced after stop');
  });

  it('stop gives up after its timeout when the routing daemon keeps failing', async () => {
    const clock = new ManualClock();
    const backend = new FakeBackend();
    const announcer = make(backend, clock, { stopTimeoutMs: 5_000 });
    const started = announcer.start();
    await settle(clock);
    await started;
    announcer.announce(route('203.0.113.1/32'));
    await settle(clock);
    backend.failWith = new Error('down');
    let done = false;
    const stopped = announcer.stop('test').then(() => (done = true));
    await settle(clock, 1_000);
    assert.equal(done, false, 'still trying within the timeout');
    await settle(clock, 4_000);
    await stopped;
    assert.equal(done, true);
    assert.deepEqual([...backend.carried], ['203.0.113.1/32']);
  });

  it('flushed() waits for the change in flight, and does not wait out a backoff', async () => {
    const clock = new ManualClock();
    const backend = new FakeBackend();
    const announcer = make(backend, clock);
    const started = announcer.start();
    await settle(clock);
    await started;
    announcer.announce(route('203.0.113.1/32'));
    let flushed = false;
    const flushing = announcer.flushed().then(() => (flushed = true));
    assert.equal(flushed, false);
    await settle(clock);
    await flushing;
    assert.ok(backend.carried.has('203.0.113.1/32'));
    backend.failWith = new Error('down');
    announcer.withdraw({ prefix: '203.0.113.1/32' });
    const failing = announcer.flushed();
    await settle(clock);
    await failing; // resolved after the failed attempt, although a retry is queued
    assert.equal(announcer.status().state, 'failing');
  });
});

describe('SyncedAnnouncer state file', () => {
  it('records routes before applying them; the next run withdraws them though the config forgot them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ag-synced-'));
    try {
      const clock = new ManualClock();
      const backend = new FakeBackend();
      backend.hold = true;
      const first = make(backend, clock, { stateDir: dir });
      const started = first.start();
      await settleUntil(clock, () => backend.syncs.length === 1);
      backend.releaseSync();
      await started;
      backend.hold = true;
      first.announce(route('203.0.113.7/32'));
      await settleUntil(clock, () => backend.syncs.length === 2);
      // The sync is in flight: the route is already on disk. Now the process "crashes".
      const recorded = JSON.parse(await readFile(stateFilePath(dir, 'bird'), 'utf8')) as unknown;
      assert.deepEqual(recorded, { version: 1, routes: [{ prefix: '203.0.113.7/32' }] });
      backend.releaseSync();
      await settleUntil(clock, () => first.status().state === 'in-sync');

      const next = new FakeBackend();
      next.carried.add('203.0.113.7/32');
      const second = make(next, clock, { stateDir: dir });
      second.setKnown([]); // the new config no longer names it
      const again = second.start();
      await settleUntil(clock, () => next.syncs.length === 1);
      await again;
      assert.ok(next.syncs[0]!.owned.has('203.0.113.7/32'));
      assert.equal(next.carried.size, 0);
      const path = stateFilePath(dir, 'bird');
      await settleUntil(
        clock,
        async () => (await exists(path)) && (await readFile(path, 'utf8')).includes('[]'),
      );
      const after = JSON.parse(await readFile(path, 'utf8')) as unknown;
      assert.deepEqual(after, { version: 1, routes: [] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a corrupt state file is reported and the configured routes are still reconciled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ag-synced-'));
    try {
      await writeFile(stateFilePath(dir, 'bird'), '{ not json');
      const clock = new ManualClock();
      const backend = new FakeBackend();
      backend.carried.add('203.0.113.1/32');
      const lines: string[] = [];
      const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
      const announcer = new SyncedAnnouncer({
        kind: 'bird',
        backend,
        context: { logger, clock, stateDir: dir },
      });
      announcer.setKnown([{ prefix: '203.0.113.1/32' }]);
      const started = announcer.start();
      await settleUntil(clock, () => backend.syncs.length === 1);
      await started;
      assert.equal(backend.carried.size, 0);
      const unreadable = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((r) => r.event === 'announcer.state_file_unreadable');
      assert.match(String(unreadable?.err), /announcer-bird\.json is not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SyncedAnnouncer resync', () => {
  it('every resyncMs while in sync: a full sync without drift(), only on drift with one', async () => {
    const clock = new ManualClock();
    const plain = new FakeBackend();
    const a = make(plain, clock, { resyncMs: 30_000 });
    const started = a.start();
    await settle(clock);
    await started;
    a.announce(route('203.0.113.1/32'));
    await settle(clock);
    plain.carried.clear(); // the daemon restarted and lost it
    await settle(clock, 30_000);
    assert.ok(plain.carried.has('203.0.113.1/32'), 'put back by the resync');
    assert.equal(plain.syncs.at(-1)?.applied, undefined, 'a resync looks, it does not trust');
    assert.equal(a.status().detail?.resyncSeconds, 30);
    // A resync in flight is not a pending change: status stays in sync.
    plain.hold = true;
    const syncsBefore = plain.syncs.length;
    await settle(clock, 30_000);
    assert.equal(plain.syncs.length, syncsBefore + 1, 'the resync is in flight');
    assert.equal(a.status().state, 'in-sync');
    plain.releaseSync();
    await settle(clock);

    const drifting = Object.assign(new FakeBackend(), {
      reason: undefined as string | undefined,
      drift(this: { reason: string | undefined }) {
        return Promise.resolve(this.reason);
      },
    });
    const b = make(drifting, clock, { resyncMs: 30_000 });
    const startedB = b.start();
    await settle(clock);
    await startedB;
    const before = drifting.syncs.length;
    await settle(clock, 30_000);
    assert.equal(drifting.syncs.length, before, 'no drift: BIRD is not asked anything');
    drifting.reason = 'the BIRD prefix file was changed by someone else';
    await settle(clock, 30_000);
    assert.equal(drifting.syncs.length, before + 1);
    const stopped = Promise.all([a.stop('test'), b.stop('test')]);
    await settle(clock);
    await stopped;
    assert.equal(clock.timerCount, 0, 'stop leaves no resync timer behind');
  });
});
