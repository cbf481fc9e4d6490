/**
 * GoBGP: local paths in gobgpd's global RIB, through gobgpd's gRPC API (GoBGP 3.x,
 * gobgp-api.proto). IPv4 and IPv6; degraded attributes (MED, communities, large communities,
 * AS-path prepend) are carried, so `down = { med = … }` works.
 * See docs/announcer-gobgp.md.
 */
import type { AnnouncerDefinition } from '../definition.js';
import { GobgpAnnouncer } from './announcer.js';
import { describeGobgpSettings, parseGobgpSettings, type GobgpSettings } from './settings.js';

export { GobgpAnnouncer } from './announcer.js';
export type { GobgpAnnouncerOptions } from './announcer.js';
export { GobgpBackend } from './backend.js';
export type { GobgpConnection } from './client.js';
export { encodePath, localPaths, type GobgpPath } from './paths.js';
export type { GobgpSettings } from './settings.js';

export const gobgpDefinition: AnnouncerDefinition<GobgpSettings> = {
  kind: 'gobgp',
  title: 'GoBGP',
  supportsVrf: false,
  supportsAttributes: true,
  parse: parseGobgpSettings,
  describe: describeGobgpSettings,
  create(settings, context) {
    return new GobgpAnnouncer(settings, context);
  },
};
