/**
 * The daemon's configuration after validation: what the rest of the program
 * consumes. Parsing and validation (TOML + zod) live beside this file.
 */
import type { AnnouncerKind, RoutingDaemonConfig } from '../announcers/index.js';
import type { PeerOptions } from '../bgp/index.js';
import type { CheckCommon } from '../checks/types.js';
import type { NodeDirectorsConfig } from './directors.js';

export type Policy =
  | { readonly kind: 'all' }
  | { readonly kind: 'any' }
  | { readonly kind: 'quorum'; readonly count: number };

/** What a service does when it is down: withdraw (default) or keep announcing, degraded. */
export type DownAction =
  | { readonly kind: 'withdraw' }
  | {
      readonly kind: 'degrade';
      readonly med?: number;
      readonly prepend?: number;
      readonly communities?: readonly string[];
      readonly largeCommunities?: readonly string[];
    };

export interface PrefixConfig {
  /** Which announcer carries it: the embedded speaker ("bgp") or a routing daemon. */
  readonly announcer: AnnouncerKind;
  /** Canonical text, e.g. "203.0.113.53/32". */
  readonly prefix: string;
  /** FRRouting only: the VRF whose `router bgp` announces it. */
  readonly vrf?: string;
}

export interface CheckConfig extends CheckCommon {
  readonly type: string;
  /** The type-specific keys, already validated by that type's schema. */
  readonly spec: unknown;
}

export interface ServiceConfig {
  readonly name: string;
  readonly prefixes: readonly PrefixConfig[];
  /** "healthy" (default): only while up. "always": a plain unicast announcement, no checks needed. */
  readonly announce: 'healthy' | 'always';
  readonly checks: readonly CheckConfig[];
  readonly rise: number;
  readonly fall: number;
  /** Seconds a recovered service must stay up before it is announced again. */
  readonly holdDown: number;
  readonly policy: Policy;
  readonly down: DownAction;
  /** argv with {service}, {state}, {reason} placeholders; run on every transition. */
  readonly onChange?: readonly string[];
  /** Seconds the on_change hook may run before it is killed. */
  readonly onChangeTimeout: number;
  /** Addresses bound on a local device so the kernel accepts the anycast traffic. */
  readonly addresses: readonly string[];
  /** A device name, or "auto" (toward the first BGP peer). Default "lo". */
  readonly device: string;
  readonly addressManagement: 'auto' | 'on' | 'off';
  /** Remove the addresses while the service is not up. */
  readonly withdrawAddressWhenDown: boolean;
}

export interface BgpConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly holdTime?: number;
  readonly listen?: { readonly host?: string; readonly port?: number };
  readonly peers: readonly PeerOptions[];
}

/** The operator API (src/api). */
export interface ApiConfig {
  /** TCP listener, or false for none. Default 127.0.0.1:9180. */
  readonly listen: { readonly host: string; readonly port: number } | false;
  /** Unix socket path, or false for none. Default /run/anycast-guard/control.sock. */
  readonly socket: string | false;
  /** File holding the bearer token; without it the TCP listener is read-only. */
  readonly tokenFile?: string;
  /** Where state that outlives a restart (drains) is kept. */
  readonly stateDir: string;
}

export interface DaemonConfig {
  /** Where it was read from, for messages. */
  readonly source: string;
  readonly bgp?: BgpConfig;
  readonly services: readonly ServiceConfig[];
  readonly log: { readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' };
  readonly api: ApiConfig;
  /**
   * Routing daemons to drive: every kind a service's prefixes name or an
   * `[announcers.<kind>]` table configures (so it reconciles even with no prefixes left).
   */
  readonly announcers: readonly RoutingDaemonConfig[];
  /** Where this node sends its ads ([directors]); never affects announcing. */
  readonly directors?: NodeDirectorsConfig;
}
