/** The JSON shape of GET /v1/status (docs/api.md), built from the Daemon's status. */
import type { PeerStatus } from '../bgp/index.js';
import type { AnnouncerKind, AnnouncerStatus } from '../announcers/index.js';
import { desiredRouteKey, type DaemonFaultStreak, type ServiceState } from '../health/index.js';
import type { AddressStatus } from '../addresses/index.js';
import type { DaemonStatus } from '../daemon/index.js';
import type { DrainRecord } from './drain-store.js';
import type { AdvertiserStatus } from '../director/index.js';
import type { CheckTrigger } from '../checks/index.js';

export interface CheckView {
  readonly name: string;
  readonly up: boolean;
  readonly last?: {
    readonly ok: boolean;
    readonly reason: string;
    readonly durationMs: number;
    /** Epoch ms. */
    readonly at: number;
    /** 'daemon': it failed for want of the daemon's own descriptors or memory. */
    readonly fault?: 'daemon';
    /** What made the run happen: 'interval', or 'watch' (an event of the check's watch). */
    readonly trigger?: CheckTrigger;
    /** An event proved the service gone and the check skipped `fall` (fail_fast). */
    readonly failFast?: true;
  };
  /** While the latest results are the daemon's fault: how many, since when, held or not. */
  readonly daemonFault?: DaemonFaultStreak;
}

export interface ServiceView {
  readonly name: string;
  readonly state: ServiceState;
  /** Epoch ms of the last state change. */
  readonly since: number;
  readonly reason: string;
  readonly holdDownUntil?: number;
  /** While draining (a graceful drain, RFC 8326): epoch ms at which its routes are withdrawn. */
  readonly drainingUntil?: number;
  /** When drained by an operator: why and since when (epoch ms); kept across restarts. */
  readonly drained?: DrainRecord;
  /**
   * While guarded (the fleet guard keeps it announced): the fleet as the directors that
   * answered see it (absent when none answered), the directors' reason, since when.
   */
  readonly guard?: GuardView;
  readonly checks: readonly CheckView[];
  readonly prefixes: readonly {
    readonly prefix: string;
    readonly announcer: AnnouncerKind;
    readonly vrf?: string;
    /** Asked of its announcer. */
    readonly announced: boolean;
    /** Its announcer is in sync: the route is where it should be (announced or withdrawn). */
    readonly synced: boolean;
    /** The embedded speaker only: to how many peers it is announced now, of how many. */
    readonly peers?: { readonly sent: number; readonly of: number };
  }[];
}

/** `services[].guard`: FleetCount's fields (when a director answered), the reason, since when. */
export interface GuardView {
  readonly announcing?: number;
  readonly total?: number;
  readonly min?: number;
  readonly answered?: number;
  readonly granted?: number;
  readonly known?: number;
  readonly reason: string;
  /** Epoch ms it became guarded. */
  readonly since: number;
}

export type PeerView = PeerStatus & { readonly prefixesSent: number };

export interface StatusView {
  readonly node: string;
  /** Epoch ms when this was produced. */
  readonly time: number;
  readonly services: readonly ServiceView[];
  readonly peers: readonly PeerView[];
  readonly addresses: readonly AddressStatus[];
  /** The embedded speaker and each routing daemon: in sync, or failing and why. */
  readonly announcers: readonly AnnouncerStatus[];
  /** With [directors]: this node's ads and each director's link (reachable, queued, failures). */
  readonly directors?: AdvertiserStatus;
  /** Under ExaBGP, while the configuration does not load: why (nothing is announced). */
  readonly configError?: string;
}

export function statusView(
  status: DaemonStatus,
  node: string,
  drained: (service: string) => DrainRecord | undefined,
  now: number,
): StatusView {
  const announced = new Set(status.routes.map(desiredRouteKey));
  const inSync = new Set(status.announcers.filter((a) => a.state === 'in-sync').map((a) => a.kind));
  return {
    node,
    time: now,
    services: status.services.map((s) => {
      const drain = s.state === 'drained' || s.state === 'draining' ? drained(s.name) : undefined;
      return {
        name: s.name,
        state: s.state,
        since: s.since,
        reason: s.reason,
        ...(s.holdDownUntil === undefined ? {} : { holdDownUntil: s.holdDownUntil }),
        ...(s.drainingUntil === undefined ? {} : { drainingUntil: s.drainingUntil }),
        ...(drain === undefined ? {} : { drained: drain }),
        ...(s.guard === undefined
          ? {}
          : { guard: { ...s.guard.fleet, reason: s.guard.reason, since: s.guard.since } }),
        checks: s.checks.map((c) => ({
          name: c.name,
          up: c.up,
          ...(c.last === undefined
            ? {}
            : {
                last: {
                  ok: c.last.ok,
                  reason: c.last.reason,
                  durationMs: c.last.durationMs,
                  at: c.last.at,
                  ...(c.last.fault === undefined ? {} : { fault: c.last.fault }),
                  ...(c.last.trigger === undefined ? {} : { trigger: c.last.trigger }),
                  ...(c.last.failFast === true ? { failFast: true as const } : {}),
                },
              }),
          ...(c.daemonFault === undefined ? {} : { daemonFault: c.daemonFault }),
        })),
        prefixes: s.prefixes.map((p) => ({
          prefix: p.prefix,
          announcer: p.announcer,
          ...(p.vrf === undefined ? {} : { vrf: p.vrf }),
          announced: announced.has(desiredRouteKey(p)),
          synced: inSync.has(p.announcer),
          ...(p.peers === undefined ? {} : { peers: p.peers }),
        })),
      };
    }),
    peers: status.peers.map((p) => ({ ...p, prefixesSent: p.prefixesAnnounced })),
    addresses: status.addresses,
    announcers: status.announcers,
  };
}
