/**
 * GoBGP: local paths in gobgpd's global RIB, through the gobgp CLI (see backend.ts for
 * why the CLI). IPv4 and IPv6; degraded attributes (MED, communities, large communities,
 * AS-path prepend) are carried, so `down = { med = … }` works.
 * See docs/announcer-gobgp.md.
 */
import type { AnnouncerDefinition } from '../definition.js';
import { GobgpAnnouncer } from './announcer.js';
import { describeGobgpSettings, parseGobgpSettings, type GobgpSettings } from './settings.js';

export { GobgpAnnouncer } from './announcer.js';
export type { GobgpAnnouncerOptions } from './announcer.js';
export { GobgpBackend } from './backend.js';
export { parseLocalPaths } from './rib.js';
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
