/**
 * The safety invariant in one function: which prefixes should be announced, and
 * with what attributes, given every service's state. A prefix is announced
 * normally only for a service that is up; a down service's prefixes are
 * withdrawn, or announced degraded when its `down` action says so.
 */
import { routeKey, type AnnouncerKind, type PrefixConfig } from './route-target.js';
import type { AnnounceAttributes } from '../bgp/index.js';
import type { DownAction } from './settings.js';
import type { ServiceState } from './service-health.js';

export interface ServiceRoutes {
  readonly name: string;
  readonly state: ServiceState;
  readonly prefixes: readonly PrefixConfig[];
  readonly down: DownAction;
}

export interface DesiredRoute {
  readonly announcer: AnnouncerKind;
  readonly prefix: string;
  readonly vrf?: string;
  readonly attributes: AnnounceAttributes;
  /** Services that want it; the first one's attributes win. */
  readonly services: readonly string[];
  readonly degraded: boolean;
}

export function degradedAttributes(down: DownAction): AnnounceAttributes | undefined {
  if (down.kind === 'withdraw') return undefined;
  const { kind: _kind, ...attributes } = down;
  return attributes;
}

/** "bgp 203.0.113.53/32", "frrouting 203.0.113.53/32%blue": a route is per announcer. */
export function desiredRouteKey(route: {
  readonly announcer: AnnouncerKind;
  readonly prefix: string;
  readonly vrf?: string;
}): string {
  return `${route.announcer} ${routeKey(route)}`;
}

/**
 * Routes to announce, keyed by desiredRouteKey (announcer, prefix, VRF). When services share a prefix, a
 * healthy announcement beats a degraded one.
 */
export function desiredRoutes(services: readonly ServiceRoutes[]): Map<string, DesiredRoute> {
  const routes = new Map<string, DesiredRoute>();
  for (const service of services) {
    const up = service.state === 'up';
    // Drained means "take me out": never announced, not even degraded.
    const attributes = up
      ? {}
      : service.state === 'drained'
        ? undefined
        : degradedAttributes(service.down);
    if (attributes === undefined) continue;
    for (const item of service.prefixes) {
      const key = desiredRouteKey(item);
      const existing = routes.get(key);
      if (existing === undefined || (existing.degraded && up)) {
        routes.set(key, {
          announcer: item.announcer,
          prefix: item.prefix,
          ...(item.vrf === undefined ? {} : { vrf: item.vrf }),
          attributes,
          services: existing === undefined ? [service.name] : [service.name, ...existing.services],
          degraded: !up,
        });
      } else {
        routes.set(key, { ...existing, services: [...existing.services, service.name] });
      }
    }
  }
  return routes;
}
