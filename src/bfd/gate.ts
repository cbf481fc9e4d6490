/**
 * Whether a peer's BFD holds its BGP session down (RFC 5882 section 3.2), pure: the
 * session's state changes come in, the counts operators see and the hold come out.
 *
 * - A session that was Up and went Down (detection time expired, or the router said
 *   Down) holds BGP down until it is Up again.
 * - The router saying AdminDown (it turned BFD off) is not a failure of the path: no hold.
 * - A router that never answers does not hold BGP down, unless `required`: then BGP waits
 *   for BFD to be Up (the choice; RFC 5882 leaves it to the operator).
 */
import { BfdDiag } from './codec.js';
import type { BfdStateName } from './codec.js';
import type { BfdStateChange } from './session.js';

export interface GateCounts {
  readonly transitions: number;
  /** Up to Down. */
  readonly flaps: number;
  /** The last diagnostic other than none. */
  readonly lastDiag: number;
  /** Was Up, and failed since (not AdminDown from the peer). */
  readonly lost: boolean;
}

export const INITIAL_GATE: GateCounts = {
  transitions: 0,
  flaps: 0,
  lastDiag: BfdDiag.None,
  lost: false,
};

export function applyChanges(counts: GateCounts, changes: readonly BfdStateChange[]): GateCounts {
  let { transitions, flaps, lastDiag, lost } = counts;
  for (const change of changes) {
    transitions++;
    if (change.diag !== BfdDiag.None) lastDiag = change.diag;
    if (change.to === 'up') lost = false;
    if (change.from === 'up' && change.to !== 'up') {
      flaps++;
      const peerTurnedOff =
        change.diag === BfdDiag.NeighborSignaledSessionDown && change.remoteState === 'admin-down';
      if (!peerTurnedOff && change.to === 'down') lost = true;
    }
  }
  return { transitions, flaps, lastDiag, lost };
}

/** The session (`undefined`: not running, e.g. its worker died) holds BGP down. */
export function holdsBgpDown(
  counts: GateCounts,
  state: BfdStateName | undefined,
  required: boolean,
): boolean {
  const up = state === 'up';
  return required ? !up : counts.lost && !up;
}
