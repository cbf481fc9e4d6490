/**
 * The pure core: what to do with one address, given its management mode, the phase
 * of the lifecycle, whether it is on the device now, who it belongs to and whether it
 * is wanted. No I/O; the manager observes, asks, and carries the answer out.
 *
 *   bind     auto: absent → ours (added when wanted); present → someone else's, untouched,
 *                  unless an earlier run of ours recorded adding it (a crash left it): ours
 *            on:   always ours; added when wanted (the add is idempotent), removed when not
 *            off:  never touched; absent is reported
 *   update   (a service went up or down) ours: add when wanted and absent, remove when
 *            unwanted and present; anyone else's: untouched, absent reported
 *   release  ours and present: remove; everything else stays
 */
import type { AddressManagement, AddressOwner } from './types.js';

export type AddressPhase = 'bind' | 'update' | 'release';

export interface AddressFacts {
  readonly management: AddressManagement;
  readonly phase: AddressPhase;
  /** The address is on the device now. */
  readonly present: boolean;
  /** Who it belongs to, as decided at bind; undefined before bind. Bind decides afresh and ignores it. */
  readonly owner?: AddressOwner;
  /** It should be on the device now (false while withdrawn for a down service). */
  readonly wanted: boolean;
  /** An earlier run recorded adding it and never removed it (it crashed): bind takes it back. */
  readonly recorded?: boolean;
}

export type AddressAction = 'add' | 'remove' | 'none';

export interface AddressDecision {
  readonly action: AddressAction;
  readonly owner: AddressOwner;
  /** Set when the address should be there, is not, and is not ours to add. */
  readonly report?: 'absent';
}

const none = (owner: AddressOwner, absent = false): AddressDecision =>
  absent ? { action: 'none', owner, report: 'absent' } : { action: 'none', owner };

export function decideAddress(facts: AddressFacts): AddressDecision {
  const { management, phase, present, wanted } = facts;

  if (management === 'off') {
    // Never touched. Whether it is wanted does not matter: we cannot act on it.
    const owner: AddressOwner = present ? 'external' : 'none';
    return none(owner, phase !== 'release' && !present);
  }

  if (phase === 'bind') {
    if (management === 'auto' && present && facts.recorded !== true) return none('external');
    // auto and absent, or on: ours from now on.
    if (wanted) return { action: 'add', owner: 'self' };
    return present ? { action: 'remove', owner: 'self' } : none('self');
  }

  const owner = facts.owner;
  if (owner === undefined) return none('none'); // never bound: nothing is ours yet
  if (owner !== 'self') {
    if (phase === 'release') return none(owner);
    return none(owner, wanted && !present);
  }
  if (phase === 'release') return present ? { action: 'remove', owner } : none(owner);
  if (wanted && !present) return { action: 'add', owner };
  if (!wanted && present) return { action: 'remove', owner };
  return none(owner);
}
