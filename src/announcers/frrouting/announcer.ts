/**
 * The FRRouting announcer: the shared sync loop around FrrBackend, plus a periodic resync
 * (every `resync_interval`): FRR keeps our `network` statements in its running
 * configuration only, so a restarted bgpd has lost them, and an operator may have removed
 * one by hand. Each resync reads the configuration and changes only what differs, so an
 * FRR in step costs one `show running-config`.
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
import { FrrBackend } from './backend.js';
import type { FrroutingSettings } from './settings.js';

export interface FrrAnnouncerOptions {
  /** Runs vtysh (tests substitute their own). */
  readonly run?: CommandRunner;
  /** Passed to SyncedAnnouncer (tests fix the jitter). */
  readonly random?: () => number;
  readonly retryMs?: number;
  readonly stopTimeoutMs?: number;
}

export class FrrAnnouncer implements Announcer {
  readonly kind = 'frrouting' as const;
  private readonly synced: SyncedAnnouncer;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly settings: FrroutingSettings,
    private readonly context: AnnouncerContext,
    options: FrrAnnouncerOptions = {},
  ) {
    const backend = new FrrBackend(settings, {
      logger: context.logger,
      ...(options.run === undefined ? {} : { run: options.run }),
    });
    this.synced = new SyncedAnnouncer({
      kind: 'frrouting',
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
      detail: {
        ...status.detail,
        resyncSeconds: this.settings.resyncMs / 1000,
      },
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
