/**
 * Address families on the wire: AFI and SAFI numbers <-> 'ipv4' | 'ipv6'.
 *
 * RFC 4760 section 3 (AFI and SAFI in MP_REACH_NLRI / MP_UNREACH_NLRI and the
 * multiprotocol capability); the numbers are IANA's: AFI 1 IPv4, AFI 2 IPv6, SAFI 1
 * unicast. Known gap: unicast only; any other AFI/SAFI has no family here.
 */
import { Afi, Safi } from '../constants.js';
import type { Family } from '../prefix.js';

/** The family of an AFI (1 or 2), or undefined for any other. */
export function familyOfAfi(afi: number): Family | undefined {
  if (afi === Afi.Ipv4) return 'ipv4';
  if (afi === Afi.Ipv6) return 'ipv6';
  return undefined;
}

/** The family of an AFI/SAFI pair this speaker carries (unicast), or undefined. */
export function unicastFamily(afi: number, safi: number): Family | undefined {
  return safi === Safi.Unicast ? familyOfAfi(afi) : undefined;
}

/** The AFI of a family. */
export function afiOf(family: Family): number {
  return family === 'ipv4' ? Afi.Ipv4 : Afi.Ipv6;
}
