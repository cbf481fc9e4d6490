/**
 * From "these routes are wanted, these are ours" and FRR's running configuration to the
 * vtysh commands that make the difference, all in one invocation (FRR user guide, "BGP":
 * `router bgp ASN [vrf NAME]`, `address-family <ipv4|ipv6> unicast`, `[no] network
 * PREFIX`):
 *
 *   vtysh [-N PATHSPACE] -d bgpd -c 'configure terminal' -c 'router bgp 65001'
 *     -c 'address-family ipv4 unicast' -c 'no network 203.0.113.9/32'
 *     -c 'network 203.0.113.53/32' -c 'exit-address-family' -c 'exit' … -c 'end'
 *     -c 'show running-config'
 *
 * Only owned routes are ever named, and only where they differ, so an operator's own
 * `network` statements are never touched. `no network` is issued only for statements the
 * configuration shows (FRR refuses one it does not have, and vtysh stops there). The
 * closing `show running-config` is printed only if every command before it worked (vtysh
 * stops at the first failure), and it is the configuration the result is verified on.
 *
 * `router bgp ASN vrf NAME` creates an instance when there is none, so a VRF without one
 * is never entered: its routes are reported instead. The ASN is the one FRR runs there.
 */
import type { AnnouncedRoute, RouteRef } from '../types.js';
import { isIpv6Route } from '../types.js';
import {
  DEFAULT_VRF,
  frrVrf,
  type BgpInstance,
  type BgpRunningConfig,
  type FrrFamily,
} from './running-config.js';

/** What vtysh must change in one instance. */
export interface InstanceChange {
  readonly asn: number;
  readonly vrf: string;
  readonly add: Readonly<Record<FrrFamily, readonly string[]>>;
  readonly remove: Readonly<Record<FrrFamily, readonly string[]>>;
}

export interface SyncPlan {
  readonly changes: readonly InstanceChange[];
  /** Wanted routes whose VRF has no `router bgp` in FRR. */
  readonly noInstance: readonly RouteRef[];
  /** Owned routes whose VRF name cannot be written in a vtysh command. */
  readonly badVrf: readonly RouteRef[];
}

/** A VRF name as Linux allows one (a network device name), so it cannot carry a command. */
export const VRF_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

export function familyOf(route: RouteRef): FrrFamily {
  return isIpv6Route(route) ? 'ipv6' : 'ipv4';
}

function present(instance: BgpInstance, route: RouteRef): boolean {
  return instance.networks[familyOf(route)].has(route.prefix);
}

/** The difference between what FRR has and what is wanted, for the owned routes only. */
export function planSync(
  config: BgpRunningConfig,
  wanted: ReadonlyMap<string, AnnouncedRoute>,
  owned: ReadonlyMap<string, RouteRef>,
): SyncPlan {
  const byVrf = new Map<
    string,
    { instance: BgpInstance; add: Record<FrrFamily, string[]>; remove: Record<FrrFamily, string[]> }
  >();
  const noInstance: RouteRef[] = [];
  const badVrf: RouteRef[] = [];
  const routes = new Map<string, RouteRef>(owned);
  for (const [key, route] of wanted) routes.set(key, route);
  const sorted = [...routes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, route] of sorted) {
    if (route.vrf !== undefined && !VRF_NAME.test(route.vrf)) {
      badVrf.push(route);
      continue;
    }
    const vrf = frrVrf(route.vrf);
    const instance = config.instances.get(vrf);
    const want = wanted.has(key);
    if (instance === undefined) {
      // Nothing of ours can be in an instance that does not exist.
      if (want) noInstance.push(route);
      continue;
    }
    const has = present(instance, route);
    if (want === has) continue;
    let change = byVrf.get(vrf);
    if (change === undefined) {
      change = { instance, add: { ipv4: [], ipv6: [] }, remove: { ipv4: [], ipv6: [] } };
      byVrf.set(vrf, change);
    }
    (want ? change.add : change.remove)[familyOf(route)].push(route.prefix);
  }
  const changes = [...byVrf.values()]
    .map(({ instance, add, remove }) => ({ asn: instance.asn, vrf: instance.vrf, add, remove }))
    .sort((a, b) =>
      a.vrf === b.vrf
        ? 0
        : a.vrf === DEFAULT_VRF
          ? -1
          : b.vrf === DEFAULT_VRF
            ? 1
            : a.vrf < b.vrf
              ? -1
              : 1,
    );
  return { changes, noInstance, badVrf };
}

export function routerLine(asn: number, vrf: string): string {
  return vrf === DEFAULT_VRF ? `router bgp ${asn}` : `router bgp ${asn} vrf ${vrf}`;
}

/**
 * The vtysh commands for a plan's changes, closed by `show running-config` (empty when
 * there is nothing to change). Withdrawals go first in each address family.
 */
export function syncCommands(changes: readonly InstanceChange[]): string[] {
  const commands: string[] = [];
  for (const change of changes) {
    const block: string[] = [];
    for (const family of ['ipv4', 'ipv6'] as const) {
      const lines = [
        ...change.remove[family].map((p) => `no network ${p}`),
        ...change.add[family].map((p) => `network ${p}`),
      ];
      if (lines.length === 0) continue;
      block.push(`address-family ${family} unicast`, ...lines, 'exit-address-family');
    }
    if (block.length > 0) commands.push(routerLine(change.asn, change.vrf), ...block, 'exit');
  }
  if (commands.length === 0) return [];
  return ['configure terminal', ...commands, 'end', 'show running-config'];
}

export interface VtyshTarget {
  readonly vtysh: string;
  /** FRR pathspace (`vtysh -N NAME`), when FRR runs in one. */
  readonly pathspace?: string;
}

/** vtysh's argv: only bgpd is talked to (`-d bgpd`), so "bgpd is down" is an answer of its own. */
export function vtyshArgv(target: VtyshTarget, commands: readonly string[]): string[] {
  return [
    target.vtysh,
    ...(target.pathspace === undefined ? [] : ['-N', target.pathspace]),
    '-d',
    'bgpd',
    ...commands.flatMap((c) => ['-c', c]),
  ];
}

/** Owned routes whose presence in `config` is not what is wanted (after applying a plan). */
export function mismatches(
  config: BgpRunningConfig,
  wanted: ReadonlyMap<string, AnnouncedRoute>,
  routes: ReadonlyMap<string, RouteRef>,
): { route: RouteRef; wanted: boolean }[] {
  const out: { route: RouteRef; wanted: boolean }[] = [];
  for (const [key, route] of routes) {
    const instance = config.instances.get(frrVrf(route.vrf));
    if (instance === undefined) continue;
    const want = wanted.has(key);
    if (present(instance, route) !== want) out.push({ route, wanted: want });
  }
  return out;
}
