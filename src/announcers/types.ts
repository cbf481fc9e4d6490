/**
 * One interface for everything that turns "announce / withdraw these prefixes" into
 * routes: the embedded BGP speaker, or a routing daemon the site already runs (BIRD,
 * FRRouting, GoBGP, ExaBGP). The daemon tells an announcer the routes it wants; the
 * announcer makes the routing daemon carry exactly those of the routes it owns, and
 * keeps trying (with backoff, shown in status) until it does.
 */
import type { Logger } from 'pino';
import type { AnnounceAttributes } from '../bgp/index.js';
import type { Clock } from '../clock/index.js';

export const ANNOUNCER_KINDS = ['bgp', 'bird', 'frrouting', 'gobgp', 'exabgp'] as const;
export type AnnouncerKind = (typeof ANNOUNCER_KINDS)[number];

/** Which route: a prefix (canonical text, "203.0.113.53/32"), in a VRF where the daemon has them. */
export interface RouteRef {
  readonly prefix: string;
  /** FRRouting only: the `router bgp ASN vrf NAME` it belongs under. */
  readonly vrf?: string;
}

/** A route to carry, with the attributes health wants on it (empty when healthy). */
export interface AnnouncedRoute extends RouteRef {
  readonly attributes: AnnounceAttributes;
}

/** One key per route: the VRF matters, the attributes do not. */
export function routeKey(route: RouteRef): string {
  return route.vrf === undefined ? route.prefix : `${route.prefix}%${route.vrf}`;
}

export function isIpv6Route(route: RouteRef): boolean {
  return route.prefix.includes(':');
}

/**
 * in-sync: the routing daemon carries what is wanted. pending: a change is queued or
 * being applied. failing: the last attempt failed; it is retried at `retryAt`.
 */
export type AnnouncerState = 'starting' | 'in-sync' | 'pending' | 'failing' | 'stopped';

export interface AnnouncerError {
  readonly message: string;
  /** A stable code (AnnouncerFailure.code). */
  readonly code: string;
  /** ISO 8601. */
  readonly at: string;
}

export interface AnnouncerStatus {
  readonly kind: AnnouncerKind;
  readonly state: AnnouncerState;
  /** Routes wanted now. */
  readonly wanted: number;
  /** Routes the routing daemon carries for us as far as we know (last successful sync). */
  readonly applied: number;
  /** Consecutive failed attempts. */
  readonly failures: number;
  readonly lastError?: AnnouncerError;
  /** ISO 8601 of the last successful sync. */
  readonly lastSyncAt?: string;
  /** ISO 8601 of the next retry, while failing. */
  readonly retryAt?: string;
  /** Kind-specific facts worth showing (file paths, ASN found, the daemon's last answer). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

export interface Announcer {
  readonly kind: AnnouncerKind;
  /**
   * Connect and reconcile: routes this announcer owns in the routing daemon that are not
   * wanted (a crashed run's) are withdrawn. Resolves after the first attempt; a failure
   * there is logged, shown in status and retried, never thrown, so one routing daemon
   * being down does not stop the others. Throws only for what cannot work at all.
   */
  start(): Promise<void>;
  /**
   * Every route this announcer may have put in the routing daemon because the config
   * names it (all services' prefixes for this announcer). With the routes recorded in
   * the state dir, these are the ones reconciling may remove; nothing else is touched.
   */
  setKnown(routes: readonly RouteRef[]): void;
  /** Want this route (replacing its attributes). Returns at once; changes are batched. */
  announce(route: AnnouncedRoute): void;
  /** Stop wanting this route. Returns at once; a failed withdrawal is retried until it lands. */
  withdraw(route: RouteRef): void;
  /** Check the routing daemon against what is wanted again, now (e.g. after it restarted). */
  reconcile(): void;
  /**
   * Resolves once every change asked for so far has been tried (applied, or failed and
   * queued for retry): the daemon waits on it before removing an address whose route
   * it withdrew.
   */
  flushed(): Promise<void>;
  /** Withdraw everything, bounded in time; `reason` goes where the daemon can carry it. */
  stop(reason: string): Promise<void>;
  status(): AnnouncerStatus;
}

/** What every announcer is built with. */
export interface AnnouncerContext {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Where state that outlives a restart goes (the routes put in a routing daemon). */
  readonly stateDir: string;
}
