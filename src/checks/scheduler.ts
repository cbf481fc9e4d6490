/**
 * Runs checks on their intervals with an injected Clock.
 *
 * - Each check runs every `interval` seconds on a fixed grid (no drift): the
 *   first run comes a splay after start (a fraction of the interval, by default
 *   derived from the check's type and name, so a thousand checks do not fire
 *   together and a restart keeps their phases).
 * - Runs of one check never overlap (its timeout may be longer than its interval,
 *   as ExaBGP's healthcheck allows): a slot that falls due while the previous run
 *   is still going is owed, and runs as soon as that run ends (due then, so no
 *   lag is reported); further slots due meanwhile are skipped and counted.
 * - A check with `intervalWhileChanging` runs that often while `isChanging` says
 *   it is counting towards rise or fall (ExaBGP's --fast-interval), then rejoins
 *   its grid.
 * - If the process stalls past whole slots, the missed slots are not replayed:
 *   the run happens once, late (its lag shows it), and the grid carries on.
 * - Results go to `onResult` with when the run was due, when it started, and
 *   the lag between the two (the daemon reports check-start lag).
 * - A check with a `watch` is woken by its events (runNow): the run starts at once,
 *   or right after the run in flight; the grid is left as it was (the fallback).
 * - stop() clears every timer and aborts runs in flight (their results are
 *   dropped), then awaits the end of every exec check's process group (bounded
 *   by the kill grace plus a confirmation wait), so no check process outlives
 *   the daemon; add()/remove() apply config reloads to a running scheduler.
 */
import { type Clock, type TimerHandle, systemClock } from '../clock/index.js';
import { CheckError } from './errors.js';
import { checkProcessGroups, type ProcessGroups } from './process-group.js';
import { runCheck } from './runner.js';
import type { CheckResult, CheckTrigger, HealthCheck } from './types.js';
import { errorReason } from '../util/index.js';

export interface CheckTiming {
  /** When the run was due (clock ms). */
  readonly scheduledAt: number;
  /** When it actually started. */
  readonly startedAt: number;
  /** startedAt - scheduledAt. */
  readonly lagMs: number;
  /** What made the run happen (its schedule, or an event of the check's watch). */
  readonly trigger: CheckTrigger;
}

export type CheckResultListener = (
  check: HealthCheck,
  result: CheckResult,
  timing: CheckTiming,
) => void;

export interface CheckSchedulerOptions {
  readonly onResult: CheckResultListener;
  readonly clock?: Clock;
  readonly checks?: Iterable<HealthCheck>;
  /** Fraction of the interval, in [0, 1), before a check's first run. Default: hashSplay. */
  readonly splay?: (check: HealthCheck) => number;
  /** A due run skipped because the previous run of the check is still going. */
  readonly onSkip?: (check: HealthCheck, scheduledAt: number) => void;
  /** The exec checks' process groups, awaited on stop. Default: the daemon's one registry. */
  readonly groups?: ProcessGroups;
  /**
   * Asked after each delivered result of a check with `intervalWhileChanging`: true while
   * the check is between states (passes counting towards rise, or failures towards fall).
   */
  readonly isChanging?: (check: HealthCheck) => boolean;
}

export interface CheckStats {
  /** Runs whose result was delivered. */
  readonly runs: number;
  /** Slots skipped because a run was still going (beyond the one run owed). */
  readonly skipped: number;
  readonly running: boolean;
  /** Clock ms of the next slot, when the scheduler is started. */
  readonly nextAt?: number;
}

/** FNV-1a of the check's type and name, as a fraction in [0, 1): same check, same phase. */
export function hashSplay(check: HealthCheck): number {
  return splayFraction(`${check.type}\0${check.name}`);
}

/** FNV-1a of any text as a fraction in [0, 1): a stable phase for a stable key. */
export function splayFraction(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 2 ** 32;
}

interface InFlight {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

interface Entry {
  readonly check: HealthCheck;
  readonly intervalMs: number;
  /** intervalWhileChanging in ms, when set. */
  readonly fastMs?: number;
  /** Clock ms of the first slot: the grid is origin + k * intervalMs. */
  origin: number;
  timer?: TimerHandle;
  nextAt?: number;
  inFlight?: InFlight;
  /** A slot fell due during the run in flight: run again as soon as it ends. */
  owed: boolean;
  runs: number;
  skipped: number;
  /** Stops the check's watch, while it is watched. */
  unwatch?: () => void;
  /** An event arrived during a run: run again once it ends. */
  rerun?: CheckTrigger;
}

export class CheckScheduler {
  private readonly clock: Clock;
  private readonly onResult: CheckResultListener;
  private readonly onSkip: CheckSchedulerOptions['onSkip'];
  private readonly splay: (check: HealthCheck) => number;
  private readonly groups: ProcessGroups;
  private readonly isChanging: CheckSchedulerOptions['isChanging'];
  private readonly entries = new Map<HealthCheck, Entry>();
  private started = false;

  constructor(options: CheckSchedulerOptions) {
    this.clock = options.clock ?? systemClock;
    this.onResult = options.onResult;
    this.onSkip = options.onSkip;
    this.splay = options.splay ?? hashSplay;
    this.groups = options.groups ?? checkProcessGroups;
    this.isChanging = options.isChanging;
    for (const check of options.checks ?? []) this.add(check);
  }

  get isStarted(): boolean {
    return this.started;
  }

  get size(): number {
    return this.entries.size;
  }

  has(check: HealthCheck): boolean {
    return this.entries.has(check);
  }

  stats(check: HealthCheck): CheckStats | undefined {
    const entry = this.entries.get(check);
    if (entry === undefined) return undefined;
    return {
      runs: entry.runs,
      skipped: entry.skipped,
      running: entry.inFlight !== undefined,
      ...(entry.timer === undefined || entry.nextAt === undefined ? {} : { nextAt: entry.nextAt }),
    };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const entry of this.entries.values()) this.armFirst(entry);
  }

  /**
   * Clears every timer and aborts runs in flight; resolves once they have settled
   * and every check's process group is gone (or survived SIGKILL: a warning).
   */
  async stop(): Promise<void> {
    this.started = false;
    const pending: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      const done = this.halt(entry);
      if (done !== undefined) pending.push(done);
    }
    await Promise.all(pending);
    const survivors = await this.groups.settled();
    if (survivors > 0)
      process.emitWarning(`${survivors} check process group(s) still alive after SIGKILL`);
  }

  add(check: HealthCheck): void {
    if (this.entries.has(check)) {
      throw new CheckError('CHECK_SCHEDULER_MISUSE', `check "${check.name}" is already scheduled`);
    }
    if (!(check.interval > 0) || !Number.isFinite(check.interval)) {
      throw new CheckError(
        'CHECK_SCHEDULER_MISUSE',
        `check "${check.name}" has interval ${check.interval}; it must be a positive number of seconds`,
      );
    }
    const fast = check.intervalWhileChanging;
    if (fast !== undefined && (!(fast > 0) || !Number.isFinite(fast))) {
      throw new CheckError(
        'CHECK_SCHEDULER_MISUSE',
        `check "${check.name}" has interval_while_changing ${fast}; it must be a positive number of seconds`,
      );
    }
    const entry: Entry = {
      check,
      intervalMs: check.interval * 1000,
      ...(fast === undefined ? {} : { fastMs: fast * 1000 }),
      origin: 0,
      owed: false,
      runs: 0,
      skipped: 0,
    };
    this.entries.set(check, entry);
    if (this.started) this.armFirst(entry);
  }

  /** Stops scheduling the check and aborts its run in flight (whose result is dropped). */
  remove(check: HealthCheck): void {
    const entry = this.entries.get(check);
    if (entry === undefined) return;
    this.entries.delete(check);
    void this.halt(entry);
  }

  /**
   * Runs the check now, outside its grid (an event of its watch); during a run, once
   * that run ends. Ignored when the check is not scheduled or the scheduler stopped.
   */
  runNow(check: HealthCheck, trigger: CheckTrigger = 'watch'): void {
    const entry = this.entries.get(check);
    if (!this.started || entry === undefined) return;
    if (entry.inFlight !== undefined) {
      entry.rerun = trigger;
      return;
    }
    const now = this.clock.now();
    this.startRun(entry, now, now, trigger);
  }

  private halt(entry: Entry): Promise<void> | undefined {
    entry.unwatch?.();
    entry.unwatch = undefined;
    entry.rerun = undefined;
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.nextAt = undefined;
    entry.owed = false;
    const inFlight = entry.inFlight;
    if (inFlight === undefined) return undefined;
    inFlight.controller.abort(new Error('check scheduler stopped'));
    return inFlight.done;
  }

  private armFirst(entry: Entry): void {
    const fraction = this.splay(entry.check);
    const clamped = Number.isFinite(fraction) ? Math.min(Math.max(fraction, 0), 1) : 0;
    entry.origin = this.clock.now() + Math.floor(clamped * entry.intervalMs);
    this.arm(entry, entry.origin);
    const check = entry.check;
    if (check.watch !== undefined && entry.unwatch === undefined) {
      try {
        entry.unwatch = check.watch(() => this.runNow(check, 'watch'));
      } catch (error) {
        process.emitWarning(
          `check "${check.name}" could not start its watch: ${errorReason(error)}`,
        );
      }
    }
  }

  private arm(entry: Entry, at: number): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.nextAt = at;
    entry.timer = this.clock.setTimeout(() => this.due(entry, at), at - this.clock.now());
  }

  /** The first slot of the check's grid after `time` (missed slots are not replayed). */
  private gridAfter(entry: Entry, time: number): number {
    const k = Math.floor((time - entry.origin) / entry.intervalMs) + 1;
    return entry.origin + Math.max(k, 1) * entry.intervalMs;
  }

  private due(entry: Entry, scheduledAt: number): void {
    entry.timer = undefined;
    if (!this.started || this.entries.get(entry.check) !== entry) return;
    const now = this.clock.now();
    this.arm(entry, this.gridAfter(entry, now));
    if (entry.inFlight !== undefined) {
      if (!entry.owed) entry.owed = true;
      else {
        entry.skipped++;
        this.onSkip?.(entry.check, scheduledAt);
      }
      return;
    }
    this.startRun(entry, scheduledAt, now, 'interval');
  }

  /**
   * After a delivered result: the run owed (a slot due during the run, or an event of
   * the check's watch: one run answers both), else a fast run while the check is changing.
   */
  private afterRun(entry: Entry, startedAt: number): void {
    if (!this.started || this.entries.get(entry.check) !== entry || entry.inFlight !== undefined)
      return;
    const now = this.clock.now();
    const rerun = entry.rerun;
    entry.rerun = undefined;
    if (rerun !== undefined || entry.owed) {
      entry.owed = false;
      this.startRun(entry, now, now, rerun ?? 'interval');
      return;
    }
    if (entry.fastMs === undefined || this.isChanging?.(entry.check) !== true) return;
    const at = Math.max(now, startedAt + entry.fastMs);
    if (entry.nextAt === undefined || at < entry.nextAt) this.arm(entry, at);
  }

  private startRun(
    entry: Entry,
    scheduledAt: number,
    startedAt: number,
    trigger: CheckTrigger,
  ): void {
    const controller = new AbortController();
    const timing: CheckTiming = {
      scheduledAt,
      startedAt,
      lagMs: startedAt - scheduledAt,
      trigger,
    };
    const done = runCheck(entry.check, this.clock, controller.signal).then((result) => {
      if (entry.inFlight?.controller === controller) entry.inFlight = undefined;
      if (controller.signal.aborted || this.entries.get(entry.check) !== entry) return;
      entry.runs++;
      try {
        this.onResult(entry.check, { ...result, trigger }, timing);
      } catch (error) {
        process.emitWarning(`check result listener threw: ${errorReason(error)}`);
      }
      this.afterRun(entry, startedAt);
    });
    entry.inFlight = { controller, done };
  }
}
