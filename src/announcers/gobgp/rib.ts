/**
 * What `gobgp -j global rib -a ipv4|ipv6 [PREFIX]` prints (GoBGP 3.10), read into the
 * attributes this announcer sets. The JSON maps each prefix to its paths; each path lists
 * its attributes by BGP type code (RFC 4271 section 5 numbering):
 *
 *   1 ORIGIN { value: 0 igp | 1 egp | 2 incomplete }      2 AS_PATH { as_paths: [{ asns }] }
 *   3 NEXT_HOP { nexthop }                                 4 MED { metric }
 *   5 LOCAL_PREF { value }                                 8 COMMUNITIES { communities: [u32] }
 *   14 MP_REACH_NLRI { nexthop } (IPv6)                    32 LARGE_COMMUNITY { value: [{ ASN, LocalData1, LocalData2 }] }
 *
 * Paths learnt from a neighbour carry `neighbor-ip` (and `source-id`); paths added through
 * the API (`gobgp global rib add`, ours) carry neither. Only those local paths are read:
 * a route a peer sends for one of our prefixes is never ours to touch.
 * Known gaps: AS_SET segments are read as a flat list; other attributes are ignored.
 */
import { formatPrefix, parsePrefix } from '../../bgp/index.js';
import { AnnouncerFailure } from '../errors.js';

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

const ORIGINS: readonly Origin[] = ['igp', 'egp', 'incomplete'];

interface RawAttr {
  type?: unknown;
  value?: unknown;
  as_paths?: unknown;
  nexthop?: unknown;
  metric?: unknown;
  communities?: unknown;
}

interface RawPath {
  nlri?: { prefix?: unknown };
  attrs?: unknown;
  'neighbor-ip'?: unknown;
  'source-id'?: unknown;
}

function bad(what: string, detail: string): AnnouncerFailure {
  return new AnnouncerFailure('ANNOUNCER_BAD_OUTPUT', `${what}: ${detail}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function canonical(prefix: string, what: string): string {
  try {
    return formatPrefix(parsePrefix(prefix));
  } catch {
    throw bad(what, `${JSON.stringify(prefix)} is not a prefix`);
  }
}

export function sortedUnique<T extends number | string>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
  );
}

function readPath(raw: RawPath, what: string): GobgpPath {
  if (!Array.isArray(raw.attrs)) throw bad(what, 'a path without "attrs"');
  let origin: Origin = 'incomplete';
  let asPath: number[] = [];
  let med: number | undefined;
  let localPref: number | undefined;
  let communities: number[] = [];
  let largeCommunities: string[] = [];
  let nextHop: string | undefined;
  for (const item of raw.attrs as unknown[]) {
    if (!isRecord(item)) throw bad(what, 'an attribute that is not an object');
    const attr = item as RawAttr;
    switch (attr.type) {
      case 1:
        origin = ORIGINS[typeof attr.value === 'number' ? attr.value : -1] ?? 'incomplete';
        break;
      case 2:
        asPath = (Array.isArray(attr.as_paths) ? attr.as_paths : []).flatMap((segment: unknown) =>
          isRecord(segment) && Array.isArray(segment.asns)
            ? segment.asns.filter((n): n is number => typeof n === 'number')
            : [],
        );
        break;
      case 3:
      case 14:
        if (typeof attr.nexthop === 'string' && attr.nexthop !== '0.0.0.0' && attr.nexthop !== '::')
          nextHop = attr.nexthop;
        break;
      case 4:
        if (typeof attr.metric === 'number') med = attr.metric;
        break;
      case 5:
        if (typeof attr.value === 'number') localPref = attr.value;
        break;
      case 8:
        communities = (Array.isArray(attr.communities) ? attr.communities : []).filter(
          (n): n is number => typeof n === 'number',
        );
        break;
      case 32:
        largeCommunities = (Array.isArray(attr.value) ? attr.value : []).flatMap((v: unknown) =>
          isRecord(v) ? [`${String(v.ASN)}:${String(v.LocalData1)}:${String(v.LocalData2)}`] : [],
        );
        break;
      default:
        break;
    }
  }
  return {
    origin,
    asPath,
    ...(med === undefined ? {} : { med }),
    ...(localPref === undefined ? {} : { localPref }),
    communities: sortedUnique(communities),
    largeCommunities: sortedUnique(largeCommunities),
    ...(nextHop === undefined ? {} : { nextHop }),
  };
}

/**
 * The local paths (ours or another API client's) in one `gobgp -j global rib` answer, by
 * canonical prefix. `{"error": "…"}` answers are the caller's to classify first.
 */
export function parseLocalPaths(text: string, what: string): Map<string, GobgpPath> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw bad(what, `not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (!isRecord(document)) throw bad(what, 'expected an object of prefixes');
  const out = new Map<string, GobgpPath>();
  for (const [key, paths] of Object.entries(document)) {
    if (!Array.isArray(paths)) throw bad(what, `${key}: expected a list of paths`);
    for (const item of paths as unknown[]) {
      if (!isRecord(item)) throw bad(what, `${key}: a path that is not an object`);
      const raw = item as RawPath;
      if (raw['neighbor-ip'] !== undefined || raw['source-id'] !== undefined) continue;
      const prefix = typeof raw.nlri?.prefix === 'string' ? raw.nlri.prefix : key;
      out.set(canonical(prefix, what), readPath(raw, `${what}: ${key}`));
    }
  }
  return out;
}

/** The `{"error":"…"}` gobgp prints with -j when the call failed, if this is one. */
export function jsonError(text: string): string | undefined {
  try {
    const document: unknown = JSON.parse(text);
    return isRecord(document) && typeof document.error === 'string' ? document.error : undefined;
  } catch {
    return undefined;
  }
}

/** The AS number in `gobgp -j global` ({"asn":65001,…}; `{}` while gobgpd has no [global]). */
export function parseGlobalAsn(text: string, what: string): number | undefined {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw bad(what, `not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (!isRecord(document)) throw bad(what, 'expected an object');
  return typeof document.asn === 'number' && document.asn > 0 ? document.asn : undefined;
}
