/**
 * Which nodes a client should use for a service, best first (pure):
 *
 *   1. nodes in the client's own site (client subnets are mapped to sites in the
 *      director's config; the longest matching prefix wins);
 *   2. then the great-circle distance from the client's site to the node;
 *   3. then the load the node reported;
 *   4. random among equals, so equal nodes share the clients.
 *
 * Only nodes whose ad says the service is "up" are candidates (a "guarded" node still
 * announces, degraded, but is never handed out). The anycast URL is
 * not ranked here: the caller puts it last (or first, for a client that prefers it).
 */
import ipaddr from 'ipaddr.js';
import type { NodeAd } from './ad.js';

export interface SiteConfig {
  readonly name: string;
  /** CIDR text, e.g. "10.1.0.0/16". */
  readonly subnets: readonly string[];
  readonly lat?: number;
  readonly lon?: number;
}

export interface ClientPlace {
  readonly ip?: string;
  readonly site?: string;
  readonly lat?: number;
  readonly lon?: number;
}

export interface RankedNode {
  readonly name: string;
  readonly url: string;
  readonly site?: string;
  readonly load: number;
  readonly sameSite: boolean;
  readonly distanceKm?: number;
}

type Parsed = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** A site table compiled once: subnets parsed, for longest-prefix lookups. */
export class SiteMap {
  private readonly entries: { site: SiteConfig; range: Parsed }[] = [];

  constructor(readonly sites: readonly SiteConfig[]) {
    for (const site of sites)
      for (const subnet of site.subnets)
        this.entries.push({ site, range: ipaddr.parseCIDR(subnet) });
    this.entries.sort((a, b) => b.range[1] - a.range[1]);
  }

  /** The client's place: its site (longest matching subnet) and that site's coordinates. */
  place(ip: string | undefined): ClientPlace {
    if (ip === undefined || !ipaddr.isValid(ip)) return {};
    const address = ipaddr.process(ip);
    for (const { site, range } of this.entries)
      if (address.kind() === range[0].kind() && address.match(range))
        return {
          ip,
          site: site.name,
          ...(site.lat === undefined ? {} : { lat: site.lat }),
          ...(site.lon === undefined ? {} : { lon: site.lon }),
        };
    return { ip };
  }
}

/** Great-circle distance in km (haversine, mean Earth radius). */
export function distanceKm(
  a: { lat: number; lon: number },
  b: { lat: number; lon: number },
): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The nodes whose ad says `service` is up, ranked for `client`. */
export function rankNodes(
  ads: Iterable<NodeAd>,
  service: string,
  client: ClientPlace,
  random: () => number = Math.random,
): RankedNode[] {
  const ranked: (RankedNode & { tiebreak: number })[] = [];
  for (const ad of ads) {
    if (!ad.node.services.some((s) => s.name === service && s.state === 'up')) continue;
    const { url, site, lat, lon, load } = ad.node;
    const distance =
      client.lat !== undefined && client.lon !== undefined && lat !== undefined && lon !== undefined
        ? distanceKm({ lat: client.lat, lon: client.lon }, { lat, lon })
        : undefined;
    ranked.push({
      name: ad.origin,
      url,
      ...(site === undefined ? {} : { site }),
      load,
      sameSite: client.site !== undefined && site === client.site,
      ...(distance === undefined ? {} : { distanceKm: Math.round(distance * 10) / 10 }),
      tiebreak: random(),
    });
  }
  ranked.sort(
    (a, b) =>
      Number(b.sameSite) - Number(a.sameSite) ||
      (a.distanceKm ?? Infinity) - (b.distanceKm ?? Infinity) ||
      a.load - b.load ||
      a.tiebreak - b.tiebreak,
  );
  return ranked.map(({ tiebreak: _tiebreak, ...node }) => node);
}
