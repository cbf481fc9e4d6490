/**
 * BIRD, the way anycast-healthchecker drives it: an include file per family that
 * `define`s the set of prefixes to export (ACAST_PS_ADVERTISE, ACAST6_PS_ADVERTISE), a
 * `match_route()` export filter in bird.conf that tests `net ~` that set, and `birdc
 * configure` after each change. Degraded attributes cannot be expressed through a prefix
 * set, so `down = { med = … }` is refused for prefixes.bird. See docs/announcer-bird.md.
 */
import type { AnnouncerDefinition } from '../definition.js';
import type { Announcer, AnnouncerContext } from '../types.js';
import { describeArgv } from '../command.js';
import { BirdAnnouncer, type BirdAnnouncerOptions } from './announcer.js';
import { parseBirdSettings, type BirdSettings } from './settings.js';

export { BirdAnnouncer } from './announcer.js';
export type { BirdAnnouncerOptions } from './announcer.js';
export { BirdBackend } from './backend.js';
export type { BirdBackendOptions } from './backend.js';
export { parseConfigureAnswer, parseRouteList } from './answer.js';
export type { ConfigureAnswer, ConfigureOutcome, RouteList } from './answer.js';
export { renderPrefixFile } from './prefix-file.js';
export { BIRD_DEFAULTS, parseBirdSettings } from './settings.js';
export type { BirdSettings, BirdFamilySettings, BirdInstance } from './settings.js';

export function createBirdAnnouncer(
  settings: BirdSettings,
  context: AnnouncerContext,
  options: BirdAnnouncerOptions = {},
): Announcer {
  return new BirdAnnouncer(settings, context, options);
}

export const birdDefinition: AnnouncerDefinition<BirdSettings> = {
  kind: 'bird',
  title: 'BIRD',
  supportsVrf: false,
  supportsAttributes: false,
  parse: parseBirdSettings,
  create(settings, context) {
    return createBirdAnnouncer(settings, context);
  },
  describe: describeBirdSettings,
  checkRoutes(settings, routes, issues) {
    for (const route of routes) {
      const family = route.prefix.includes(':') ? 'ipv6' : 'ipv4';
      const file = settings[family];
      if (file === undefined)
        issues.add(
          route.path,
          `${route.prefix} cannot be announced through BIRD: ${family}_file = false in [announcers.bird]`,
        );
      else if (route.prefix === file.dummyPrefix)
        issues.add(
          route.path,
          `${route.prefix} is BIRD's ${family}_dummy_prefix, which is always in ${file.variable} whatever the service's health; choose another dummy prefix in [announcers.bird]`,
        );
    }
  },
};

/** "IPv4 FILE (VARIABLE), IPv6 FILE (VARIABLE); birdc -s SOCKET -v configure". */
export function describeBirdSettings(settings: BirdSettings): string {
  const files = [settings.ipv4, settings.ipv6]
    .filter((f) => f !== undefined)
    .map((f) => `${f.family === 'ipv4' ? 'IPv4' : 'IPv6'} ${f.file} (${f.variable})`);
  const commands = settings.instances.map((i) =>
    settings.instances.length === 1
      ? describeArgv(i.configure)
      : `${i.name}: ${describeArgv(i.configure)}`,
  );
  return `${files.join(', ')}; ${commands.join('; ')}`;
}
