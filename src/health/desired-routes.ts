/**
 * The safety invariant in one function: which prefixes should be announced, and
 * with what attributes, given every service's state. A prefix is announced
 * normally only for a service that is up (with its `up` attributes); a down
 * service's prefixes are withdrawn, or announced degraded when its `down` action
 * says so and its checks have passed once; a draining one's carry
 * GRACEFUL_SHUTDOWN (RFC 8326 section 3: 65535:0) with its `down` attributes, and so
 * do a guarded one's (the fleet guard keeps it announced, less preferred).
 */
import { routeKey, type AnnouncerKind, type PrefixConfig } from './route-target.js';
import type { AnnounceAttributes } from '../bgp/index.js';
import type { DownAction } from './settings.js';
import type { ServiceState } from './service-health.js';

/** RFC 8326 section 3: the well-known GRACEFUL_SHUTDOWN community. */
export const GRACEFUL_SHUTDOWN = '65535:0';

export interface ServiceRoutes {
  readonly name: string;
  readonly state: ServiceState;
  readonly prefixes: readonly PrefixConfig[];
  readonly down: DownAction;
  /** The attributes of its routes while up (`up = { … }`); none by default. */
  readonly up?: AnnounceAttributes;
  /**
   * Its checks have passed once: before that a degraded `down` announces nothing (a
   * service never proven healthy is not announced, not even degraded).
   */
  readonly everUp: boolean;
}

export interface DesiredRoute {
  readonly announcer: AnnouncerKind;
  readonly prefix: string;
  readonly vrf?: string;
  readonly attributes: AnnounceAttributes;
  /** Services that want it; the first one's attributes win. */
  readonly services: readonly string[];
  readonly degraded: boolean;
  /** Announced with GRACEFUL_SHUTDOWN until its service's drain withdraws it. */
  readonly draining: boolean;
  /** Kept announced, degraded, by its service's fleet guard. */
  readonly guarded: boolean;
}

export interface DesiredRoutesOptions {
  /**
   * Whether an announcer can carry attributes (BIRD's and FRRouting's cannot): a
   * draining service's routes through one that cannot are withdrawn at once, since
   * they would otherwise stay announced as if healthy; a guarded one's stay announced
   * plain (the guard's point is to keep the route). Default: every one can.
   */
  readonly carriesAttributes?: (kind: AnnouncerKind) => boolean;
}

export function degradedAttributes(down: DownAction): AnnounceAttributes | undefined {
  if (down.kind === 'withdraw') return undefined;
  const { kind: _kind, ...attributes } = down;
  return attributes;
}

/** A draining route's attributes: the `down` attributes, if any, plus GRACEFUL_SHUTDOWN. */
export function drainingAttributes(down: DownAction): AnnounceAttributes {
  const degraded = degradedAttributes(down) ?? {};
  const communities = degraded.communities ?? [];
  return {
    ...degraded,
    communities: communities.includes(GRACEFUL_SHUTDOWN)
      ? communities
      : [...communities, GRACEFUL_SHUTDOWN],
  };
}

/** "bgp 203.0.113.53/32", "frrouting 203.0.113.53/32%blue": a route is per announcer. */
export function desiredRouteKey(route: {
  readonly announcer: AnnouncerKind;
  readonly prefix: string;
  readonly vrf?: string;
}): string {
  return `${route.announcer} ${routeKey(route)}`;
}

/** What a service in its state announces: undefined for nothing. */
function serviceAttributes(service: ServiceRoutes): AnnounceAttributes | undefined {
  switch (service.state) {
    case 'up':
      return service.up ?? {};
    case 'draining':
    case 'guarded':
      return drainingAttributes(service.down);
    // Drained means "take me out": never announced, not even degraded.
    case 'drained':
      return undefined;
    case 'down':
    case 'held-down':
      return service.everUp ? degradedAttributes(service.down) : undefined;
  }
}

/**
 * Routes to announce, keyed by desiredRouteKey (announcer, prefix, VRF). When services share a prefix, a
 * healthy announcement beats a degraded one.
 */
export function desiredRoutes(
  services: readonly ServiceRoutes[],
  options: DesiredRoutesOptions = {},
): Map<string, DesiredRoute> {
  const routes = new Map<string, DesiredRoute>();
  const carries = options.carriesAttributes ?? (() => true);
  for (const service of services) {
    const up = service.state === 'up';
    const draining = service.state === 'draining';
    const guarded = service.state === 'guarded';
    const wanted = serviceAttributes(service);
    if (wanted === undefined) continue;
    for (const item of service.prefixes) {
      if (draining && !carries(item.announcer)) continue;
      const attributes = guarded && !carries(item.announcer) ? {} : wanted;
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
          draining,
          guarded,
        });
      } else {
        routes.set(key, { ...existing, services: [...existing.services, service.name] });
      }
    }
  }
  return routes;
}
