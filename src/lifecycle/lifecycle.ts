/**
 * Starts an ordered list of parts and stops the started ones in reverse, so the order
 * in which a node comes up and goes down is written once, as a list (src/cli/run.ts).
 *
 * - start: one part at a time, in order. A part that throws is logged
 *   (`lifecycle.start_failed`); the parts started before it are stopped in reverse and
 *   start rejects with that part's error.
 * - stop: waits for the start step in progress (a part is never stopped half-started),
 *   starts no further part, then stops the started ones in reverse. Each stop is bounded
 *   (`lifecycle.stop_timeout`); a stop that throws is logged (`lifecycle.stop_failed`).
 *   Either way the remaining parts still stop, and stop resolves with the failures.
 * - Once stopped, the list may be started again (a daemon in tests is).
 *
 * Timers are injected (a Clock fits), so tests drive the bound without sleeping.
 */
import { LifecycleError } from './errors.js';
import type { Part } from './part.js';

/** The two timer calls the bound needs; `Clock` from src/clock fits. */
export interface LifecycleTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  // Method syntax on purpose: a Clock's clearTimeout takes its own handle type.
  clearTimeout(handle: unknown): void;
}

/** What the lifecycle logs through; a pino Logger fits. */
export interface LifecycleLog {
  error(fields: object, message: string): void;
}

export interface LifecycleOptions {
  readonly log: LifecycleLog;
  /** Bound on each part's stop unless the part gives its own; Infinity for none. */
  readonly stopTimeoutMs?: number;
  /** The reason the started parts are stopped with when a later part fails to start. */
  readonly unwindReason?: string;
  readonly timers?: LifecycleTimers;
}

export interface PartFailure {
  readonly part: string;
  /** What the part threw, or a LifecycleError when its stop ran past its bound. */
  readonly error: unknown;
}

export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

const realTimers: LifecycleTimers = {
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    // The bound alone never keeps a process alive.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Lifecycle {
  readonly parts: readonly Part[];
  private readonly log: LifecycleLog;
  private readonly timers: LifecycleTimers;
  private readonly stopTimeoutMs: number;
  private readonly unwindReason: string;
  /** Started and not yet stopped, in start order. */
  private readonly started: Part[] = [];
  private starting: Promise<boolean> | undefined;
  private stopping: Promise<readonly PartFailure[]> | undefined;
  private stopRequested = false;

  constructor(parts: readonly Part[], options: LifecycleOptions) {
    this.parts = parts;
    this.log = options.log;
    this.timers = options.timers ?? realTimers;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.unwindReason = options.unwindReason ?? 'failed to start';
  }

  /**
   * Starts every part in order. Resolves true once all are up, false when a stop came
   * first (the parts not reached are never started); rejects when a part fails.
   */
  async start(): Promise<boolean> {
    if (this.stopping !== undefined) {
      await this.stopping;
      return this.start();
    }
    this.starting ??= this.startAll();
    return this.starting;
  }

  /** Stops what started, in reverse; resolves with what failed (each already logged). */
  stop(reason: string): Promise<readonly PartFailure[]> {
    if (this.stopping !== undefined) return this.stopping;
    if (this.starting === undefined) return Promise.resolve([]);
    this.stopRequested = true;
    const starting = this.starting;
    this.stopping = (async () => {
      await starting.catch(() => undefined);
      const failures = await this.stopStarted(reason);
      this.starting = undefined;
      this.stopping = undefined;
      this.stopRequested = false;
      return failures;
    })();
    return this.stopping;
  }

  private async startAll(): Promise<boolean> {
    for (const part of this.parts) {
      if (this.stopRequested) return false;
      try {
        await part.start();
      } catch (error) {
        this.log.error(
          { event: 'lifecycle.start_failed', part: part.name, err: error },
          'a part failed to start: stopping the parts already started',
        );
        await this.stopStarted(this.unwindReason);
        // Not stopping: a later start() tries again from the first part.
        if (!this.stopRequested) this.starting = undefined;
        throw error;
      }
      this.started.push(part);
    }
    return true;
  }

  private async stopStarted(reason: string): Promise<PartFailure[]> {
    const failures: PartFailure[] = [];
    for (let part = this.started.pop(); part !== undefined; part = this.started.pop()) {
      const failure = await this.stopOne(part, reason);
      if (failure !== undefined) failures.push(failure);
    }
    return failures;
  }

  private async stopOne(part: Part, reason: string): Promise<PartFailure | undefined> {
    const bound = part.stopTimeoutMs ?? this.stopTimeoutMs;
    // Async, so a stop that throws at once is a rejection like any other.
    const stopped = (async () => {
      await part.stop(reason);
      return 'stopped' as const;
    })();
    let handle: unknown;
    const timedOut = new Promise<'timeout'>((resolve) => {
      if (Number.isFinite(bound))
        handle = this.timers.setTimeout(() => resolve('timeout'), Math.max(0, bound));
    });
    try {
      // A stop still running after its bound is left to finish on its own (the race
      // has handled its promise, so a late failure is not an unhandled rejection).
      if ((await Promise.race([stopped, timedOut])) === 'stopped') return undefined;
      this.log.error(
        { event: 'lifecycle.stop_timeout', part: part.name, timeoutMs: bound },
        'a part did not stop in time: stopping the next one anyway',
      );
      return { part: part.name, error: new LifecycleError(part.name, bound) };
    } catch (error) {
      this.log.error(
        { event: 'lifecycle.stop_failed', part: part.name, err: error },
        'a part failed to stop: stopping the next one anyway',
      );
      return { part: part.name, error };
    } finally {
      if (handle !== undefined) this.timers.clearTimeout(handle);
    }
  }
}
