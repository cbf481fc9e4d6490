/**
 * The part every routing-daemon announcer shares: the declarative loop that makes a
 * routing daemon carry the wanted routes, whatever happened to it in between.
 *
 * - announce/withdraw only change the wanted set; a sync runs after `batchMs`, so every
 *   change made in one tick (however many services changed) becomes one sync, e.g. one
 *   `birdc configure`.
 * - A sync hands the backend the whole wanted set and every route we own (routes the
 *   config names, routes recorded in the state file by an earlier run, routes we applied),
 *   so each sync is also a reconcile: stale routes of a crashed run go at the first one.
 * - The state file is written before a sync, so a crash half-way through still leaves a
 *   record of every route that may be in the routing daemon.
 * - A failed sync is logged, shown in status and retried with exponential backoff and
 *   jitter, forever: a withdrawal is never lost silently. A new change tries at once.
 * - stop() withdraws everything and waits for it, bounded by `stopTimeoutMs`.
 * - Every `resyncMs`, while in sync, the routing daemon is looked at again (a restarted
 *   FRR or gobgpd has lost what we added; an operator may have removed it): the backend's
 *   drift() says whether something changed behind our back, or without one a full
 *   sync (which changes only what differs) runs.
 *
 * Timers run on the injected clock, so tests drive all of this without sleeping.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock/index.js';
import { RFC4271_JITTER, backoffDelay, errorMessage } from '../util/index.js';
import { failureCode } from './errors.js';
import { RouteStateFile } from './state-file.js';
import {
  routeKey,
  type AnnouncedRoute,
  type Announcer,
  type AnnouncerContext,
  type AnnouncerError,
  type AnnouncerKind,
  type AnnouncerState,
  type AnnouncerStatus,
  type RouteRef,
} from './types.js';

export interface SyncRequest {
  /** The routes to carry, by routeKey. */
  readonly wanted: ReadonlyMap<string, AnnouncedRoute>;
  /** Every route that may be ours in the routing daemon, by routeKey (a superset of wanted). */
  readonly owned: ReadonlyMap<string, RouteRef>;
  /** What the last successful sync left there; undefined when unknown (first sync, after a failure). */
  readonly applied: ReadonlyMap<string, AnnouncedRoute> | undefined;
  /** True for the last sync, at stop (wanted is empty then). */
  readonly final: boolean;
}

/** What a routing daemon announcer implements: one idempotent "make it so". */
export interface RouteBackend {
  /**
   * Make the routing daemon carry exactly `wanted` among the `owned` routes, touching
   * nothing else of it. Throw an AnnouncerFailure when that did not happen.
   */
  sync(request: SyncRequest): Promise<void>;
  /**
   * At a periodic resync: why the routing daemon no longer carries what we left there
   * (logged), or undefined when it still does. Without it, every resync is a full sync.
   */
  drift?(): Promise<string | undefined>;
  /** Facts for status (paths, the ASN read from the daemon, its last answer). */
  detail?(): Readonly<Record<string, string | number | boolean>>;
  /** After the final sync (close pipes). */
  close?(): Promise<void>;
}

export interface SyncedAnnouncerOptions {
  readonly kind: AnnouncerKind;
  readonly backend: RouteBackend;
  readonly context: AnnouncerContext;
  /** Wait this long after a change for more before syncing (default 0: the next turn). */
  readonly batchMs?: number;
  /** First retry delay after a failure (default 500 ms); doubles up to maxRetryMs. */
  readonly retryMs?: number;
  /** Longest retry delay (default 30 s). */
  readonly maxRetryMs?: number;
  /** How long stop() waits for the withdrawal to land (default 5 s: `run` exits by 10 s). */
  readonly stopTimeoutMs?: number;
  /** Look at the routing daemon again this often while in sync (default 0: never). */
  readonly resyncMs?: number;
  /** Keep a state file in context.stateDir (default true). */
  readonly stateFile?: boolean;
  /** In [0, 1); jitter for retries (tests pass a fixed one). */
  readonly random?: () => number;
}

export class SyncedAnnouncer implements Announcer {
  readonly kind: AnnouncerKind;
  private readonly backend: RouteBackend;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly batchMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly stopTimeoutMs: number;
  private readonly random: () => number;
  private readonly stateFile: RouteStateFile | undefined;
  private readonly resyncMs: number;
  private resyncTimer: TimerHandle | undefined;

  private readonly wanted = new Map<string, AnnouncedRoute>();
  private known = new Map<string, RouteRef>();
  /** Routes the state file records (what an earlier sync may have left in the daemon). */
  private recorded = new Map<string, RouteRef>();
  /** What the last successful sync left in the routing daemon. */
  private applied: Map<string, AnnouncedRoute> | undefined;
  /** Whether `applied` may be trusted for the next sync (not after a failure or reconcile()). */
  private trusted = false;
  private state: AnnouncerState = 'starting';
  private running = false;
  private stopping = false;
  /** A sync is due (a change, or a reconcile) since the last one began. */
  private dirty = false;
  /** The wanted set changed since the last sync began: status says pending, not in sync. */
  private unsynced = false;
  private inFlight: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private failures = 0;
  private lastError: AnnouncerError | undefined;
  private lastSyncAt: number | undefined;
  private retryAt: number | undefined;
  /** Resolved after every finished attempt. */
  private attemptWaiters: (() => void)[] = [];

  constructor(options: SyncedAnnouncerOptions) {
    this.kind = options.kind;
    this.backend = options.backend;
    this.log = options.context.logger;
    this.clock = options.context.clock;
    this.batchMs = options.batchMs ?? 0;
    this.retryMs = options.retryMs ?? 500;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
    this.random = options.random ?? Math.random;
    this.resyncMs = options.resyncMs ?? 0;
    this.stateFile =
      options.stateFile === false
        ? undefined
        : new RouteStateFile(options.context.stateDir, options.kind);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.stateFile !== undefined) {
      try {
        this.recorded = await this.stateFile.read();
      } catch (error) {
        // Not fatal: the configured routes are still reconciled; say what may be missed.
        this.log.error(
          {
            event: 'announcer.state_file_unreadable',
            err: errorMessage(error),
            file: this.stateFile.path,
          },
          'cannot read the announcer state file: routes a previous run left that the config no longer names will not be withdrawn',
        );
      }
    }
    const first = this.nextAttempt();
    this.schedule(0);
    await first;
    this.scheduleResync();
  }

  setKnown(routes: readonly RouteRef[]): void {
    this.known = new Map(routes.map((r) => [routeKey(r), r]));
  }

  announce(route: AnnouncedRoute): void {
    if (this.stopping) return;
    this.wanted.set(routeKey(route), route);
    this.markUnsynced();
    this.changed();
  }

  withdraw(route: RouteRef): void {
    if (!this.wanted.delete(routeKey(route))) return;
    this.markUnsynced();
    this.changed();
  }

  reconcile(): void {
    // Unknown again: the backend looks at the daemon instead of trusting what it did.
    this.trusted = false;
    this.changed();
  }

  async flushed(): Promise<void> {
    while (
      this.running &&
      (this.inFlight !== undefined || this.dirty || this.timer !== undefined)
    ) {
      // A retry timer after a failure counts as tried: do not wait out the backoff.
      if (this.inFlight === undefined && !this.dirty && this.state === 'failing') return;
      await this.nextAttempt();
    }
  }

  async stop(reason: string): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.wanted.clear();
    this.markUnsynced();
    this.changed();
    const deadline = this.clock.now() + this.stopTimeoutMs;
    let timedOut = false;
    const timeout = new Promise<void>((resolve) => {
      const handle = this.clock.setTimeout(() => {
        timedOut = true;
        resolve();
      }, this.stopTimeoutMs);
      void this.withdrawn().then(() => {
        this.clock.clearTimeout(handle);
        resolve();
      });
    });
    await timeout;
    this.running = false;
    this.clearTimer();
    if (this.resyncTimer !== undefined) this.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
    if (timedOut) {
      this.log.error(
        {
          event: 'announcer.withdraw_timed_out',
          routes: this.applied?.size ?? this.recorded.size,
          err: this.lastError?.message,
          waitedMs: this.stopTimeoutMs,
          deadline: new Date(deadline).toISOString(),
        },
        'could not withdraw every route before stopping; the state file keeps them for the next start',
      );
    } else {
      this.log.info({ event: 'announcer.withdrawn_all', reason }, 'every route withdrawn');
    }
    await this.inFlight?.catch(() => undefined);
    await this.backend
      .close?.()
      .catch((error: unknown) =>
        this.log.warn(
          { event: 'announcer.close_failed', err: errorMessage(error) },
          'announcer close failed',
        ),
      );
    this.state = 'stopped';
  }

  status(): AnnouncerStatus {
    const detail = this.backend.detail?.();
    return {
      kind: this.kind,
      state: this.state,
      wanted: this.wanted.size,
      applied: this.applied?.size ?? 0,
      failures: this.failures,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      ...(this.lastSyncAt === undefined
        ? {}
        : { lastSyncAt: new Date(this.lastSyncAt).toISOString() }),
      ...(this.retryAt === undefined ? {} : { retryAt: new Date(this.retryAt).toISOString() }),
      ...(detail === undefined && this.resyncMs === 0
        ? {}
        : {
            detail: {
              ...detail,
              ...(this.resyncMs === 0 ? {} : { resyncSeconds: this.resyncMs / 1000 }),
            },
          }),
    };
  }

  private scheduleResync(): void {
    if (!this.running || this.stopping || this.resyncMs <= 0) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      this.resyncTimer = undefined;
      void this.resync()
        .catch((error: unknown) =>
          this.log.warn(
            { event: 'announcer.look_failed', err: errorMessage(error) },
            'could not look at the routing daemon',
          ),
        )
        .finally(() => this.scheduleResync());
    }, this.resyncMs);
  }

  private async resync(): Promise<void> {
    // While failing, the loop already retries on its own backoff.
    if (!this.running || this.stopping || this.state !== 'in-sync') return;
    if (this.backend.drift === undefined) {
      this.reconcile();
      return;
    }
    const reason = await this.backend.drift();
    if (reason === undefined || !this.running || this.stopping) return;
    this.log.error(
      { event: 'announcer.drifted', reason },
      'the routing daemon drifted: putting back what is wanted',
    );
    this.reconcile();
  }

  /** A change of what is wanted; a resync alone (reconcile) does not make status pending. */
  private markUnsynced(): void {
    this.unsynced = true;
    if (this.state === 'in-sync') this.state = 'pending';
  }

  private changed(): void {
    if (!this.running) return;
    this.dirty = true;
    // A new change is tried at once, even while backing off: it may be a withdrawal.
    this.schedule(this.batchMs);
  }

  /** Run a sync in `ms` (or sooner if one is already due sooner). */
  private schedule(ms: number): void {
    if (!this.running) return;
    const at = this.clock.now() + ms;
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.runSync();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private runSync(): void {
    if (!this.running) return;
    if (this.inFlight !== undefined) {
      // Runs again when the one in flight ends (dirty is set).
      this.dirty = true;
      return;
    }
    this.dirty = false;
    const wanted = new Map(this.wanted);
    const final = this.stopping;
    this.inFlight = this.attempt(wanted, final).finally(() => {
      this.inFlight = undefined;
      const waiters = this.attemptWaiters;
      this.attemptWaiters = [];
      for (const resolve of waiters) resolve();
      if (this.dirty) this.schedule(this.batchMs);
    });
  }

  private async attempt(wanted: Map<string, AnnouncedRoute>, final: boolean): Promise<void> {
    const owned = new Map<string, RouteRef>([...this.known, ...this.recorded]);
    for (const [key, route] of this.applied ?? []) owned.set(key, route);
    for (const [key, route] of wanted) owned.set(key, route);
    // What this attempt carries of the changes: if it fails, they are still to land.
    const carried = this.unsynced;
    this.unsynced = false;
    try {
      // Record before applying: a crash in between must not leave unrecorded routes.
      await this.record(new Map([...this.recorded, ...wanted]));
      await this.backend.sync({
        wanted,
        owned,
        applied: this.trusted ? this.applied : undefined,
        final,
      });
      this.applied = wanted;
      this.trusted = true;
      await this.record(new Map([...wanted].map(([k, r]) => [k, r])));
      if (this.failures > 0)
        this.log.info(
          { event: 'announcer.recovered', failures: this.failures },
          'the routing daemon carries the wanted routes again',
        );
      this.failures = 0;
      this.retryAt = undefined;
      this.lastSyncAt = this.clock.now();
      this.state = this.unsynced ? 'pending' : 'in-sync';
      this.log.debug({ event: 'announcer.in_sync', routes: wanted.size }, 'routing daemon in sync');
    } catch (error) {
      this.trusted = false;
      this.unsynced ||= carried;
      this.failures += 1;
      this.state = 'failing';
      this.lastError = {
        message: errorMessage(error),
        code: failureCode(error),
        at: new Date(this.clock.now()).toISOString(),
      };
      const delay = this.retryDelay();
      this.retryAt = this.clock.now() + delay;
      this.log.error(
        {
          event: 'announcer.update_failed',
          code: this.lastError.code,
          err: this.lastError.message,
          failures: this.failures,
          retryInMs: delay,
          wanted: wanted.size,
        },
        'cannot update the routing daemon; retrying',
      );
      this.schedule(delay);
    }
  }

  private async record(routes: Map<string, RouteRef>): Promise<void> {
    if (this.stateFile === undefined) return;
    if (sameKeys(routes, this.recorded)) return;
    await this.stateFile.write(routes.values());
    this.recorded = routes;
  }

  private retryDelay(): number {
    // RFC 4271 section 10 style jitter: 75% to 100% of the delay, so many nodes do not retry in step.
    const policy = { initialMs: this.retryMs, maxMs: this.maxRetryMs, jitter: RFC4271_JITTER };
    return backoffDelay(policy, this.failures, this.random);
  }

  private nextAttempt(): Promise<void> {
    return new Promise((resolve) => this.attemptWaiters.push(resolve));
  }

  /** Resolves once a sync with nothing wanted has succeeded. */
  private async withdrawn(): Promise<void> {
    for (;;) {
      if (
        this.inFlight === undefined &&
        !this.dirty &&
        this.trusted &&
        this.applied?.size === 0 &&
        this.timer === undefined
      )
        return;
      if (!this.running) return;
      await this.nextAttempt();
    }
  }
}

function sameKeys(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const key of a.keys()) if (!b.has(key)) return false;
  return true;
}
