/**
 * The BIRD announcer: the shared sync loop around BirdBackend, plus a look at the files
 * every `resync_interval`: BIRD reads them at every `configure`, its own restart included,
 * so a file someone else rewrote (anycast-healthchecker left running beside us, an
 * operator's edit) would be what BIRD exports next. When a file is not what the last sync
 * left there, that is logged and a sync rewrites it and reconfigures BIRD. A look costs
 * two file reads; BIRD is not asked anything unless a file changed.
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
import { BirdBackend } from './backend.js';
import type { BirdSettings } from './settings.js';

export interface BirdAnnouncerOptions {
  /** Runs birdc (tests substitute their own). */
  readonly run?: CommandRunner;
  /** Passed on to SyncedAnnouncer (tests). */
  readonly retryMs?: number;
  readonly random?: () => number;
}

export class BirdAnnouncer implements Announcer {
  readonly kind = 'bird' as const;
  private readonly backend: BirdBackend;
  private readonly synced: SyncedAnnouncer;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly settings: BirdSettings,
    private readonly context: AnnouncerContext,
    options: BirdAnnouncerOptions = {},
  ) {
    this.backend = new BirdBackend({
      settings,
      logger: context.logger,
      ...(options.run === undefined ? {} : { run: options.run }),
    });
    this.synced = new SyncedAnnouncer({
      kind: 'bird',
      backend: this.backend,
      context,
      ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.synced.start();
    this.scheduleLook();
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
    return this.synced.status();
  }

  private scheduleLook(): void {
    if (!this.running || this.settings.resyncMs <= 0) return;
    this.timer = this.context.clock.setTimeout(() => {
      this.timer = undefined;
      void this.look()
        .catch((error: unknown) =>
          this.context.logger.warn(
            { announcer: 'bird', err: error instanceof Error ? error.message : String(error) },
            'could not look at the BIRD prefix files',
          ),
        )
        .finally(() => this.scheduleLook());
    }, this.settings.resyncMs);
  }

  private async look(): Promise<void> {
    if (!this.running || this.synced.status().state !== 'in-sync') return;
    const files = await this.backend.drifted();
    if (files.length === 0 || !this.running) return;
    this.context.logger.error(
      { announcer: 'bird', files },
      'the BIRD prefix file was changed by someone else (is anycast-healthchecker still running?); rewriting it and reconfiguring BIRD',
    );
    this.synced.reconcile();
  }
}
