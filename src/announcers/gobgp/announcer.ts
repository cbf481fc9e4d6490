/**
 * The GoBGP announcer: the shared sync loop around GobgpBackend, plus a periodic resync
 * (every `resync_interval`): gobgpd keeps paths added through its API in memory only, so
 * a restarted gobgpd has lost them, and an operator may delete one with the CLI. Each
 * resync reads the owned prefixes' paths and changes only what differs, so a gobgpd in
 * step costs one gobgp run per owned prefix (or per family, see LIST_WHOLE_RIB).
 */
import type { TimerHandle } from '../../clock/index.js';
import type { CommandRunner } from '../command.js';
import { SyncedAnnouncer } from '../synced.js';
import type {
  AnnouncedRoute,
  Announcer,
  AnnouncerContext,
  AnnouncerStatus,
  RouteRef,
} from '../types.js';
import { GobgpBackend } from './backend.js';
import type { GobgpSettings } from './settings.js';

export interface GobgpAnnouncerOptions {
  /** Runs gobgp (tests substitute their own). */
  readonly run?: CommandRunner;
  /** Passed to SyncedAnnouncer (tests fix the jitter). */
  readonly random?: () => number;
  readonly retryMs?: number;
  readonly stopTimeoutMs?: number;
}

export class GobgpAnnouncer implements Announcer {
  readonly kind = 'gobgp' as const;
  private readonly synced: SyncedAnnouncer;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly settings: GobgpSettings,
    private readonly context: AnnouncerContext,
    options: GobgpAnnouncerOptions = {},
  ) {
    const backend = new GobgpBackend(settings, {
      logger: context.logger,
      ...(options.run === undefined ? {} : { run: options.run }),
    });
    this.synced = new SyncedAnnouncer({
      kind: 'gobgp',
      backend,
      context,
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
      ...(options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: options.stopTimeoutMs }),
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.synced.start();
    this.scheduleResync();
  }

  setKnown(routes: readonly RouteRef[]): void {
    this.synced.setKnown(routes);
  }

  announce(route: AnnouncedRoute): void {
    this.synced.announce(route);
  }

  withdraw(route: RouteRef): void {
    this.synced.withdraw(route);
  }

  reconcile(): void {
    this.synced.reconcile();
  }

  flushed(): Promise<void> {
    return this.synced.flushed();
  }

  async stop(reason: string): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.context.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.synced.stop(reason);
  }

  status(): AnnouncerStatus {
    const status = this.synced.status();
    return {
      ...status,
      detail: { ...status.detail, resyncSeconds: this.settings.resyncMs / 1000 },
    };
  }

  private scheduleResync(): void {
    if (!this.running || this.settings.resyncMs <= 0) return;
    this.timer = this.context.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.running) return;
      // While failing, the sync loop already retries on its own backoff.
      if (this.synced.status().state === 'in-sync') this.synced.reconcile();
      this.scheduleResync();
    }, this.settings.resyncMs);
  }
}
