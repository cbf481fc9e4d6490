/** The human summary `anycast-guard check-config` prints for a valid configuration. */
import { routingDaemons } from '../announcers/index.js';
import { PEER_DEFAULTS, type AnnounceAttributes, type PeerOptions } from '../bgp/index.js';
import { joinHostPort } from '../util/index.js';
import { provesServiceGone } from '../checks/index.js';
import { SERVICE_DEFAULTS } from './services.js';
import type { CheckConfig, DaemonConfig, DownAction, Policy, ServiceConfig } from './types.js';

export function describeConfig(config: DaemonConfig): string {
  const lines: string[] = [`configuration ${config.source}`, `log level ${config.log.level}`];
  const bgp = config.bgp;
  if (bgp === undefined) lines.push('bgp: none');
  else {
    const hold = bgp.holdTime ?? PEER_DEFAULTS.holdTime;
    const listen =
      bgp.listen === undefined
        ? 'outgoing connections only'
        : `listening on ${joinHostPort(bgp.listen.host ?? '::', bgp.listen.port ?? PEER_DEFAULTS.port)}`;
    lines.push(`bgp: AS ${bgp.asn}, router id ${bgp.routerId}, hold time ${hold} s, ${listen}`);
    lines.push(`  peers (${bgp.peers.length}):`);
    for (const peer of bgp.peers) lines.push(`    ${describePeer(peer, bgp.asn, hold)}`);
  }
  for (const { kind, settings } of config.announcers) {
    const definition = routingDaemons[kind];
    lines.push(
      `announcer ${kind}: ${definition.title}, ${definition.describe?.(settings) ?? 'default settings'}`,
    );
  }
  const directors = config.directors;
  if (directors !== undefined) {
    const where = [
      ...(directors.discoveryUrl === undefined ? [] : [`discovery ${directors.discoveryUrl}`]),
      ...directors.urls,
    ];
    lines.push(
      `directors: ${where.join(', ')}; as "${directors.name}" (${directors.url}), every ${directors.intervalMs / 1000} s, key ${directors.keyFile}`,
    );
  }
  lines.push(...describeStopGrace(config));
  lines.push(`services (${config.services.length}):`);
  for (const service of config.services) lines.push(...describeService(service, config));
  lines.push(...describeAnycastdForm(config.services));
  return lines.join('\n');
}

/**
 * The longest `[daemon] stop_grace` the shipped unit allows: its TimeoutStopSec=45 covers
 * this wait plus the daemon's own 10 s to withdraw and exit, with 5 s to spare.
 */
export const STOP_GRACE_UNIT_LIMIT = 30;

function describeStopGrace(config: DaemonConfig): string[] {
  const grace = config.daemon.stopGrace;
  if (grace <= 0) return [];
  const lines = [
    `stop: ${grace} s of graceful drain (GRACEFUL_SHUTDOWN 65535:0) on SIGTERM, then withdraw`,
  ];
  if (grace > STOP_GRACE_UNIT_LIMIT)
    lines.push(
      `warning: daemon.stop_grace is ${grace} s, more than the ${STOP_GRACE_UNIT_LIMIT} s the shipped systemd unit allows (TimeoutStopSec=45): systemd would kill the daemon before it withdraws; set TimeoutStopSec to at least ${Math.ceil(grace) + 15} in a drop-in (docs/operations.md)`,
    );
  const plain = new Set(
    config.services.flatMap((s) =>
      s.prefixes
        .map((p) => p.announcer)
        .filter((kind) => kind !== 'bgp' && !routingDaemons[kind].supportsAttributes),
    ),
  );
  if (plain.size > 0)
    lines.push(
      `warning: daemon.stop_grace cannot drain ${[...plain].map((k) => `prefixes.${k}`).join(' and ')} gracefully (no attributes there): those are withdrawn at once on SIGTERM`,
    );
  return lines;
}

function describePeer(peer: PeerOptions, localAsn: number, defaultHold: number): string {
  const name = peer.name === undefined ? '' : ` "${peer.name}"`;
  const port =
    peer.port === undefined || peer.port === PEER_DEFAULTS.port ? '' : ` port ${peer.port}`;
  const parts = [
    `${peer.address}${port}${name}: AS ${peer.asn} (${peer.asn === localAsn ? 'iBGP' : 'eBGP'})`,
    peer.passive === true ? 'passive' : 'connects out',
    `hold time ${peer.holdTime ?? defaultHold} s`,
    `families ${(peer.families ?? ['ipv4', 'ipv6']).join(' ')}`,
  ];
  if (peer.localAddress !== undefined) parts.push(`from ${peer.localAddress}`);
  // The password itself is never shown, only that there is one and where it comes from.
  if (peer.passwordFile !== undefined) parts.push(`TCP-MD5 (password from ${peer.passwordFile})`);
  else if (peer.password !== undefined) parts.push('TCP-MD5 (password set)');
  if (peer.ttlSecurity === true) parts.push('TTL security (GTSM)');
  if (peer.bfd !== undefined) {
    const b = peer.bfd;
    parts.push(
      `BFD rx ${b.minRx * 1000} ms tx ${b.minTx * 1000} ms x ${b.multiplier}${b.required ? ' (required)' : ''}`,
    );
  }
  const hop = peer.nextHop;
  if (hop !== undefined) {
    const hops = [
      hop.ipv4,
      hop.ipv6,
      hop.ipv6LinkLocal === undefined ? undefined : `${hop.ipv6LinkLocal} (link-local)`,
    ].filter((h) => h !== undefined);
    parts.push(`next hop ${hops.join(', ')}`);
  } else parts.push('next hop self');
  if (peer.communities !== undefined && peer.communities.length > 0)
    parts.push(`communities ${peer.communities.join(' ')}`);
  if (peer.largeCommunities !== undefined && peer.largeCommunities.length > 0)
    parts.push(`large communities ${peer.largeCommunities.join(' ')}`);
  if (peer.med !== undefined) parts.push(`med ${peer.med}`);
  if (peer.prepend !== undefined && peer.prepend > 0) parts.push(`prepend ${peer.prepend}`);
  if (peer.localPref !== undefined) parts.push(`local pref ${peer.localPref}`);
  return parts.join(', ');
}

function describeService(service: ServiceConfig, config: DaemonConfig): string[] {
  const lines = [
    `  ${service.name}: ${service.announce === 'always' ? 'always announced' : 'announced while healthy'}, policy ${describePolicy(service.policy)}, rise ${service.rise}, fall ${service.fall}, hold-down ${service.holdDown} s, when down ${describeDown(service.down)}`,
  ];
  if (service.up !== undefined)
    lines.push(`    while up: announced with ${describeAttributes(service.up)}`);
  // RFC 4271 5.1.5: LOCAL_PREF never leaves the AS, so with only eBGP peers it goes nowhere.
  const peers = config.bgp?.peers ?? [];
  if (
    service.up?.localPref !== undefined &&
    service.prefixes.some((p) => p.announcer === 'bgp') &&
    peers.length > 0 &&
    peers.every((p) => p.asn !== config.bgp?.asn)
  )
    lines.push(
      `    warning: services.${service.name}.up.local_pref reaches iBGP peers only, and every [[bgp.peers]] is eBGP: it is not sent`,
    );
  const byAnnouncer = new Map<string, string[]>();
  for (const p of service.prefixes) {
    const list = byAnnouncer.get(p.announcer) ?? [];
    list.push(p.vrf === undefined ? p.prefix : `${p.prefix} (vrf ${p.vrf})`);
    byAnnouncer.set(p.announcer, list);
  }
  for (const [announcer, list] of byAnnouncer)
    lines.push(`    prefixes (${announcer}): ${list.join(', ')}`);
  // Only possible with allow_default_route = true: say so, it draws every packet here.
  if (service.prefixes.some((p) => p.prefix.endsWith('/0')))
    lines.push('    default route announced (allow_default_route = true)');
  lines.push(`    checks (${service.checks.length}):`);
  for (const check of service.checks) lines.push(`      ${describeCheck(check)}`);
  if (service.fleetGuard !== undefined) lines.push(...describeFleetGuard(service));
  if (service.onChange !== undefined)
    lines.push(
      `    on change: ${service.onChange.map(quoteArg).join(' ')} (timeout ${service.onChangeTimeout} s)`,
    );
  return lines;
}

/** docs/fleet-guard.md: which failures wait for the directors' permit, and which do not. */
function describeFleetGuard(service: ServiceConfig): string[] {
  const guard = service.fleetGuard;
  if (guard === undefined) return [];
  const minimum =
    'announcing' in guard.minimum
      ? `${guard.minimum.announcing} node${guard.minimum.announcing === 1 ? '' : 's'}`
      : `${Math.round(guard.minimum.fraction * 10_000) / 100}% of the nodes listing it`;
  const unreachable =
    guard.whenDirectorsUnreachable === 'hold'
      ? 'keeps announcing (hold)'
      : 'local health decides (withdraw)';
  const facts = service.checks.filter(provesServiceGone).map((c) => `${c.type} "${c.name}"`);
  return [
    `    fleet guard: withdraws on its checks' judgement only with the directors' permit, keeping at least ${minimum} announcing; without a majority of directors answering, ${unreachable}`,
    facts.length === 0
      ? '    fleet guard: no check proves the process gone (process, systemd, tcp/http with watch = true): every failure waits for a permit'
      : `    fleet guard: withdraws at once when these fail (the process is gone): ${facts.join(', ')}`,
  ];
}

function describeCheck(check: CheckConfig): string {
  const counts =
    check.rise === undefined && check.fall === undefined
      ? ''
      : `, rise ${check.rise ?? 'as service'}, fall ${check.fall ?? 'as service'}`;
  const changing =
    check.intervalWhileChanging === undefined
      ? ''
      : ` (every ${check.intervalWhileChanging} s while changing)`;
  return `${check.type} "${check.name}": every ${check.interval} s${changing}, timeout ${check.timeout} s${counts}`;
}

/**
 * anycastd has no rise, fall or hold-down: it acts on every round of results. A file read
 * "as is" gets ours, so say which, and how to match anycastd.
 */
function describeAnycastdForm(services: readonly ServiceConfig[]): string[] {
  const names = services.filter((s) => s.anycastdForm === true).map((s) => s.name);
  if (names.length === 0) return [];
  const d = SERVICE_DEFAULTS;
  return [
    `anycastd's form (only prefixes.<daemon> and checks): ${names.join(', ')}; anycast-guard's defaults apply: rise ${d.rise}, fall ${d.fall}, hold-down ${d.holdDown} s, policy all, when down withdraw (anycastd acts on each round of results: rise = 1, fall = 1, hold_down = 0 does the same)`,
  ];
}

function describePolicy(policy: Policy): string {
  return policy.kind === 'quorum' ? `quorum of ${policy.count}` : policy.kind;
}

function describeDown(down: DownAction): string {
  if (down.kind === 'withdraw') return 'withdraw';
  return `keep announcing with ${describeAttributes(down)}`;
}

function describeAttributes(down: AnnounceAttributes): string {
  const parts: string[] = [];
  if (down.med !== undefined) parts.push(`med ${down.med}`);
  if (down.prepend !== undefined) parts.push(`prepend ${down.prepend}`);
  if (down.communities !== undefined) parts.push(`communities ${down.communities.join(' ')}`);
  if (down.largeCommunities !== undefined)
    parts.push(`large communities ${down.largeCommunities.join(' ')}`);
  if (down.localPref !== undefined) parts.push(`local pref ${down.localPref} (iBGP peers)`);
  return parts.join(', ');
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./{}-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
