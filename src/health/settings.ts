/** A service's health settings: how its checks combine, and what it does when down. */
import type { AnnounceAttributes } from '../bgp/index.js';
import type { PermitMinimum, WhenDirectorsUnreachable } from '../director/index.js';

export type { PermitMinimum, WhenDirectorsUnreachable };

export type Policy =
  | { readonly kind: 'all' }
  | { readonly kind: 'any' }
  | { readonly kind: 'quorum'; readonly count: number };

/** What a service does when it is down: withdraw (default) or keep announcing, degraded. */
export type DownAction =
  { readonly kind: 'withdraw' } | ({ readonly kind: 'degrade' } & DegradedAttributes);

/** A degraded service's attributes: a route's, less LOCAL_PREF (a peer's setting). */
export type DegradedAttributes = Omit<AnnounceAttributes, 'localPref'>;

/**
 * A service's attributes while up (`up = { … }`): merged with each peer's own,
 * communities adding up, MED, prepend and LOCAL_PREF (iBGP only) from the service.
 */
export type UpAttributes = AnnounceAttributes;

/**
 * A service's fleet guard (`fleet_guard = { … }`, docs/fleet-guard.md): a failure judged
 * by its checks withdraws only with the directors' permit, so the fleet keeps at least
 * `minimum` nodes announcing it. The minimum goes to the directors in every request.
 */
export interface FleetGuardSettings {
  readonly minimum: PermitMinimum;
  /** When no majority of the directors answers: let local health decide, or keep announcing. */
  readonly whenDirectorsUnreachable: WhenDirectorsUnreachable;
}
