/**
 * Which next hop each family is announced with to one peer, and so which
 * negotiated families we can export at all.
 *
 * RFC 4271 section 5.1.3 (NEXT_HOP: our own address on the session for eBGP),
 * RFC 4760 section 3 and RFC 2545 section 3 (IPv6 next hop in MP_REACH_NLRI: a
 * global address, optionally followed by a link-local one).
 *
 * Known gap: an IPv4 next hop over an IPv6 session (or the reverse) is taken from
 * the same interface's addresses; with none there, the family is not exported and
 * status says why (next-hop-watch.ts looks again until one turns up).
 */
import { isIPv4 } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { ExportContext } from './export-policy.js';
import type { PeerConfig } from './peer-config.js';
import type { Family } from './prefix.js';

/** The host's interfaces and their addresses; injected so tests can move addresses. */
export type AddressSource = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

/** The peer's export settings, with next hops inferred from the session's local address `local`. */
export function exportContextFor(
  config: PeerConfig,
  localAsn: number,
  local: string | undefined,
  addresses: AddressSource = networkInterfaces,
): ExportContext {
  const v4Transport = local !== undefined && isIPv4(local);
  const interfaceV4 = local === undefined ? undefined : interfaceAddress(addresses, local, 'IPv4');
  const interfaceV6 = local === undefined ? undefined : interfaceAddress(addresses, local, 'IPv6');
  const localV6 = !v4Transport && local !== undefined && !isLinkLocal(local) ? local : undefined;
  const nextHopIpv4 = config.nextHopIpv4 ?? (v4Transport ? local : interfaceV4);
  const nextHopIpv6 = config.nextHopIpv6 ?? localV6 ?? interfaceV6;
  return {
    localAsn,
    ibgp: config.asn === localAsn,
    ...(nextHopIpv4 === undefined ? {} : { nextHopIpv4 }),
    ...(nextHopIpv6 === undefined ? {} : { nextHopIpv6 }),
    ...(config.linkLocalNextHopIpv6 === undefined
      ? {}
      : { linkLocalNextHopIpv6: config.linkLocalNextHopIpv6 }),
    communities: config.communities,
    largeCommunities: config.largeCommunities,
    ...(config.med === undefined ? {} : { med: config.med }),
    prepend: config.prepend,
    localPref: config.localPref,
  };
}

/** How often a missing next hop is looked for again while the session is up. */
export const NEXT_HOP_RETRY_MS = 2000;

/** The negotiated families that have a next hop, and a line for status about each that has none. */
export function exportableFamilies(
  negotiated: readonly Family[],
  context: ExportContext,
  local: string | undefined,
): { families: Set<Family>; problems: string[] } {
  const families = new Set<Family>();
  const problems: string[] = [];
  for (const family of negotiated) {
    const hasNextHop =
      family === 'ipv4' ? context.nextHopIpv4 !== undefined : context.nextHopIpv6 !== undefined;
    if (hasNextHop) families.add(family);
    else
      problems.push(
        `no ${family} next hop: set nextHop.${family} for this peer (the session's local address is ${local ?? 'unknown'}); looking again every ${NEXT_HOP_RETRY_MS / 1000} s`,
      );
  }
  return { families, problems };
}

function isLinkLocal(address: string): boolean {
  return address.toLowerCase().startsWith('fe80');
}

/** The first global address of `family` on the interface that holds `local`. */
function interfaceAddress(
  source: AddressSource,
  local: string,
  family: 'IPv4' | 'IPv6',
): string | undefined {
  for (const addresses of Object.values(source())) {
    if (addresses === undefined || !addresses.some((a) => a.address === local)) continue;
    const match = addresses.find(
      (a) => a.family === family && !a.internal && !(family === 'IPv6' && isLinkLocal(a.address)),
    );
    if (match !== undefined) return match.address;
  }
  return undefined;
}
