/**
 * One interface for everything that turns "announce / withdraw these prefixes" into
 * routes: the embedded BGP speaker, or a routing daemon the site already runs (BIRD,
 * FRRouting, GoBGP, ExaBGP). The daemon tells an announcer the routes it wants; the
 * announcer makes the routing daemon carry exactly those of the routes it owns, and
 * keeps trying (with backoff, shown in status) until it does.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock/index.js';
import type { AnnouncedRoute, AnnouncerKind, RouteRef } from '../health/index.js';

// The route target is health's (what it produces); announcers carry it.
export {
  ANNOUNCER_KINDS,
  isIpv6Route,
  routeKey,
  type AnnouncedRoute,
  type AnnouncerKind,
  type RouteRef,
} from '../health/index.js';

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
