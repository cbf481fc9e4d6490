/**
 * The gobgp CLI's words (GoBGP 3.10, `gobgp global rib add --help` and its usage line):
 *
 *   gobgp [-u HOST -p PORT | --target unix://PATH] global rib -a ipv4|ipv6 add PREFIX
 *         [origin igp] [aspath AS,AS] [nexthop ADDR] [med N] [local-pref N]
 *         [community A:B,…] [large-community A:B:C,…]
 *   gobgp … global rib -a ipv4|ipv6 del PREFIX
 *   gobgp … -j global rib -a ipv4|ipv6 [PREFIX]        gobgp … -j global
 *
 * An add replaces the local path of that prefix with exactly the attributes given (checked
 * against gobgpd 3.10); a del removes only the local path, never one a neighbour sent.
 * The AS path of a local path is sent as written plus, to eBGP peers, gobgpd's own AS:
 * `prepend = N` is N copies of the global AS. Communities are written as numbers
 * ("65535:65281", not "no-export"), which is how the RIB shows them too.
 * Pure: argv, the path a route should have, and the plan of a sync.
 */
import { isDeepStrictEqual } from 'node:util';
import ipaddr from 'ipaddr.js';
import { formatLargeCommunity, parseCommunity, parseLargeCommunity } from '../../bgp/index.js';
import { describeArgv, firstLine, type CommandResult } from '../command.js';
import { AnnouncerFailure } from '../errors.js';
import { isIpv6Route, type AnnouncedRoute, type RouteRef } from '../types.js';
import { sortedUnique, type GobgpPath } from './rib.js';
import { describeApi, type GobgpSettings } from './settings.js';

export type Family = 'ipv4' | 'ipv6';

export function familyOf(route: RouteRef): Family {
  return isIpv6Route(route) ? 'ipv6' : 'ipv4';
}

/** The CLI and the API address: the start of every argv. */
export function baseArgv(settings: GobgpSettings): string[] {
  const api = settings.api;
  return api.kind === 'unix'
    ? [settings.gobgp, '--target', api.target]
    : [settings.gobgp, '-u', api.host, '-p', String(api.port)];
}

export function globalArgv(settings: GobgpSettings): string[] {
  return [...baseArgv(settings), '-j', 'global'];
}

/** The whole RIB of a family, or one prefix's paths. */
export function listArgv(settings: GobgpSettings, family: Family, prefix?: string): string[] {
  return [
    ...baseArgv(settings),
    '-j',
    'global',
    'rib',
    '-a',
    family,
    ...(prefix === undefined ? [] : [prefix]),
  ];
}

export function deleteArgv(settings: GobgpSettings, prefix: string): string[] {
  return [...baseArgv(settings), 'global', 'rib', '-a', familyOf({ prefix }), 'del', prefix];
}

export function addArgv(settings: GobgpSettings, prefix: string, path: GobgpPath): string[] {
  const argv = [
    ...baseArgv(settings),
    'global',
    'rib',
    '-a',
    familyOf({ prefix }),
    'add',
    prefix,
    'origin',
    path.origin,
  ];
  if (path.asPath.length > 0) argv.push('aspath', path.asPath.join(','));
  if (path.nextHop !== undefined) argv.push('nexthop', path.nextHop);
  if (path.med !== undefined) argv.push('med', String(path.med));
  if (path.localPref !== undefined) argv.push('local-pref', String(path.localPref));
  if (path.communities.length > 0)
    argv.push(
      'community',
      path.communities.map((c) => `${Math.floor(c / 65536)}:${c % 65536}`).join(','),
    );
  if (path.largeCommunities.length > 0)
    argv.push('large-community', path.largeCommunities.join(','));
  return argv;
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

/**
 * A failed gobgp run as an AnnouncerFailure. gobgp prints its error on stdout (as
 * `{"error":"…"}` with -j) and exits 1; the texts below are GoBGP 3.10's.
 */
export function gobgpFailure(
  argv: readonly string[],
  result: CommandResult,
  settings: GobgpSettings,
  error: string | undefined,
): AnnouncerFailure {
  const text = error ?? (firstLine(result.stdout) || firstLine(result.stderr) || 'no output');
  const api = describeApi(settings.api);
  if (/context deadline exceeded|connection refused|Unavailable|no such file/i.test(text))
    return new AnnouncerFailure(
      'ANNOUNCER_DAEMON_UNREACHABLE',
      `gobgpd does not answer on ${api} (gobgp: ${text}): is it running with --api-hosts ${api}?`,
    );
  if (/hasn't started yet|has not started/i.test(text))
    return new AnnouncerFailure(
      'ANNOUNCER_DAEMON_UNREACHABLE',
      `gobgpd on ${api} has no global configuration yet (gobgp: ${text}): give it a [global.config] with as and router-id`,
    );
  return new AnnouncerFailure(
    'ANNOUNCER_REJECTED',
    `${describeArgv(argv)}: exit code ${result.exitCode}: ${text}`,
  );
}
