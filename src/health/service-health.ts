/**
 * Whether a service is up, as a pure state machine: check results and the time
 * go in, transitions come out. No timers inside; `nextWake()` says when the
 * caller should call `tick()` (the end of a hold-down).
 *
 * - A check is up after `rise` consecutive passes and down after `fall`
 *   consecutive failures (at once on a `failFast` failure: an event proved the
 *   service gone); it starts down, so nothing is announced until proven.
 * - A service is up when its policy over the checks holds (all / any / quorum).
 * - After a service has been down, it must stay healthy for `holdDown` seconds
 *   before it counts as up again ("held-down" meanwhile). The first time up, at
 *   start, there is no hold-down: a fresh node should join quickly.
 * - A drained service is down whatever its checks say. A graceful drain (RFC 8326)
 *   first holds it `draining` until a deadline: still announced, less preferred, as long
 *   as it would be announced without the drain; at the deadline it is `drained`.
 * - A failure that is the daemon's fault (`fault: 'daemon'`: it ran out of descriptors
 *   or memory, so the probe never reached the service) holds the check as it was for
 *   up to `daemonFaultGraceMs` from the first such failure in a row; after that each
 *   one counts as an ordinary failure, because a daemon that cannot check cannot tell
 *   the service is healthy (DESIGN.md: where it cannot tell, it withdraws).
 * - With a fleet guard (docs/fleet-guard.md), a failure the checks judge while the
 *   service is announcing does not take it down by itself: it stays `up` and wants a
 *   withdrawal permit (`permitWanted()`) until the directors' decision comes
 *   (`setWithdrawal`): withdraw → `down`, hold → `guarded` (still announced, degraded).
 *   A fact (a check that proves the service's process gone failed, not by the daemon's
 *   fault) and a drain bypass it; `guarded` → `up` at once when the checks recover.
 * - A reload that changes a service continues from its old health (`continueFrom`):
 *   unchanged checks keep their counts; a changed one keeps its verdict and counts
 *   afresh; a new one is innocent until proven guilty (up while the service was
 *   announcing), so a harmless config rollout never withdraws a healthy fleet at once
 *   (#18).
 */
import { isDeepStrictEqual } from 'node:util';
import type { CheckResult } from '../checks/index.js';
import type { FleetCount, WithdrawalDecision } from '../director/index.js';
import type { FleetGuardSettings, Policy } from './settings.js';

export type ServiceState = 'up' | 'guarded' | 'down' | 'held-down' | 'draining' | 'drained';

/** Every state, in the order surfaces list them. */
export const SERVICE_STATES: readonly ServiceState[] = [
  'up',
  'guarded',
  'draining',
  'down',
  'held-down',
  'drained',
];

export interface CheckSettings {
  readonly name: string;
  readonly rise: number;
  readonly fall: number;
  /** Its failure proves the service's own process gone (checks' provesServiceGone): a fact. */
  readonly provesGone?: boolean;
  /**
   * The check's own configuration, opaque here: a reload keeps the check's health only
   * while it is deep-equal (and rise, fall and provesGone are the same).
   */
  readonly config?: unknown;
}

export interface ServiceSettings {
  readonly name: string;
  readonly checks: readonly CheckSettings[];
  readonly policy: Policy;
  /** Seconds. */
  readonly holdDown: number;
  readonly announce: 'healthy' | 'always';
  /** Announced degraded while down (`down = { … }`): a graceful drain keeps that route too. */
  readonly degradedWhenDown?: boolean;
  /** How long daemon faults in a row hold a check's state; default DAEMON_FAULT_GRACE_MS. */
  readonly daemonFaultGraceMs?: number;
  /** Withdraw on a judgement only with the directors' permit. */
  readonly fleetGuard?: FleetGuardSettings;
}

/** Why a guarded service is still announced: the directors' last decision. */
export interface GuardStatus {
  readonly reason: string;
  /** Epoch ms it became guarded. */
  readonly since: number;
  /** The fleet as the directors that answered see it; absent when none answered. */
  readonly fleet?: FleetCount;
}

/**
 * A minute: long enough to ride out a burst (connections at the API's cap are closed
 * within seconds, a memory spike passes), short enough that a daemon that stays
 * unable to check withdraws within about a minute plus `fall` intervals.
 */
export const DAEMON_FAULT_GRACE_MS = 60_000;

/** Daemon faults in a row on one check (docs/operations.md). */
export interface DaemonFaultStreak {
  readonly count: number;
  /** Epoch ms of the first in the row. */
  readonly since: number;
  /** Still within the grace: the check's state is held, not counted down. */
  readonly held: boolean;
}

export interface CheckHealth {
  readonly name: string;
  readonly up: boolean;
  readonly consecutivePasses: number;
  readonly consecutiveFailures: number;
  readonly last?: CheckResult & { readonly at: number };
  /** Present while the latest results are daemon faults. */
  readonly daemonFault?: DaemonFaultStreak;
}

export interface Transition {
  readonly service: string;
  readonly from: ServiceState;
  readonly to: ServiceState;
  readonly reason: string;
  /** Epoch ms. */
  readonly at: number;
}

export interface ServiceSnapshot {
  readonly name: string;
  readonly state: ServiceState;
  readonly since: number;
  readonly reason: string;
  readonly checks: readonly CheckHealth[];
  /** Epoch ms at which a hold-down ends, when held down. */
  readonly holdDownUntil?: number;
  /** Epoch ms at which a graceful drain withdraws, while draining. */
  readonly drainingUntil?: number;
  /** Its checks have passed once (or it is announced always): only then may it be degraded. */
  readonly everUp: boolean;
  /** While guarded: the directors' last decision. */
  readonly guard?: GuardStatus;
}

/** An operator's drain: why, and for a graceful one the epoch ms it withdraws at. */
export interface DrainOrder {
  readonly reason: string;
  readonly until?: number;
}

/** Pure per-check counting: up after `rise` passes in a row, down after `fall` failures in a row. */
export function applyResult(
  health: CheckHealth,
  result: CheckResult,
  settings: CheckSettings,
  at: number,
  daemonFaultGraceMs = DAEMON_FAULT_GRACE_MS,
): CheckHealth {
  if (!result.ok && result.fault === 'daemon') {
    const since = health.daemonFault?.since ?? at;
    const count = (health.daemonFault?.count ?? 0) + 1;
    const held = at - since < daemonFaultGraceMs;
    const streak: DaemonFaultStreak = { count, since, held };
    if (held)
      return {
        name: health.name,
        up: health.up,
        consecutivePasses: health.consecutivePasses,
        consecutiveFailures: health.consecutiveFailures,
        last: { ...result, at },
        daemonFault: streak,
      };
    return { ...countFailure(health, result, settings, at), daemonFault: streak };
  }
  if (result.ok) {
    const passes = health.consecutivePasses + 1;
    return {
      name: health.name,
      up: health.up || passes >= settings.rise,
      consecutivePasses: passes,
      consecutiveFailures: 0,
      last: { ...result, at },
    };
  }
  return countFailure(health, result, settings, at);
}

function countFailure(
  health: CheckHealth,
  result: CheckResult,
  settings: CheckSettings,
  at: number,
): CheckHealth {
  const failures = health.consecutiveFailures + 1;
  return {
    name: health.name,
    // fail_fast: an event proved the service gone, so `fall` is not waited for.
    up: health.up && failures < settings.fall && result.failFast !== true,
    consecutivePasses: 0,
    consecutiveFailures: failures,
    last: { ...result, at },
  };
}

export function policyHolds(policy: Policy, upCount: number, total: number): boolean {
  switch (policy.kind) {
    case 'all':
      return upCount === total;
    case 'any':
      return upCount > 0;
    case 'quorum':
      return upCount >= policy.count;
  }
}

export function describePolicy(policy: Policy): string {
  return policy.kind === 'quorum' ? `quorum of ${policy.count}` : policy.kind;
}

export class ServiceHealth {
  readonly settings: ServiceSettings;
  private readonly checkSettings: Map<string, CheckSettings>;
  private readonly checks = new Map<string, CheckHealth>();
  private current: ServiceState = 'down';
  private since: number;
  private reason: string;
  private drain: DrainOrder | undefined;
  private everUp = false;
  private holdDownUntil: number | undefined;
  /** The fleet guard holds a judged failure: a withdrawal permit is wanted. */
  private wanting = false;
  private guard: GuardStatus | undefined;

  constructor(settings: ServiceSettings, now: number) {
    this.settings = settings;
    this.since = now;
    this.checkSettings = new Map(settings.checks.map((c) => [c.name, c]));
    for (const check of settings.checks) {
      this.checks.set(check.name, {
        name: check.name,
        up: false,
        consecutivePasses: 0,
        consecutiveFailures: 0,
      });
    }
    this.reason =
      settings.announce === 'always' ? 'announced always' : 'starting: no check has passed yet';
    if (settings.announce === 'always') {
      this.current = 'up';
      this.everUp = true;
    }
  }

  /**
   * A changed service (a reload) continuing from the old one's health: each check whose
   * settings are unchanged keeps its health; a new or changed check starts up when the
   * old service was announcing (up, guarded, draining: it must then fail `fall` times
   * to take the service down) and down otherwise (it must rise). The service keeps its
   * state, since, reason, drain, hold-down end and guard status, then is evaluated once
   * under the new settings: the transition that causes, if any, goes through the usual
   * paths (a judgement down under a guard asks for a permit, a fact goes down).
   */
  static continueFrom(
    old: ServiceHealth,
    settings: ServiceSettings,
    now: number,
  ): { readonly health: ServiceHealth; readonly transition?: Transition } {
    const health = new ServiceHealth(settings, now);
    const announcing =
      old.current === 'up' || old.current === 'guarded' || old.current === 'draining';
    for (const check of settings.checks) {
      const before = old.checkSettings.get(check.name);
      const kept = old.checks.get(check.name);
      health.checks.set(
        check.name,
        before !== undefined && kept !== undefined && sameCheck(before, check)
          ? kept
          : {
              name: check.name,
              // A changed check keeps its verdict (a sick service stays sick, a healthy one
              // healthy) and counts afresh; a new one is innocent while the service announces.
              up: kept?.up ?? announcing,
              consecutivePasses: 0,
              consecutiveFailures: 0,
            },
      );
    }
    health.current = old.current;
    health.since = old.since;
    health.reason = old.reason;
    health.drain = old.drain;
    health.everUp = old.everUp;
    health.holdDownUntil = old.holdDownUntil;
    health.wanting = old.wanting;
    health.guard = old.guard;
    const transition = health.evaluate(now);
    return transition === undefined ? { health } : { health, transition };
  }

  get state(): ServiceState {
    return this.current;
  }

  /** A check finished. Returns the service transition it caused, if any. */
  onResult(checkName: string, result: CheckResult, now: number): Transition | undefined {
    const settings = this.checkSettings.get(checkName);
    const health = this.checks.get(checkName);
    if (settings === undefined || health === undefined) return undefined;
    this.checks.set(
      checkName,
      applyResult(health, result, settings, now, this.settings.daemonFaultGraceMs),
    );
    return this.evaluate(now);
  }

  /** One check's health now. */
  check(name: string): CheckHealth | undefined {
    return this.checks.get(name);
  }

  /** Time passed (a hold-down may have ended). */
  tick(now: number): Transition | undefined {
    return this.evaluate(now);
  }

  /**
   * Drains (or undrains) the service. `until` (epoch ms) makes it graceful: `draining`
   * until then while it would be announced, `drained` after; without it, `drained` now.
   */
  setDrained(
    drained: boolean,
    now: number,
    why = drained ? 'drained by operator' : 'undrained',
    until?: number,
  ): Transition | undefined {
    this.drain = drained ? { reason: why, ...(until === undefined ? {} : { until }) } : undefined;
    return this.evaluate(now, why);
  }

  /** The drain in force, if any (a reload that restarts the service keeps it). */
  get drainOrder(): DrainOrder | undefined {
    return this.drain;
  }

  /** Whether its checks have passed once (or it is announced always). */
  get provenOnce(): boolean {
    return this.everUp;
  }

  /**
   * The checks judge the service down while it announces, and its fleet guard holds it
   * until the directors decide: ask them (again, while guarded).
   */
  permitWanted(): boolean {
    return this.wanting;
  }

  /**
   * The directors' decision on a permit asked for while `permitWanted()`: withdraw → down
   * (hold-down etc. as without the guard), hold → guarded. Ignored when no permit is
   * wanted any more (the checks recovered, a fact or a drain took over meanwhile).
   */
  setWithdrawal(decision: WithdrawalDecision, now: number): Transition | undefined {
    if (!this.wanting) return undefined;
    const all = [...this.checks.values()];
    const failure = this.failureReason(all, all.filter((c) => c.up).length);
    const reason = `${failure}; ${decision.reason}`;
    if (decision.withdraw) {
      this.wanting = false;
      this.guard = undefined;
      return this.moveTo('down', reason, now);
    }
    this.guard = {
      reason: decision.reason,
      since: this.current === 'guarded' ? (this.guard?.since ?? now) : now,
      ...(decision.fleet === undefined ? {} : { fleet: decision.fleet }),
    };
    if (this.current === 'guarded') {
      this.reason = reason;
      return undefined;
    }
    return this.moveTo('guarded', reason, now);
  }

  /** When the caller should call `tick` next, epoch ms; undefined when nothing is pending. */
  nextWake(): number | undefined {
    if (this.current === 'held-down') return this.holdDownUntil;
    if (this.current === 'draining') return this.drain?.until;
    return undefined;
  }

  snapshot(): ServiceSnapshot {
    return {
      name: this.settings.name,
      state: this.current,
      since: this.since,
      reason: this.reason,
      checks: [...this.checks.values()],
      ...(this.current === 'held-down' && this.holdDownUntil !== undefined
        ? { holdDownUntil: this.holdDownUntil }
        : {}),
      ...(this.current === 'draining' && this.drain?.until !== undefined
        ? { drainingUntil: this.drain.until }
        : {}),
      everUp: this.everUp,
      ...(this.current === 'guarded' && this.guard !== undefined ? { guard: this.guard } : {}),
    };
  }

  private evaluate(now: number, operatorReason?: string): Transition | undefined {
    const wasWanting = this.wanting;
    const { next, reason, wanting } = this.decide(now, operatorReason);
    this.wanting = wanting === true;
    if (next !== 'guarded') this.guard = undefined;
    if (next === this.current) {
      // Keep the reason fresh while down or held by the guard (the failing check's
      // latest words), and once a held failure has passed.
      if (next === 'down' || this.wanting || wasWanting) this.reason = reason;
      return undefined;
    }
    return this.moveTo(next, reason, now);
  }

  private moveTo(next: ServiceState, reason: string, now: number): Transition {
    const transition: Transition = {
      service: this.settings.name,
      from: this.current,
      to: next,
      reason,
      at: now,
    };
    if (next === 'up') this.everUp = true;
    this.current = next;
    this.since = now;
    this.reason = reason;
    return transition;
  }

  private decide(now: number, operatorReason?: string): Decision {
    const drain = this.drain;
    if (drain === undefined) return this.decideHealth(now, operatorReason, true);
    const reason = operatorReason ?? drain.reason;
    if (drain.until === undefined || now >= drain.until) return { next: 'drained', reason };
    // Draining keeps only what would be announced anyway: never announces a sick service
    // (the operator's word: the fleet guard does not hold it).
    const underlying = this.decideHealth(now, undefined, false);
    if (underlying.next === 'up') this.everUp = true;
    const announced =
      underlying.next === 'up' || (this.settings.degradedWhenDown === true && this.everUp);
    return { next: announced ? 'draining' : 'drained', reason };
  }

  private decideHealth(now: number, operatorReason: string | undefined, guard: boolean): Decision {
    if (this.settings.announce === 'always') {
      return { next: 'up', reason: operatorReason ?? 'announced always' };
    }
    const all = [...this.checks.values()];
    const upCount = all.filter((c) => c.up).length;
    const healthy = policyHolds(this.settings.policy, upCount, all.length);
    const announcing = this.current === 'up' || this.current === 'guarded';
    if (!healthy) {
      this.holdDownUntil = undefined;
      const failure = this.failureReason(all, upCount);
      if (guard && announcing && this.settings.fleetGuard !== undefined && !this.isFact(all)) {
        // A judgement: withdrawn only with the directors' permit (setWithdrawal).
        if (this.current === 'guarded')
          return {
            next: 'guarded',
            reason: `${failure}; ${this.guard?.reason ?? 'held by the fleet guard'}`,
            wanting: true,
          };
        return {
          next: 'up',
          reason: `${failure}; asking the directors for a withdrawal permit`,
          wanting: true,
        };
      }
      return { next: 'down', reason: failure };
    }
    const passing = `${upCount}/${all.length} checks up (policy ${describePolicy(this.settings.policy)})`;
    // A guarded service never stopped announcing: back up at once, no hold-down.
    if (this.current === 'guarded') return { next: 'up', reason: passing };
    if (this.current === 'up') return { next: 'up', reason: this.wanting ? passing : this.reason };
    // Hold-down guards against a flapping service: it applies after the checks took
    // the service down, not at first start and not when an operator undrains it.
    if (
      !this.everUp ||
      this.settings.holdDown <= 0 ||
      this.current === 'drained' ||
      this.current === 'draining'
    ) {
      return { next: 'up', reason: passing };
    }
    if (this.current !== 'held-down' || this.holdDownUntil === undefined) {
      this.holdDownUntil = now + this.settings.holdDown * 1000;
    }
    if (now >= this.holdDownUntil) {
      return { next: 'up', reason: `${passing}; held down for ${this.settings.holdDown} s` };
    }
    return {
      next: 'held-down',
      reason: `${passing}; holding down for ${this.settings.holdDown} s`,
    };
  }

  /** A check that proves the service's process gone failed, and not for the daemon's want. */
  private isFact(all: readonly CheckHealth[]): boolean {
    return all.some(
      (c) =>
        !c.up &&
        this.checkSettings.get(c.name)?.provesGone === true &&
        c.last !== undefined &&
        !c.last.ok &&
        c.last.fault !== 'daemon',
    );
  }

  private failureReason(all: readonly CheckHealth[], upCount: number): string {
    const failing = all.filter((c) => !c.up);
    const details = failing.map((c) => {
      if (c.last === undefined) return `${c.name}: not run yet`;
      if (c.last.ok) {
        const rise = this.checkSettings.get(c.name)?.rise ?? 1;
        return `${c.name}: passing, ${c.consecutivePasses}/${rise} to rise`;
      }
      const fault = c.last.fault === 'daemon' ? "the daemon's fault, past its grace: " : '';
      return `${c.name}: ${fault}${c.last.reason} (${c.consecutiveFailures} failure${c.consecutiveFailures === 1 ? '' : 's'} in a row)`;
    });
    const summary = `${upCount}/${all.length} checks up (policy ${describePolicy(this.settings.policy)})`;
    return details.length > 0 ? `${summary}; ${details.join('; ')}` : summary;
  }
}

/** The same check to a reload: its health carries over. */
function sameCheck(a: CheckSettings, b: CheckSettings): boolean {
  return (
    a.rise === b.rise &&
    a.fall === b.fall &&
    (a.provesGone === true) === (b.provesGone === true) &&
    isDeepStrictEqual(a.config, b.config)
  );
}

interface Decision {
  readonly next: ServiceState;
  readonly reason: string;
  /** The fleet guard holds a judged failure: a permit is wanted. */
  readonly wanting?: boolean;
}
