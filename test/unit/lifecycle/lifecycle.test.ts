/**
 * The lifecycle runner with fake parts and a ManualClock: order, reverse stop, a failed
 * start unwinding, the stop bound, a stop during start. No sleeping: a part's start or
 * stop resolves when the test says so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/clock/index.js';
import {
  Lifecycle,
  LifecycleError,
  part,
  type LifecycleOptions,
  type Part,
  type PartFailure,
} from '../../../src/lifecycle/index.js';

/** Lets every pending promise callback run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
  fail(error: Error): void;
}

function gate(): Gate {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

interface Logged {
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

interface FakeOptions {
  /** The start waits for this gate (or fails with this error). */
  readonly start?: Gate | Error;
  /** The stop waits for this gate (or fails with this error). */
  readonly stop?: Gate | Error;
  readonly stopTimeoutMs?: number;
}

function setup(
  specs: Record<string, FakeOptions>,
  options: Partial<LifecycleOptions> = {},
): {
  lifecycle: Lifecycle;
  journal: string[];
  logged: Logged[];
  clock: ManualClock;
  events: () => string[];
} {
  const journal: string[] = [];
  const logged: Logged[] = [];
  const clock = new ManualClock(0);
  const parts: Part[] = Object.entries(specs).map(([name, spec]) =>
    part(name, {
      start: async () => {
        journal.push(`start ${name}`);
        if (spec.start instanceof Error) throw spec.start;
        await spec.start?.promise;
        journal.push(`started ${name}`);
      },
      stop: async (reason) => {
        journal.push(`stop ${name} (${reason})`);
        if (spec.stop instanceof Error) throw spec.stop;
        await spec.stop?.promise;
        journal.push(`stopped ${name}`);
      },
      ...(spec.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: spec.stopTimeoutMs }),
    }),
  );
  const lifecycle = new Lifecycle(parts, {
    log: { error: (fields, message) => logged.push({ fields: { ...fields }, message }) },
    timers: clock,
    ...options,
  });
  const events = () => logged.map((l) => `${String(l.fields.event)} ${String(l.fields.part)}`);
  return { lifecycle, journal, logged, clock, events };
}

describe('Lifecycle', () => {
  it('starts the parts in order and stops them in reverse, each with the reason', async () => {
    const { lifecycle, journal, logged } = setup({ a: {}, b: {}, c: {} });
    assert.equal(await lifecycle.start(), true);
    assert.deepEqual(journal, [
      'start a',
      'started a',
      'start b',
      'started b',
      'start c',
      'started c',
    ]);
    journal.length = 0;
    assert.deepEqual(await lifecycle.stop('SIGTERM'), []);
    assert.deepEqual(journal, [
      'stop c (SIGTERM)',
      'stopped c',
      'stop b (SIGTERM)',
      'stopped b',
      'stop a (SIGTERM)',
      'stopped a',
    ]);
    assert.deepEqual(logged, []);
  });

  it('starts one part at a time: the next waits for the one before', async () => {
    const a = gate();
    const { lifecycle, journal } = setup({ a: { start: a }, b: {} });
    const started = lifecycle.start();
    await flush();
    assert.deepEqual(journal, ['start a']);
    a.open();
    assert.equal(await started, true);
    assert.deepEqual(journal, ['start a', 'started a', 'start b', 'started b']);
  });

  it('start and stop are idempotent; a stop with nothing started stops nothing; it can start again', async () => {
    const { lifecycle, journal } = setup({ a: {}, b: {} });
    assert.deepEqual(await lifecycle.stop('early'), []);
    assert.equal(journal.length, 0);
    await Promise.all([lifecycle.start(), lifecycle.start()]);
    await lifecycle.start();
    assert.equal(journal.filter((j) => j === 'start a').length, 1);
    const [first, second] = [lifecycle.stop('one'), lifecycle.stop('two')];
    assert.equal(first, second);
    await first;
    assert.equal(journal.filter((j) => j.startsWith('stop a')).length, 1);
    assert.deepEqual(await lifecycle.stop('again'), []);
    assert.equal(journal.filter((j) => j.startsWith('stop a')).length, 1);

    journal.length = 0;
    assert.equal(await lifecycle.start(), true);
    assert.deepEqual(journal, ['start a', 'started a', 'start b', 'started b']);
  });

  it('a failed start stops the parts already started, in reverse, and rejects with its error', async () => {
    const broken = new Error('socket in use');
    const { lifecycle, journal, logged, events } = setup(
      { a: {}, b: {}, c: { start: broken }, d: {} },
      { unwindReason: 'failed to start' },
    );
    await assert.rejects(lifecycle.start(), (error) => error === broken);
    assert.deepEqual(journal, [
      'start a',
      'started a',
      'start b',
      'started b',
      'start c',
      // c undid itself (the Part contract): it is not stopped; d never started.
      'stop b (failed to start)',
      'stopped b',
      'stop a (failed to start)',
      'stopped a',
    ]);
    assert.deepEqual(events(), ['lifecycle.start_failed c']);
    assert.equal(logged[0]?.fields.err, broken);
    // Nothing is left to stop, and a later start tries again from the first part.
    journal.length = 0;
    assert.deepEqual(await lifecycle.stop('after'), []);
    assert.equal(journal.length, 0);
    await assert.rejects(lifecycle.start(), (error) => error === broken);
    assert.equal(journal[0], 'start a');
  });

  it('a stop during start waits for the step in progress, starts nothing more, stops the rest', async () => {
    const b = gate();
    const { lifecycle, journal } = setup({ a: {}, b: { start: b }, c: {} });
    const started = lifecycle.start();
    await flush();
    assert.deepEqual(journal, ['start a', 'started a', 'start b']);

    const stopped = lifecycle.stop('SIGTERM');
    await flush();
    // Nothing is torn down while b is half-started.
    assert.deepEqual(journal, ['start a', 'started a', 'start b']);

    b.open();
    assert.equal(await started, false);
    assert.deepEqual(await stopped, []);
    assert.deepEqual(journal, [
      'start a',
      'started a',
      'start b',
      'started b',
      'stop b (SIGTERM)',
      'stopped b',
      'stop a (SIGTERM)',
      'stopped a',
    ]);
  });

  it('a stop during a start step that then fails: the unwind stops each part once', async () => {
    const b = gate();
    const { lifecycle, journal, events } = setup(
      { a: {}, b: { start: b }, c: {} },
      { unwindReason: 'failed to start' },
    );
    const started = lifecycle.start();
    await flush();
    const stopped = lifecycle.stop('SIGTERM');
    b.fail(new Error('no route'));
    await assert.rejects(started, /no route/);
    assert.deepEqual(await stopped, []);
    assert.deepEqual(journal, [
      'start a',
      'started a',
      'start b',
      'stop a (failed to start)',
      'stopped a',
    ]);
    assert.deepEqual(events(), ['lifecycle.start_failed b']);
  });

  it('bounds each stop: a part past its bound is logged and the next one stops anyway', async () => {
    const hung = gate();
    const { lifecycle, journal, clock, events } = setup(
      { a: {}, b: { stop: hung }, c: {} },
      { stopTimeoutMs: 5_000 },
    );
    await lifecycle.start();
    journal.length = 0;
    let failures: readonly PartFailure[] | undefined;
    void lifecycle.stop('SIGTERM').then((f) => (failures = f));
    // Read through a call: the assignment above happens in a callback.
    const outcome = (): readonly PartFailure[] | undefined => failures;
    await flush();
    assert.deepEqual(journal, ['stop c (SIGTERM)', 'stopped c', 'stop b (SIGTERM)']);

    clock.advance(4_999);
    await flush();
    assert.deepEqual(events(), [], 'timed out early');
    assert.equal(outcome(), undefined);

    clock.advance(1);
    await flush();
    assert.deepEqual(events(), ['lifecycle.stop_timeout b']);
    assert.deepEqual(journal.slice(3), ['stop a (SIGTERM)', 'stopped a']);
    assert.equal(outcome()?.length, 1);
    const failure = outcome()?.[0];
    assert.equal(failure?.part, 'b');
    assert.ok(failure?.error instanceof LifecycleError);
    assert.equal(failure.error.kind, 'LIFECYCLE_STOP_TIMEOUT');
    assert.equal(failure.error.timeoutMs, 5_000);
    // The hung stop finishing later changes nothing.
    hung.open();
    await flush();
    assert.equal(clock.timerCount, 0);
  });

  it("a part's own bound wins over the list's; Infinity sets no timer", async () => {
    const slow = gate();
    const unbounded = gate();
    const { lifecycle, clock, events } = setup(
      { a: { stop: unbounded, stopTimeoutMs: Infinity }, b: { stop: slow, stopTimeoutMs: 100 } },
      { stopTimeoutMs: 10_000 },
    );
    await lifecycle.start();
    const stopped = lifecycle.stop('x');
    await flush();
    clock.advance(100);
    await flush();
    assert.deepEqual(events(), ['lifecycle.stop_timeout b']);
    // a's stop runs with no timer at all.
    assert.equal(clock.timerCount, 0);
    clock.advance(1_000_000);
    unbounded.open();
    const failures = await stopped;
    assert.deepEqual(
      failures.map((f) => f.part),
      ['b'],
    );
  });

  it('a stop that finishes in time clears its timer', async () => {
    const { lifecycle, clock } = setup({ a: {}, b: {} });
    await lifecycle.start();
    await lifecycle.stop('x');
    assert.equal(clock.timerCount, 0);
  });

  it('collects stop failures (thrown or rejected) and still stops every other part', async () => {
    const rejected = gate();
    const thrown = new Error('cannot remove the address');
    const { lifecycle, journal, events } = setup({
      a: {},
      b: { stop: thrown },
      c: { stop: rejected },
    });
    await lifecycle.start();
    journal.length = 0;
    rejected.fail(new Error('withdraw failed'));
    const failures = await lifecycle.stop('SIGINT');
    assert.deepEqual(
      failures.map((f) => [f.part, (f.error as Error).message]),
      [
        ['c', 'withdraw failed'],
        ['b', 'cannot remove the address'],
      ],
    );
    assert.deepEqual(events(), ['lifecycle.stop_failed c', 'lifecycle.stop_failed b']);
    assert.deepEqual(journal, [
      'stop c (SIGINT)',
      'stop b (SIGINT)',
      'stop a (SIGINT)',
      'stopped a',
    ]);
  });

  it('a part whose stop throws synchronously is a failure like any other', async () => {
    const parts: Part[] = [
      {
        name: 'sync',
        start: () => Promise.resolve(),
        stop: () => {
          throw new Error('sync throw');
        },
      },
    ];
    const logged: string[] = [];
    const lifecycle = new Lifecycle(parts, {
      log: { error: (fields) => logged.push(String((fields as { event: string }).event)) },
    });
    await lifecycle.start();
    const failures = await lifecycle.stop('x');
    assert.equal((failures[0]?.error as Error).message, 'sync throw');
    assert.deepEqual(logged, ['lifecycle.stop_failed']);
  });

  it('part(): a missing start or stop does nothing', async () => {
    const only = part('stop-only', {});
    await only.start();
    await only.stop('x');
    assert.equal(only.name, 'stop-only');
    assert.equal('stopTimeoutMs' in only, false);
  });
});
