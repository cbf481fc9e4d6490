/**
 * One [services.NAME] table → ServiceConfig: prefixes, checks, and the rules
 * that turn check results into announcements (rise, fall, hold-down, policy,
 * what to do when down, the on_change hook).
 */
import { attributesOf } from '../bgp/index.js';
import { buildChecks, type ConfigCheckType } from './checks.js';
import {
  didYouMean,
  formatPath,
  type IssueList,
  isTable,
  type KeyPath,
  specialPrefix,
  validate,
} from '../validation/index.js';
import { announcerTitle, buildPrefixes } from './prefixes.js';
import { routingDaemons } from '../announcers/index.js';
import { parseInterfaceAddress } from '../addresses/index.js';
import { serviceSchema } from './schema.js';
import { buildFleetGuard } from '../health/index.js';
import type { DownAction, Policy, ServiceConfig, UpAttributes } from './types.js';

export const SERVICE_DEFAULTS = {
  rise: 2,
  fall: 2,
  holdDown: 10,
  onChangeTimeout: 5,
} as const;

/** The keys of an anycastd service. */
const ANYCASTD_SERVICE_KEYS: ReadonlySet<string> = new Set(['prefixes', 'checks']);

/** Written as anycastd writes a service: prefixes per routing daemon, checks, nothing else. */
function isAnycastdForm(raw: Readonly<Record<string, unknown>>): boolean {
  return isTable(raw.prefixes) && Object.keys(raw).every((key) => ANYCASTD_SERVICE_KEYS.has(key));
}

/** Placeholders on_change arguments may use. */
export const HOOK_PLACEHOLDERS = ['service', 'state', 'previous', 'reason'] as const;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface BuiltService {
  readonly config: ServiceConfig;
  /** Per prefix of config.prefixes, where it was written. */
  readonly prefixPaths: readonly KeyPath[];
}

export interface BuildServiceOptions {
  /** The config has a [directors] section (a fleet guard needs one). */
  readonly hasDirectors?: boolean;
}

export function buildService(
  name: string,
  raw: unknown,
  registry: ReadonlyMap<string, ConfigCheckType>,
  issues: IssueList,
  options: BuildServiceOptions = {},
): BuiltService | undefined {
  const path: KeyPath = ['services', name];
  if (!NAME_PATTERN.test(name))
    issues.add(
      path,
      'service names are 1 to 64 letters, digits, ".", "-" or "_", starting with a letter or digit',
    );
  if (!isTable(raw)) {
    issues.add(path, `must be a table: write [services.${name}] (single brackets)`);
    return undefined;
  }
  const before = issues.count;
  const service = validate(serviceSchema, raw, path, issues);
  // Read before the schema check, so a bad value elsewhere does not hide the prefixes' issues.
  const allowDefaultRoute = raw.allow_default_route === true;
  const prefixes = buildPrefixes(raw.prefixes, [...path, 'prefixes'], issues, {
    allowDefaultRoute,
  });
  const checks = buildChecks(raw.checks, [...path, 'checks'], registry, issues);
  if (service === undefined) return undefined;

  const seen = new Map<string, KeyPath>();
  prefixes.prefixes.forEach((p, i) => {
    const at = prefixes.paths[i]!;
    const key = `${p.prefix} ${p.vrf ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) issues.add(at, `${p.prefix} is listed twice in this service`);
    else seen.set(key, at);
  });

  if (allowDefaultRoute && !prefixes.prefixes.some((p) => p.prefix.endsWith('/0')))
    issues.add(
      [...path, 'allow_default_route'],
      'is set but no prefix of this service is a default route (0.0.0.0/0 or ::/0)',
    );
  checkAddresses(service.addresses ?? [], [...path, 'addresses'], issues);

  const announce = service.announce ?? 'healthy';
  // Only when the checks had no errors of their own: otherwise those say it.
  if (
    checks.length === 0 &&
    announce !== 'always' &&
    !hasIssuesUnder(issues, [...path, 'checks'], before)
  )
    issues.add(
      [...path, 'checks'],
      'a service with no checks is never announced; add checks or announce = "always"',
    );

  let policy: Policy = { kind: 'all' };
  if (service.policy === 'any') policy = { kind: 'any' };
  else if (typeof service.policy === 'object') {
    const quorum = service.policy.quorum;
    policy = { kind: 'quorum', count: quorum };
    const total = countChecks(raw.checks);
    if (quorum > total)
      issues.add(
        [...path, 'policy', 'quorum'],
        `is ${quorum} but the service has ${total} check${total === 1 ? '' : 's'}; it could never be met`,
      );
  }

  let down: DownAction = { kind: 'withdraw' };
  if (typeof service.down === 'object') {
    const d = service.down;
    if (Object.keys(d).length === 0)
      issues.add(
        [...path, 'down'],
        'is empty: set med, prepend, communities and/or large_communities, or use "withdraw"',
      );
    down = { kind: 'degrade', ...attributesOf(d) };
  }

  let up: UpAttributes | undefined;
  if (service.up !== undefined) {
    if (Object.keys(service.up).length === 0)
      issues.add(
        [...path, 'up'],
        'is empty: set med, prepend, local_pref, communities and/or large_communities, or leave it out',
      );
    up = attributesOf(service.up);
  }

  if (service.on_change !== undefined) {
    if (service.on_change[0] === '')
      issues.add([...path, 'on_change', 0], 'must name the program to run');
    service.on_change.forEach((arg, i) => {
      for (const match of arg.matchAll(/\{([^{}]*)\}/g)) {
        const placeholder = match[1] ?? '';
        if (!(HOOK_PLACEHOLDERS as readonly string[]).includes(placeholder))
          issues.add(
            [...path, 'on_change', i],
            `unknown placeholder {${placeholder}}${didYouMean(placeholder, HOOK_PLACEHOLDERS)}; known: ${HOOK_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
          );
      }
    });
  }
  if (service.on_change_timeout !== undefined && service.on_change === undefined)
    issues.add([...path, 'on_change_timeout'], 'is set but there is no on_change hook');

  // A prefix-list file or a `network` statement cannot carry a MED: announcing such a
  // route normally while the service is sick would break the safety invariant, and
  // dropping `up` silently would announce what the operator did not ask for.
  const plain = new Set(
    prefixes.prefixes
      .map((p) => p.announcer)
      .filter((kind) => kind !== 'bgp' && !routingDaemons[kind].supportsAttributes),
  );
  for (const kind of plain) {
    if (down.kind === 'degrade')
      issues.add(
        [...path, 'down'],
        `${announcerTitle(kind)} cannot announce with other attributes (prefixes.${kind}); use down = "withdraw", or announce these prefixes through an announcer that can (bgp, gobgp, exabgp)`,
      );
    if (up !== undefined)
      issues.add(
        [...path, 'up'],
        `${announcerTitle(kind)} cannot announce with other attributes (prefixes.${kind}); leave up out, or announce these prefixes through an announcer that can (bgp, gobgp, exabgp)`,
      );
  }

  const withdrawAddress = service.withdraw_address_when_down ?? false;
  if (withdrawAddress && down.kind === 'degrade')
    issues.add(
      [...path, 'withdraw_address_when_down'],
      'cannot go with a degraded "down": the route would stay announced while the address is gone',
    );
  if (withdrawAddress && announce === 'always')
    issues.add(
      [...path, 'withdraw_address_when_down'],
      'has no effect with announce = "always": the service is never down',
    );

  const fleetGuard = buildFleetGuard(service.fleet_guard, [...path, 'fleet_guard'], issues, {
    hasDirectors: options.hasDirectors === true,
    announce,
  });

  if (issues.count > before) return undefined;
  const config: ServiceConfig = {
    name,
    prefixes: prefixes.prefixes,
    announce,
    checks,
    rise: service.rise ?? SERVICE_DEFAULTS.rise,
    fall: service.fall ?? SERVICE_DEFAULTS.fall,
    holdDown: service.hold_down ?? SERVICE_DEFAULTS.holdDown,
    policy,
    down,
    ...(up === undefined ? {} : { up }),
    ...(service.on_change === undefined ? {} : { onChange: service.on_change }),
    onChangeTimeout: service.on_change_timeout ?? SERVICE_DEFAULTS.onChangeTimeout,
    addresses: service.addresses ?? [],
    device: service.device ?? 'lo',
    addressManagement: service.address_management ?? 'auto',
    withdrawAddressWhenDown: withdrawAddress,
    ...(fleetGuard === undefined ? {} : { fleetGuard }),
    ...(isAnycastdForm(raw) ? { anycastdForm: true as const } : {}),
  };
  return { config, prefixPaths: prefixes.paths };
}

/**
 * Service addresses that parse but make no sense to bind for anycast: loopback
 * (127.0.0.0/8, ::1), IPv4 link-local, the broadcast address, 0.0.0.0/8. The address
 * area refuses unspecified, multicast and IPv6 link-local itself; an address that
 * does not parse is its message too, so only well-formed ones are looked at here.
 */
function checkAddresses(addresses: readonly string[], path: KeyPath, issues: IssueList): void {
  addresses.forEach((text, i) => {
    let ip: string;
    try {
      ip = parseInterfaceAddress(text).ip;
    } catch {
      return;
    }
    const special = specialPrefix(ip);
    if (special !== undefined)
      issues.add([...path, i], `${special.reason}: not an address to serve anycast traffic on`);
  });
}

/** How many check items are written, valid or not (for the quorum bound). */
function countChecks(raw: unknown): number {
  if (!isTable(raw)) return 0;
  return Object.values(raw).reduce<number>(
    (n, items) => n + (Array.isArray(items) ? items.length : 0),
    0,
  );
}

function hasIssuesUnder(issues: IssueList, path: KeyPath, since: number): boolean {
  const prefix = formatPath(path);
  return issues.items
    .slice(since)
    .some(
      (i) =>
        i.path === prefix || i.path.startsWith(`${prefix}.`) || i.path.startsWith(`${prefix}[`),
    );
}
