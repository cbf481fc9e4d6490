/**
 * Local paths as gobgpd's gRPC API carries them (gobgp-api.proto): the NLRI and each path
 * attribute as BGP wire bytes (RFC 4271 section 4.3; RFC 4760 section 3 for IPv6, whose
 * next hop and NLRI go in MP_REACH_NLRI; RFC 1997 and RFC 8092 for communities), encoded
 * and read back with the speaker's codec, 4-octet ASNs (gobgpd's own choice for API paths).
 *
 * gobgpd wants a next hop on every path (0.0.0.0 or :: lets it use its own address on each
 * session) and an IPv6 path's NLRI inside MP_REACH_NLRI as well (apiutil in GoBGP 3.x).
 * Paths a neighbour sent carry its address in neighbor_ip; paths added through the API
 * (ours, or another client's) carry "<nil>" there (GoBGP 3.10): only those are read.
 * Known gaps: AS_SET segments are read as a flat list; other attributes are ignored.
 * Pure: bytes in, bytes out.
 */
import {
  Afi,
  Safi,
  decodeAttributes,
  encodeAttributes,
  formatLargeCommunity,
  formatPrefix,
  parsePrefix,
  type PathAttributes,
} from '../../bgp/index.js';
import { errorMessage } from '../../util/index.js';
import { AnnouncerFailure } from '../errors.js';

export type Family = 'ipv4' | 'ipv6';
export type Origin = 'igp' | 'egp' | 'incomplete';

/** A path as this announcer compares it: communities sorted, unset next hop as undefined. */
export interface GobgpPath {
  readonly origin: Origin;
  readonly asPath: readonly number[];
  readonly med?: number;
  readonly localPref?: number;
  /** 32-bit values, sorted, no duplicates. */
  readonly communities: readonly number[];
  /** "global:local1:local2", sorted, no duplicates. */
  readonly largeCommunities: readonly string[];
  /** Undefined when gobgpd picks it (0.0.0.0 or :: in the RIB). */
  readonly nextHop?: string;
}

/** apipb.Family. */
export interface ApiFamily {
  readonly afi: number;
  readonly safi: number;
}

/** The apipb.Path fields this announcer writes and reads. */
export interface ApiPath {
  readonly family?: ApiFamily | null;
  readonly nlri_binary?: Uint8Array;
  readonly pattrs_binary?: readonly Uint8Array[];
  readonly is_withdraw?: boolean;
  readonly neighbor_ip?: string;
}

/** apipb.Destination. */
export interface ApiDestination {
  readonly prefix: string;
  readonly paths: readonly ApiPath[];
}

const FOUR_OCTET = { fourOctetAs: true } as const;
const ANY = { ipv4: '0.0.0.0', ipv6: '::' } as const;

export function apiFamily(family: Family): ApiFamily {
  return { afi: family === 'ipv4' ? Afi.Ipv4 : Afi.Ipv6, safi: Safi.Unicast };
}

export function sortedUnique<T extends number | string>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
  );
}

/**
 * One path for AddPathStream: the prefix's NLRI and the attributes of `path`; a withdrawal
 * when `withdraw` (gobgpd then removes the local path of that prefix, whatever its
 * attributes, and never a neighbour's).
 */
export function encodePath(prefix: string, path: GobgpPath, withdraw = false): ApiPath {
  const parsed = parsePrefix(prefix);
  const nlri = new Uint8Array(1 + ((parsed.length + 7) >> 3));
  nlri[0] = parsed.length;
  nlri.set(parsed.bytes.subarray(0, nlri.length - 1), 1);
  const nextHop = path.nextHop ?? ANY[parsed.family];
  const attrs: PathAttributes = {
    origin: path.origin,
    asPath: path.asPath.length === 0 ? [] : [{ type: 'sequence', asns: path.asPath }],
    ...(parsed.family === 'ipv4'
      ? { nextHop }
      : {
          mpReach: { afi: Afi.Ipv6, safi: Safi.Unicast, nextHop, nlri: [parsed] },
        }),
    ...(path.med === undefined ? {} : { med: path.med }),
    ...(path.localPref === undefined ? {} : { localPref: path.localPref }),
    communities: path.communities,
    largeCommunities: path.largeCommunities.map((c) => {
      const [global, local1, local2] = c.split(':').map(Number);
      return { global: global ?? 0, local1: local1 ?? 0, local2: local2 ?? 0 };
    }),
  };
  return {
    family: apiFamily(parsed.family),
    nlri_binary: nlri,
    pattrs_binary: encodeAttributes(attrs, FOUR_OCTET),
    ...(withdraw ? { is_withdraw: true } : {}),
  };
}

function bad(what: string, detail: string): AnnouncerFailure {
  return new AnnouncerFailure('ANNOUNCER_BAD_OUTPUT', `${what}: ${detail}`);
}

/** A path's attributes from its pattrs_binary, as this announcer compares them. */
export function decodePath(pattrs: readonly Uint8Array[], what: string): GobgpPath {
  const total = pattrs.reduce((n, a) => n + a.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const a of pattrs) {
    bytes.set(a, at);
    at += a.length;
  }
  let attrs: PathAttributes;
  try {
    const decoded = decodeAttributes(bytes, 0, total, FOUR_OCTET, true);
    // What a BGP session would treat as withdrawn or partly discard (RFC 7606) is not a
    // path this announcer can compare: bad output, not a different path.
    const fault = decoded.treatAsWithdraw ?? decoded.discarded[0];
    if (fault !== undefined) throw fault;
    attrs = decoded.attributes;
  } catch (error) {
    throw bad(what, `path attributes gobgpd sent do not decode: ${errorMessage(error)}`);
  }
  const nextHop = attrs.nextHop ?? attrs.mpReach?.nextHop;
  return {
    origin: attrs.origin ?? 'incomplete',
    asPath: (attrs.asPath ?? []).flatMap((segment) => segment.asns),
    ...(attrs.med === undefined ? {} : { med: attrs.med }),
    ...(attrs.localPref === undefined ? {} : { localPref: attrs.localPref }),
    communities: sortedUnique(attrs.communities ?? []),
    largeCommunities: sortedUnique((attrs.largeCommunities ?? []).map(formatLargeCommunity)),
    ...(nextHop === undefined || nextHop === ANY.ipv4 || nextHop === ANY.ipv6 ? {} : { nextHop }),
  };
}

/** Whether a path from ListPath was added through the API (not sent by a neighbour). */
export function isLocal(path: ApiPath): boolean {
  const from = path.neighbor_ip ?? '';
  return from === '' || from === '<nil>';
}

/** The local paths among ListPath's destinations, by canonical prefix. */
export function localPaths(
  destinations: Iterable<ApiDestination>,
  what: string,
): Map<string, GobgpPath> {
  const out = new Map<string, GobgpPath>();
  for (const destination of destinations) {
    let prefix: string;
    try {
      prefix = formatPrefix(parsePrefix(destination.prefix));
    } catch {
      throw bad(what, `${JSON.stringify(destination.prefix)} is not a prefix`);
    }
    for (const path of destination.paths)
      if (isLocal(path))
        out.set(prefix, decodePath(path.pattrs_binary ?? [], `${what}: ${prefix}`));
  }
  return out;
}
