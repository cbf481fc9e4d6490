/**
 * The FRRouting announcer: the shared sync loop around FrrBackend, with a periodic resync
 * (every `resync_interval`): FRR keeps our `network` statements in its running
 * configuration only, so a restarted bgpd has lost them, and an operator may have removed
 * one by hand. Each resync reads the configuration and changes only what differs, so an
 * FRR in step costs one `show running-config`.
 */
import type { CommandRunner } from '../command.js';
import { SyncedAnnouncer } from '../synced.js';
import type { AnnouncerContext } from '../types.js';
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

export class FrrAnnouncer extends SyncedAnnouncer {
  constructor(
    settings: FrroutingSettings,
    context: AnnouncerContext,
    options: FrrAnnouncerOptions = {},
  ) {
    const { run, ...loop } = options;
    super({
      kind: 'frrouting',
      backend: new FrrBackend(settings, {
        logger: context.logger,
        ...(run === undefined ? {} : { run }),
      }),
      context,
      resyncMs: settings.resyncMs,
      ...loop,
    });
  }
}
