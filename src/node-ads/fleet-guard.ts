/**
 * The node's fleet guard driver (docs/fleet-guard.md): when the daemon says a service's
 * guard wants a withdrawal permit, it asks every known director at once, reads the
 * replies with decideWithdrawal and gives the decision back to the daemon. While the
 * service is held (guarded) it asks again every GUARD_RECHECK_MS, so it withdraws as
 * soon as enough other nodes are back. A permit it did not use (the decision held, or
 * the service recovered) is released. At most one acquire per service is in flight.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock/index.js';
import type { PermitWant } from '../daemon/index.js';
import {
  decideWithdrawal,
  permitOutcome,
  type PermitAsker,
  type PermitOutcome,
  type PermitReply,
  type WithdrawalDecision,
} from '../director/index.js';
import type { FleetGuardSettings } from '../health/index.js';
import { errorMessage } from '../util/index.js';

/** How often a guarded service asks the directors again. */
export const GUARD_RECHECK_MS = 1000;

export type { PermitOutcome };

export interface FleetGuardOptions {
  /** The directors' client now (it is replaced when [directors] is reloaded); undefined without one. */
  readonly asker: () => PermitAsker | undefined;
  /** Gives the decision to the daemon (Daemon.setWithdrawal). */
  readonly decide: (service: string, decision: WithdrawalDecision) => void;
  readonly clock: Clock;
  readonly log: Logger;
}

interface Entry {
  wanted: boolean;
  guard: FleetGuardSettings;
  /** Bumped each time it starts wanting: an answer to an older round is not used. */
  round: number;
  inFlight: boolean;
  recheck: TimerHandle | undefined;
  /** Asked since the last withdrawal: a release may free something. */
  asked: boolean;
  /** The last round's outcome, so a repeat logs at debug. */
  last: PermitOutcome | undefined;
}

export class FleetGuard {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(private readonly options: FleetGuardOptions) {}

  /** The daemon's onPermitWanted. */
  onPermitWanted(want: PermitWant): void {
    if (this.stopped) return;
    let entry = this.entries.get(want.service);
    if (entry === undefined) {
      entry = {
        wanted: false,
        guard: want.guard,
        round: 0,
        inFlight: false,
        recheck: undefined,
        asked: false,
        last: undefined,
      };
      this.entries.set(want.service, entry);
    }
    entry.guard = want.guard;
    if (want.wanted === entry.wanted) return;
    entry.wanted = want.wanted;
    if (want.wanted) {
      entry.round += 1;
      if (!entry.inFlight) this.ask(want.service, entry);
      // In flight: its answer belongs to an older round; the round after it is asked then.
      return;
    }
    this.clearRecheck(entry);
    // Recovered (or a fact, a drain, a reload took over): the permit is not needed.
    if (!entry.inFlight) this.release(want.service, entry);
  }

  /** Services with a round of asking under way or scheduled (tests, status). */
  get active(): string[] {
    return [...this.entries]
      .filter(([, e]) => e.wanted || e.inFlight || e.recheck !== undefined)
      .map(([name]) => name);
  }

  /** No more asking; an answer in flight is dropped. Releases nothing (the farewell ad does). */
  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) this.clearRecheck(entry);
    this.entries.clear();
  }

  private ask(service: string, entry: Entry): void {
    this.clearRecheck(entry);
    const round = entry.round;
    const asker = this.options.asker();
    entry.inFlight = true;
    entry.asked = true;
    const replies: Promise<PermitReply[]> =
      asker === undefined
        ? Promise.resolve([])
        : asker
            .acquire(service, entry.guard.minimum)
            .catch((error: unknown) => [{ director: '(all)', error: errorMessage(error) }]);
    void replies.then((answers) => {
      entry.inFlight = false;
      if (this.stopped || this.entries.get(service) !== entry) return;
      const decision = decideWithdrawal(
        answers,
        asker?.knownDirectors() ?? 0,
        entry.guard.whenDirectorsUnreachable,
      );
      this.logRound(service, entry, decision);
      if (!entry.wanted || entry.round !== round) {
        // Recovered meanwhile (perhaps failing again since): this answer is stale.
        this.release(service, entry);
        if (entry.wanted) this.ask(service, entry);
        return;
      }
      if (decision.withdraw) {
        // Used: the node's next ad (the service down) frees it at the directors. Marked
        // before the daemon hears, since it says at once that no permit is wanted now.
        entry.asked = false;
        this.options.decide(service, decision);
        return;
      }
      this.options.decide(service, decision);
      // Not used: free whatever was granted, so other nodes' withdrawals count it.
      this.release(service, entry);
      if (entry.wanted)
        entry.recheck = this.options.clock.setTimeout(() => {
          entry.recheck = undefined;
          if (entry.wanted && !entry.inFlight && !this.stopped) this.ask(service, entry);
        }, GUARD_RECHECK_MS);
    });
  }

  private release(service: string, entry: Entry): void {
    if (!entry.asked) return;
    entry.asked = false;
    const asker = this.options.asker();
    void asker?.release(service).catch(() => undefined);
  }

  private clearRecheck(entry: Entry): void {
    if (entry.recheck === undefined) return;
    this.options.clock.clearTimeout(entry.recheck);
    entry.recheck = undefined;
  }

  /** One line per round: at info/warn when the outcome changes, at debug while it repeats. */
  private logRound(service: string, entry: Entry, decision: WithdrawalDecision): void {
    const fleet = decision.fleet;
    const outcome = permitOutcome(decision);
    const changed = outcome !== entry.last;
    entry.last = outcome;
    const level = !changed ? 'debug' : outcome === 'granted' ? 'info' : 'warn';
    const event =
      outcome === 'granted'
        ? 'guard.permit_granted'
        : outcome === 'refused'
          ? 'guard.permit_refused'
          : 'guard.directors_unreachable';
    this.options.log[level](
      {
        event,
        service,
        withdraw: decision.withdraw,
        reason: decision.reason,
        ...(fleet === undefined ? {} : { fleet }),
      },
      outcome === 'granted'
        ? 'the directors permit the withdrawal'
        : outcome === 'refused'
          ? 'a director refused the withdrawal permit: too few nodes would stay announcing'
          : 'too few directors answered the withdrawal permit request',
    );
  }
}
