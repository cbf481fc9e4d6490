/** A service's health settings: how its checks combine, and what it does when down. */
import type { AnnounceAttributes } from '../bgp/index.js';

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
