/**
 * ExaBGP: anycast-guard as ExaBGP's API process. ExaBGP starts `anycast-guard run` and
 * reads `announce route` / `withdraw route` from its stdout, so the daemon logs to stderr
 * (usesStdout). IPv4 and IPv6; degraded attributes (MED, communities, large communities,
 * AS-path prepend) are carried. Writing to a running ExaBGP's named pipes
 * (exabgpcli's way) is not built: docs/announcer-exabgp.md says why.
 */
import { AnnouncerFailure } from '../errors.js';
import type { AnnouncerDefinition } from '../definition.js';
import { SyncedAnnouncer } from '../synced.js';
import { ExabgpBackend } from './backend.js';
import { describeExabgpSettings, parseExabgpSettings, type ExabgpSettings } from './settings.js';

export { ExabgpBackend } from './backend.js';
export type { ExabgpBackendOptions } from './backend.js';
export { ExabgpChannel } from './channel.js';
export { ExabgpHold, startedByExabgp, type ExabgpHoldOptions } from './holding.js';
export type { ExabgpSettings } from './settings.js';

export const exabgpDefinition: AnnouncerDefinition<ExabgpSettings> = {
  kind: 'exabgp',
  title: 'ExaBGP',
  supportsVrf: false,
  supportsAttributes: true,
  parse: parseExabgpSettings,
  describe: describeExabgpSettings,
  usesStdout: () => true,
  create(settings, context) {
    if (process.stdout.isTTY === true)
      throw new AnnouncerFailure(
        'ANNOUNCER_CONFIG',
        "prefixes.exabgp: anycast-guard runs as ExaBGP's API process (ExaBGP reads routes from its stdout), but stdout is a terminal: start it from exabgp.conf (process anycast-guard { run …; encoder text; }), see docs/announcer-exabgp.md",
      );
    return new SyncedAnnouncer({
      kind: 'exabgp',
      backend: new ExabgpBackend(settings, { logger: context.logger, clock: context.clock }),
      context,
    });
  },
};
