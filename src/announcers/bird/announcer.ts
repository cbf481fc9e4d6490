/**
 * The BIRD announcer: the shared sync loop around BirdBackend, looking at the files every
 * `resync_interval`: BIRD reads them at every `configure`, its own restart included, so a
 * file someone else rewrote (anycast-healthchecker left running beside us, an operator's
 * edit) would be what BIRD exports next. When a file is not what the last sync left
 * there, that is logged and a sync rewrites it and reconfigures BIRD. A look costs two
 * file reads; BIRD is not asked anything unless a file changed.
 */
import type { CommandRunner } from '../command.js';
import { SyncedAnnouncer } from '../synced.js';
import type { AnnouncerContext } from '../types.js';
import { BirdBackend } from './backend.js';
import type { BirdSettings } from './settings.js';

export interface BirdAnnouncerOptions {
  /** Runs birdc (tests substitute their own). */
  readonly run?: CommandRunner;
  /** Passed on to SyncedAnnouncer (tests). */
  readonly retryMs?: number;
  readonly random?: () => number;
}

export class BirdAnnouncer extends SyncedAnnouncer {
  constructor(
    settings: BirdSettings,
    context: AnnouncerContext,
    options: BirdAnnouncerOptions = {},
  ) {
    const { run, ...loop } = options;
    super({
      kind: 'bird',
      backend: new BirdBackend({
        settings,
        logger: context.logger,
        ...(run === undefined ? {} : { run }),
      }),
      context,
      resyncMs: settings.resyncMs,
      ...loop,
    });
  }
}
