/**
 * The daemon's configuration after validation: what the rest of the program
 * consumes. Parsing and validation (TOML + zod) live beside this file.
 */
import type { RoutingDaemonConfig } from '../announcers/index.js';
import type { BgpConfig } from '../bgp/index.js';
import type { CheckConfig } from '../checks/index.js';
import type { NodeDirectorsConfig } from '../director/index.js';
import type {
  DownAction,
  FleetGuardSettings,
  Policy,
  PrefixConfig,
  UpAttributes,
} from '../health/index.js';

// The areas' own settings, re-exported so the loader's callers find every type here.
export type {
  BgpConfig,
  CheckConfig,
  DownAction,
  FleetGuardSettings,
  NodeDirectorsConfig,
  Policy,
  PrefixConfig,
  UpAttributes,
};

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
  /** Attributes of its routes while up (`up = { … }`), merged with each peer's; absent = none. */
  readonly up?: UpAttributes;
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
  /** Withdraw on a judgement of the checks only with the directors' permit (docs/fleet-guard.md). */
  readonly fleetGuard?: FleetGuardSettings;
  /**
   * Written as anycastd writes a service (only `prefixes.<daemon>` and `checks`), so rise, fall and
   * hold-down are anycast-guard's defaults: check-config says so.
   */
  readonly anycastdForm?: true;
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
  /** [daemon]: the node process. */
  readonly daemon: DaemonSettings;
}

/** [daemon] (docs/configuration.md). */
export interface DaemonSettings {
  /**
   * Seconds a SIGTERM spends draining every announced service gracefully (RFC 8326)
   * before withdrawing; 0 (default) withdraws at once.
   */
  readonly stopGrace: number;
}
