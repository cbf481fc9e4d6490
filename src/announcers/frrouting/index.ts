/**
 * FRRouting: `network` statements under `router bgp ASN [vrf NAME]`, through vtysh.
 * Prefixes may name a VRF (anycastd's `{ prefix = "…", vrf = "…" }`). Degraded attributes
 * are not supported: FRR could carry them only through route-maps this announcer does not
 * manage, so `down = { med = … }` is refused for prefixes.frrouting.
 * See docs/announcer-frrouting.md.
 */
import type { AnnouncerDefinition } from '../definition.js';
import { FrrAnnouncer } from './announcer.js';
import {
  describeFrroutingSettings,
  parseFrroutingSettings,
  type FrroutingSettings,
} from './settings.js';

export { FrrAnnouncer } from './announcer.js';
export type { FrrAnnouncerOptions } from './announcer.js';
export { FrrBackend } from './backend.js';
export { parseRunningConfig } from './running-config.js';
export type { FrroutingSettings } from './settings.js';

export const frroutingDefinition: AnnouncerDefinition<FrroutingSettings> = {
  kind: 'frrouting',
  title: 'FRRouting',
  supportsVrf: true,
  supportsAttributes: false,
  parse: parseFrroutingSettings,
  describe: describeFrroutingSettings,
  create(settings, context) {
    return new FrrAnnouncer(settings, context);
  },
};
