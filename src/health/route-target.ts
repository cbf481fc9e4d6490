/**
 * What health produces and announcers carry: a route (a prefix, in a VRF where the
 * daemon has them) and the announcer that carries it. Announcers re-export these.
 */
import type { AnnounceAttributes } from '../bgp/index.js';

export const ANNOUNCER_KINDS = ['bgp', 'bird', 'frrouting', 'gobgp', 'exabgp'] as const;
export type AnnouncerKind = (typeof ANNOUNCER_KINDS)[number];

/** Which route: a prefix (canonical text, "203.0.113.53/32"), in a VRF where the daemon has them. */
export interface RouteRef {
  readonly prefix: string;
  /** FRRouting only: the `router bgp ASN vrf NAME` it belongs under. */
  readonly vrf?: string;
}

/** A route to carry, with the attributes health wants on it (empty when healthy). */
export interface AnnouncedRoute extends RouteRef {
  readonly attributes: AnnounceAttributes;
}

/** One key per route: the VRF matters, the attributes do not. */
export function routeKey(route: RouteRef): string {
  return route.vrf === undefined ? route.prefix : `${route.prefix}%${route.vrf}`;
}

export function isIpv6Route(route: RouteRef): boolean {
  return route.prefix.includes(':');
}

export interface PrefixConfig {
  /** Which announcer carries it: the embedded speaker ("bgp") or a routing daemon. */
  readonly announcer: AnnouncerKind;
  /** Canonical text, e.g. "203.0.113.53/32". */
  readonly prefix: string;
  /** FRRouting only: the VRF whose `router bgp` announces it. */
  readonly vrf?: string;
}
