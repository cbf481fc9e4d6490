/**
 * Reads the BGP part of FRRouting's running configuration, as `vtysh -d bgpd -c 'show
 * running-config'` prints it (FRR 8.4; the format of bgpd's `bgp_config_write()`):
 *
 *   router bgp 65001                      ← an instance: the default VRF
 *    no bgp network import-check
 *    address-family ipv4 unicast
 *     network 203.0.113.53/32
 *     network 198.51.100.0/24 route-map X ← an option after the prefix is still that prefix
 *    exit-address-family
 *   exit
 *   router bgp 65001 vrf blue             ← an instance per VRF, each with its own ASN
 *
 * Top-level statements start at column 0; everything indented belongs to the block above.
 * Only `network` statements of the ipv4/ipv6 unicast address families are read (the ones
 * this announcer writes). Known gaps: `view` instances are skipped (they never announce);
 * FRR before 7.4 defaulted import-check off, and the default is taken to be on (8.4).
 */
import { formatPrefix, parsePrefix } from '../../bgp/index.js';

export type FrrFamily = 'ipv4' | 'ipv6';

/** The name the default VRF goes by in FRR (`show bgp vrf default`). */
export const DEFAULT_VRF = 'default';

export interface BgpInstance {
  readonly asn: number;
  /** DEFAULT_VRF for `router bgp ASN` without a VRF. */
  readonly vrf: string;
  /** `bgp network import-check` in effect (on unless `no bgp network import-check` is shown). */
  readonly importCheck: boolean;
  /** Canonical prefixes of the `network` statements, per unicast address family. */
  readonly networks: Readonly<Record<FrrFamily, ReadonlySet<string>>>;
}

export interface BgpRunningConfig {
  /** By VRF name (DEFAULT_VRF for the default instance). */
  readonly instances: ReadonlyMap<string, BgpInstance>;
}

/** The marker vtysh prints before a configuration. */
const CONFIG_START = /^Current configuration:\s*$/m;
const ROUTER_BGP = /^router bgp (\d+)(?: (vrf|view) (\S+))?\s*$/;
const ADDRESS_FAMILY = /^\s+address-family (\S+)(?: (\S+))?\s*$/;
const NETWORK = /^\s+network (\S+)(?:\s|$)/;

/** True when the text contains a configuration vtysh printed (its `Current configuration:` line). */
export function hasRunningConfig(text: string): boolean {
  return CONFIG_START.test(text);
}

/**
 * Parses the BGP instances out of `show running-config` text. Throws when the text has no
 * `Current configuration:` marker (it is then not a configuration at all).
 */
export function parseRunningConfig(text: string): BgpRunningConfig {
  const start = CONFIG_START.exec(text);
  if (start === null) throw new Error('no "Current configuration:" line in vtysh output');
  const lines = text.slice(start.index).split('\n');
  const instances = new Map<string, BgpInstance>();
  let current:
    | { asn: number; vrf: string; importCheck: boolean; networks: Record<FrrFamily, Set<string>> }
    | undefined;
  let family: FrrFamily | undefined;
  const finish = (): void => {
    // A second block for the same VRF does not happen in FRR's output; keep the first.
    if (current !== undefined && !instances.has(current.vrf)) instances.set(current.vrf, current);
    current = undefined;
    family = undefined;
  };
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (!/^\s/.test(line)) {
      // A top-level statement ends the block above.
      finish();
      const router = ROUTER_BGP.exec(line);
      if (router !== null && router[2] !== 'view') {
        current = {
          asn: Number(router[1]),
          vrf: router[3] ?? DEFAULT_VRF,
          importCheck: true,
          networks: { ipv4: new Set(), ipv6: new Set() },
        };
      }
      continue;
    }
    if (current === undefined) continue;
    const trimmed = line.trim();
    if (trimmed === 'no bgp network import-check') current.importCheck = false;
    else if (trimmed === 'bgp network import-check') current.importCheck = true;
    const af = ADDRESS_FAMILY.exec(line);
    if (af !== null) {
      family = (af[1] === 'ipv4' || af[1] === 'ipv6') && af[2] === 'unicast' ? af[1] : undefined;
      continue;
    }
    if (trimmed === 'exit-address-family') {
      family = undefined;
      continue;
    }
    const network = family === undefined ? null : NETWORK.exec(line);
    if (network !== null && family !== undefined) {
      const prefix = canonicalPrefix(network[1] ?? '');
      if (prefix !== undefined) current.networks[family].add(prefix);
    }
  }
  finish();
  return { instances };
}

/** FRR's text of a prefix in our canonical form, or undefined when it is not one. */
export function canonicalPrefix(text: string): string | undefined {
  try {
    return formatPrefix(parsePrefix(text));
  } catch {
    return undefined;
  }
}

/** The FRR VRF name of a route's VRF (undefined and "default" are the default instance). */
export function frrVrf(vrf: string | undefined): string {
  return vrf ?? DEFAULT_VRF;
}
