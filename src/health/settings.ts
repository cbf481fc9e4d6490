/** A service's health settings: how its checks combine, and what it does when down. */

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
