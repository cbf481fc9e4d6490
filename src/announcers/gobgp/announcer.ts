/**
 * The GoBGP announcer: the shared sync loop around GobgpBackend, with a periodic resync
 * (every `resync_interval`): gobgpd keeps paths added through its API in memory only, so
 * a restarted gobgpd has lost them, and an operator may delete one with the CLI. Each
 * resync reads the owned prefixes' paths (one ListPath per family) and changes only what
 * differs.
 */
import { SyncedAnnouncer } from '../synced.js';
import type { AnnouncerContext } from '../types.js';
import { GobgpBackend } from './backend.js';
import type { GobgpConnection } from './client.js';
import type { GobgpSettings } from './settings.js';

export interface GobgpAnnouncerOptions {
  /** Talks to gobgpd (tests substitute their own). */
  readonly connection?: GobgpConnection;
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
    const { connection, ...loop } = options;
    super({
      kind: 'gobgp',
      backend: new GobgpBackend(settings, {
        logger: context.logger,
        ...(connection === undefined ? {} : { connection }),
      }),
      context,
      resyncMs: settings.resyncMs,
      ...loop,
    });
  }
}
