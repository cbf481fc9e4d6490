/**
 * What a route looks like on the wire to one peer: the route's own attributes
 * (from the service) merged with the peer's export settings.
 *
 * RFC 4271 section 5.1 (ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF rules for
 * eBGP and iBGP), RFC 4760 / RFC 2545 (IPv6 next hop in MP_REACH_NLRI),
 * RFC 1997 and RFC 8092 (communities).
 */
import { Afi, Safi } from './constants.js';
import type { Family } from './prefix.js';
import type { LargeCommunity, PathAttributes } from './types.js';

/** Attributes a caller attaches to an announced prefix. */
export interface RouteAttributes {
  readonly communities?: readonly number[];
  readonly largeCommunities?: readonly LargeCommunity[];
  /** Overrides the peer's MED. */
  readonly med?: number;
  /** Extra copies of our AS, added to the peer's prepend count. */
  readonly prepend?: number;
  /** iBGP only; overrides the peer's LOCAL_PREF. */
  readonly localPref?: number;
}

/** A peer's export settings: the same attribute set, with its defaults filled in (MED has none). */
export type PeerAttributes = Required<Omit<RouteAttributes, 'med'>> & Pick<RouteAttributes, 'med'>;

export interface ExportContext extends PeerAttributes {
  readonly localAsn: number;
  readonly ibgp: boolean;
  readonly nextHopIpv4?: string;
  readonly nextHopIpv6?: string;
  readonly linkLocalNextHopIpv6?: string;
}

const DEFAULT_LOCAL_PREF = 100;
export { DEFAULT_LOCAL_PREF };

/**
 * Path attributes for a route sent to one peer, without NLRI (IPv6 routes get an
 * MP_REACH_NLRI with an empty NLRI list for the packer to fill).
 * Returns undefined when the family has no next hop to use.
 */
export function exportAttributes(
  route: RouteAttributes,
  family: Family,
  context: ExportContext,
): PathAttributes | undefined {
  const copies = context.prepend + (route.prepend ?? 0) + (context.ibgp ? 0 : 1);
  const asPath =
    copies > 0
      ? [{ type: 'sequence' as const, asns: new Array<number>(copies).fill(context.localAsn) }]
      : [];
  const med = route.med ?? context.med;
  const communities = mergeNumbers(context.communities, route.communities);
  const largeCommunities = mergeLarge(context.largeCommunities, route.largeCommunities);
  const base: PathAttributes = {
    origin: 'igp',
    asPath,
    ...(med === undefined ? {} : { med }),
    // Section 5.1.5: LOCAL_PREF goes to internal peers only.
    ...(context.ibgp ? { localPref: route.localPref ?? context.localPref } : {}),
    ...(communities.length > 0 ? { communities } : {}),
    ...(largeCommunities.length > 0 ? { largeCommunities } : {}),
  };
  if (family === 'ipv4') {
    if (context.nextHopIpv4 === undefined) return undefined;
    return { ...base, nextHop: context.nextHopIpv4 };
  }
  if (context.nextHopIpv6 === undefined) return undefined;
  return {
    ...base,
    mpReach: {
      afi: Afi.Ipv6,
      safi: Safi.Unicast,
      nextHop: context.nextHopIpv6,
      ...(context.linkLocalNextHopIpv6 === undefined
        ? {}
        : { linkLocalNextHop: context.linkLocalNextHopIpv6 }),
      nlri: [],
    },
  };
}

function mergeNumbers(a: readonly number[], b: readonly number[] | undefined): number[] {
  if (b === undefined || b.length === 0) return [...a];
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

function mergeLarge(
  a: readonly LargeCommunity[],
  b: readonly LargeCommunity[] | undefined,
): LargeCommunity[] {
  if (b === undefined || b.length === 0) return [...a];
  const seen = new Map<string, LargeCommunity>();
  for (const c of [...a, ...b]) seen.set(`${c.global}:${c.local1}:${c.local2}`, c);
  return [...seen.values()].sort(
    (x, y) => x.global - y.global || x.local1 - y.local1 || x.local2 - y.local2,
  );
}

/** A stable identity for attributes, so equal ones share UPDATEs and unchanged ones are not re-sent. */
export function attributesSignature(attributes: PathAttributes): string {
  return JSON.stringify(attributes);
}
