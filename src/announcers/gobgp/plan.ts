/**
 * What a sync changes in gobgpd's global RIB, as local paths (GoBGP 3.10):
 *
 * - adding a local path for a prefix replaces the local path it had, attributes and all;
 *   withdrawing one removes only the local path, never one a neighbour sent;
 * - the AS path of a local path is sent as written plus, to eBGP peers, gobgpd's own AS:
 *   `prepend = N` is N copies of the global AS.
 *
 * Pure: the path a route should have, and the plan of a sync.
 */
import { isDeepStrictEqual } from 'node:util';
import ipaddr from 'ipaddr.js';
import { formatLargeCommunity, parseCommunity, parseLargeCommunity } from '../../bgp/index.js';
import { AnnouncerFailure } from '../errors.js';
import { isIpv6Route, type AnnouncedRoute, type RouteRef } from '../types.js';
import { sortedUnique, type Family, type GobgpPath } from './paths.js';
import type { GobgpSettings } from './settings.js';

export function familyOf(route: RouteRef): Family {
  return isIpv6Route(route) ? 'ipv6' : 'ipv4';
}

function canonicalAddress(address: string): string {
  return ipaddr.process(address).toString();
}

/**
 * The path gobgpd should hold for a route. `asn` (gobgpd's global AS) is needed only when
 * the route asks for a prepend.
 */
export function desiredPath(
  route: AnnouncedRoute,
  settings: GobgpSettings,
  asn: number | undefined,
): GobgpPath {
  const a = route.attributes;
  const prepend = a.prepend ?? 0;
  if (prepend > 0 && asn === undefined)
    throw new AnnouncerFailure(
      'ANNOUNCER_DAEMON_UNREACHABLE',
      `${route.prefix}: prepend needs gobgpd's AS number, which it did not tell`,
    );
  const nextHop = settings.nextHop[familyOf(route)];
  return {
    origin: 'igp',
    asPath: prepend > 0 ? Array.from({ length: prepend }, () => asn ?? 0) : [],
    ...(a.med === undefined ? {} : { med: a.med }),
    ...(a.localPref === undefined ? {} : { localPref: a.localPref }),
    communities: sortedUnique((a.communities ?? []).map(parseCommunity)),
    largeCommunities: sortedUnique(
      (a.largeCommunities ?? []).map((c) => formatLargeCommunity(parseLargeCommunity(c))),
    ),
    ...(nextHop === undefined ? {} : { nextHop: canonicalAddress(nextHop) }),
  };
}

export function samePath(a: GobgpPath | undefined, b: GobgpPath | undefined): boolean {
  return isDeepStrictEqual(a, b);
}

export interface GobgpPlan {
  /** Prefixes to (re)add, with the path each must have. */
  readonly add: readonly { readonly prefix: string; readonly path: GobgpPath }[];
  /** Owned prefixes that are not wanted but have a local path. */
  readonly remove: readonly string[];
}

/**
 * What to change so gobgpd holds `want` among the owned prefixes: add what is missing or
 * differs (attributes included), remove what is owned, there and not wanted. A prefix
 * that is not owned is never in the plan, whatever gobgpd holds for it.
 */
export function planSync(
  want: ReadonlyMap<string, GobgpPath>,
  owned: Iterable<string>,
  current: ReadonlyMap<string, GobgpPath>,
): GobgpPlan {
  const add: { prefix: string; path: GobgpPath }[] = [];
  const remove: string[] = [];
  for (const [prefix, path] of want)
    if (!samePath(current.get(prefix), path)) add.push({ prefix, path });
  for (const prefix of new Set(owned))
    if (!want.has(prefix) && current.has(prefix)) remove.push(prefix);
  return { add, remove };
}
