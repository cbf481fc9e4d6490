/**
 * The GoBGP announcer: the shared sync loop around GobgpBackend, with a periodic resync
 * (every `resync_interval`): gobgpd keeps paths added through its API in memory only, so
 * a restarted gobgpd has lost them, and an operator may delete one with the CLI. Each
 * resync reads the owned prefixes' paths and changes only what differs, so a gobgpd in
 * step costs one gobgp run per owned prefix (or per family, see LIST_WHOLE_RIB).
 */
import type { CommandRunner } from '../command.js';
import { SyncedAnnouncer } from '../synced.js';
import type { AnnouncerContext } from '../types.js';
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

export class GobgpAnnouncer extends SyncedAnnouncer {
  constructor(
    settings: GobgpSettings,
    context: AnnouncerContext,
    options: GobgpAnnouncerOptions = {},
  ) {
    const { run, ...loop } = options;
    super({
      kind: 'gobgp',
      backend: new GobgpBackend(settings, {
        logger: context.logger,
        ...(run === undefined ? {} : { run }),
      }),
      context,
      resyncMs: settings.resyncMs,
      ...loop,
    });
  }
}
