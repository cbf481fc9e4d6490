/**
 * ExaBGP 4.2's text API, the part this announcer speaks (checked against ExaBGP 4.2.21;
 * its reactor/api/command/*.py and doc/README of the API):
 *
 *   announce route PREFIX next-hop self|ADDR origin igp [as-path [ A B ]] [med N]
 *            [local-preference N] [community [ A:B … ]] [large-community [ A:B:C … ]]
 *   withdraw route PREFIX
 *   show adj-rib out            → "neighbor IP ipv4|ipv6 unicast PREFIX next-hop …" lines
 *   show neighbor configuration → the neighbors' configuration blocks ("local-as N;",
 *                                 "family { ipv4 unicast; }")
 *   neighbor A , neighbor B announce|withdraw …   → only to those neighbors
 *
 * With exabgp.api.ack (the default) each command is answered on our stdin by "done" or
 * "error", after its output; commands that go through ExaBGP's scheduler (all of the
 * above) are answered in the order they were sent. "done" means ExaBGP took the command,
 * not that a peer received an UPDATE. ExaBGP's own log says why it answered "error".
 *
 * Facts that shape the lines:
 * - An AS path given is sent as written, to eBGP peers too (ExaBGP does not add its AS
 *   in front of it): `prepend = N` is N + 1 copies of our AS.
 * - `origin igp` is always written: in 4.2.21 a route with `next-hop self` and no other
 *   attribute loses its NEXT_HOP when ExaBGP re-sends it after a session comes back up.
 * - Communities are written as numbers ("65535:65281" for no-export), which ExaBGP reads.
 * - `next-hop self` on an IPv4 session gives IPv6 routes a next hop of 0.0.0.0, which
 *   routers reject: give IPv6 routes an IPv6 session or a `next_hop.ipv6` address.
 * - A route goes to every neighbor whose api { processes [...] } lists this process; a
 *   `neighbor A , neighbor B` selector in front keeps it to those of its family.
 * Known gaps: no flowspec or VPN families.
 */
import { formatLargeCommunity, parseCommunity, parseLargeCommunity } from '../../bgp/index.js';
import { formatPrefix, parsePrefix } from '../../bgp/index.js';
import { isIpv6Route, type AnnouncedRoute } from '../types.js';
import type { ExabgpSettings } from './settings.js';

export function announceLine(
  route: AnnouncedRoute,
  settings: ExabgpSettings,
  asn: number | undefined,
  selector = '',
): string {
  const a = route.attributes;
  const hop = isIpv6Route(route) ? settings.nextHop.ipv6 : settings.nextHop.ipv4;
  const words = ['announce', 'route', route.prefix, 'next-hop', hop, 'origin', 'igp'];
  if (selector !== '') words.unshift(selector);
  const prepend = a.prepend ?? 0;
  if (prepend > 0) {
    if (asn === undefined) throw new Error(`${route.prefix}: prepend needs our AS number`);
    words.push('as-path', `[ ${Array.from({ length: prepend + 1 }, () => asn).join(' ')} ]`);
  }
  if (a.med !== undefined) words.push('med', String(a.med));
  if (a.localPref !== undefined) words.push('local-preference', String(a.localPref));
  const communities = [...new Set((a.communities ?? []).map(parseCommunity))].sort((x, y) => x - y);
  if (communities.length > 0)
    words.push(
      'community',
      `[ ${communities.map((c) => `${Math.floor(c / 65536)}:${c % 65536}`).join(' ')} ]`,
    );
  const large = [
    ...new Set((a.largeCommunities ?? []).map((c) => formatLargeCommunity(parseLargeCommunity(c)))),
  ].sort();
  if (large.length > 0) words.push('large-community', `[ ${large.join(' ')} ]`);
  return words.join(' ');
}

export function withdrawLine(prefix: string, selector = ''): string {
  return `${selector === '' ? '' : `${selector} `}withdraw route ${prefix}`;
}

/** A neighbor in `show neighbor configuration`: its address and unicast families. */
export interface ExabgpNeighbor {
  readonly address: string;
  readonly families: ReadonlySet<'ipv4' | 'ipv6'>;
}

/** The neighbors of `show neighbor configuration` (ExaBGP 4.2's configuration layout). */
export function parseNeighbors(lines: readonly string[]): ExabgpNeighbor[] {
  const out: { address: string; families: Set<'ipv4' | 'ipv6'> }[] = [];
  let inFamily = false;
  for (const line of lines) {
    const start = /^neighbor (\S+) \{$/.exec(line.trim());
    if (start?.[1] !== undefined && !line.startsWith(' ')) {
      out.push({ address: start[1], families: new Set() });
      inFamily = false;
      continue;
    }
    const current = out.at(-1);
    if (current === undefined) continue;
    if (/^\s+family \{$/.test(line)) inFamily = true;
    else if (inFamily && /^\s+\}$/.test(line)) inFamily = false;
    else if (inFamily) {
      const family = /^\s+(ipv4|ipv6) unicast;$/.exec(line)?.[1];
      if (family === 'ipv4' || family === 'ipv6') current.families.add(family);
    }
  }
  return out;
}

/**
 * The `neighbor A , neighbor B` that sends a route of `family` only to the neighbors that
 * carry it ('' when that is all of them, or none: then ExaBGP decides, as without one).
 * Without it, ExaBGP logs "the route family is not configured on neighbor" for each
 * neighbor of the other family, on every command.
 */
export function neighborSelector(
  neighbors: readonly ExabgpNeighbor[] | undefined,
  family: 'ipv4' | 'ipv6',
): string {
  if (neighbors === undefined) return '';
  const carrying = neighbors.filter((n) => n.families.has(family));
  if (carrying.length === 0 || carrying.length === neighbors.length) return '';
  return carrying.map((n) => `neighbor ${n.address}`).join(' , ');
}

export const SHOW_ADJ_RIB_OUT = 'show adj-rib out';
export const SHOW_NEIGHBOR_CONFIGURATION = 'show neighbor configuration';

const ADJ_RIB_LINE = /^neighbor (\S+) (ipv4|ipv6) unicast (\S+)(?: |$)/;

/**
 * The unicast prefixes in `show adj-rib out` (any neighbor), canonical. Lines of other
 * families (flow, vpls, …) are skipped.
 */
export function parseAdjRibOut(lines: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const line of lines) {
    const match = ADJ_RIB_LINE.exec(line.trim());
    if (match?.[3] === undefined) continue;
    try {
      out.add(formatPrefix(parsePrefix(match[3])));
    } catch {
      // not a prefix: not a line of ours
    }
  }
  return out;
}

/** The `local-as` of each neighbor in `show neighbor configuration`. */
export function parseLocalAs(lines: readonly string[]): number[] {
  return lines.flatMap((line) => {
    const match = /^\s*local-as (\d+);\s*$/.exec(line);
    return match?.[1] === undefined ? [] : [Number(match[1])];
  });
}

/** What a line ExaBGP writes to our stdin is. */
export type InputLine =
  | { readonly kind: 'answer'; readonly ok: boolean }
  /** "shutdown PID PPID" (text encoder) or a JSON shutdown notice: ExaBGP is stopping. */
  | { readonly kind: 'shutdown' }
  /** A neighbor event ("neighbor X up|down|connected|receive …", any JSON message) or a blank line. */
  | { readonly kind: 'event'; readonly text: string }
  /** Output of the command being answered. */
  | { readonly kind: 'output'; readonly text: string };

export function classifyLine(raw: string): InputLine {
  const line = raw.trimEnd();
  if (line === 'done') return { kind: 'answer', ok: true };
  if (line === 'error') return { kind: 'answer', ok: false };
  if (/^shutdown( \d+ \d+)?$/.test(line)) return { kind: 'shutdown' };
  if (line.startsWith('{')) {
    if (/"notification"\s*:\s*"shutdown"/.test(line)) return { kind: 'shutdown' };
    return { kind: 'event', text: line };
  }
  if (line === '' || /^neighbor \S+ (up|down|connected|receive|send|update)\b/.test(line))
    return { kind: 'event', text: line };
  return { kind: 'output', text: line };
}
