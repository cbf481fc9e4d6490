/**
 * A director's ledger of fleet-guard withdrawal permits (docs/fleet-guard.md), pure:
 * no I/O, time is a parameter, the fleet is what the caller's ads say.
 *
 * Per service, the permits held: node → {grantedAt, expiresAt}. With A the nodes this
 * director sees announcing the service (up or guarded) plus the asker (it asks because
 * it announces) and P the permits held by other nodes, a permit is granted iff
 *
 *     |A| − P − 1 ≥ min
 *
 * so after every grant, the nodes announcing without a permit are at least `min`: a
 * node withdraws by judgement only with a permit, so at most P+1 of A go at once.
 *
 * A permit goes when the node's newer ad, issued after the acquire, shows the service
 * not announcing (the withdrawal is now in the count), when the node releases it (a
 * release issued before the acquire is stale), when its ad expires or
 * its farewell comes (observe(node, undefined) / an ad with every service down), or at
 * its hard expiry: grantedAt + the node's ad lifetime + clock_skew. By then every ad the
 * node signed before it could use the permit has expired, so no stale "up" is counted
 * once the permit no longer is.
 */
import type { PermitAnswer, PermitMinimum } from './permit.js';
import { minimumCount } from './permit.js';

/** Ad service states that announce the prefix: a guarded node still does (degraded). */
export const ANNOUNCING_STATES: ReadonlySet<string> = new Set(['up', 'guarded']);

/** One director's view of one service: who announces it, who lists it at all. */
export interface ServiceView {
  readonly announcing: ReadonlySet<string>;
  /** Nodes whose ads list the service, in any state. */
  readonly listed: ReadonlySet<string>;
}

export interface NodeServices {
  readonly origin: string;
  readonly services: readonly { readonly name: string; readonly state: string }[];
}

/** The view of `service` from the nodes' (unexpired) newest ads. */
export function serviceView(nodes: Iterable<NodeServices>, service: string): ServiceView {
  const announcing = new Set<string>();
  const listed = new Set<string>();
  for (const node of nodes)
    for (const s of node.services)
      if (s.name === service) {
        listed.add(node.origin);
        if (ANNOUNCING_STATES.has(s.state)) announcing.add(node.origin);
      }
  return { announcing, listed };
}

/** The services one ad announces (up or guarded). */
export function announcedServices(node: NodeServices): Set<string> {
  return new Set(node.services.filter((s) => ANNOUNCING_STATES.has(s.state)).map((s) => s.name));
}

export interface Permit {
  readonly node: string;
  readonly grantedAt: number;
  readonly expiresAt: number;
  /** The newest acquire's issuedAt (the node's clock) this permit answered. */
  readonly askedAt?: number;
}

/** Why a permit went (for logs). */
export type DropReason = 'released' | 'withdrawn' | 'ad gone' | 'expired';

export interface Dropped extends Permit {
  readonly service: string;
  readonly why: DropReason;
}

export class PermitLedger {
  private readonly permits = new Map<string, Map<string, Permit>>();
  /** The minimum (as asked) of the last acquire per service, for views. */
  private readonly minimums = new Map<string, PermitMinimum>();

  /**
   * May `node` withdraw `service`? `holdMs` is how long a grant is held at most (the
   * node's ad lifetime + clock_skew). Asking again while holding returns the same permit.
   * `issuedAt` is the request's (the node's clock), for release().
   */
  acquire(
    node: string,
    service: string,
    minimum: PermitMinimum,
    view: ServiceView,
    holdMs: number,
    now: number,
    issuedAt?: number,
  ): PermitAnswer {
    this.sweep(now);
    this.minimums.set(service, minimum);
    const held = this.permits.get(service);
    const announcing = view.announcing.size + (view.announcing.has(node) ? 0 : 1);
    const total = view.listed.size + (view.listed.has(node) ? 0 : 1);
    const min = minimumCount(minimum, total);
    const mine = held?.get(node);
    const others = (held?.size ?? 0) - (mine === undefined ? 0 : 1);
    const counts = { service, announcing, total, min };
    if (mine !== undefined) {
      if (issuedAt !== undefined && issuedAt > (mine.askedAt ?? -Infinity))
        held!.set(node, { ...mine, askedAt: issuedAt });
      return {
        ...counts,
        granted: true,
        outstanding: others + 1,
        reason: `${announcing} announcing, ${others + 1} permits out (this one already held), min ${min}`,
        expiresAt: mine.expiresAt,
      };
    }
    const spare = announcing - others - 1 - min;
    if (spare < 0)
      return {
        ...counts,
        granted: false,
        outstanding: others,
        reason: `${announcing} announcing, ${others} ${others === 1 ? 'permit' : 'permits'} out, min ${min}: withdrawing would leave ${announcing - others - 1}`,
      };
    const permit: Permit = {
      node,
      grantedAt: now,
      expiresAt: now + holdMs,
      ...(issuedAt === undefined ? {} : { askedAt: issuedAt }),
    };
    let map = held;
    if (map === undefined) {
      map = new Map();
      this.permits.set(service, map);
    }
    map.set(node, permit);
    return {
      ...counts,
      granted: true,
      outstanding: others + 1,
      reason: `${announcing} announcing, ${others + 1} ${others === 0 ? 'permit' : 'permits'} out with this one, min ${min}: ${spare} more may withdraw`,
      expiresAt: permit.expiresAt,
    };
  }

  /**
   * The node will not use its permit for `service`; true when it held one. A release
   * issued (node's clock) before the acquire that the permit answered last is stale and
   * ignored: requests travel in parallel, so a release that lost a race must not take
   * the permit of a newer acquire the node may be withdrawing on.
   */
  release(node: string, service: string, issuedAt?: number): boolean {
    const held = this.permits.get(service);
    const permit = held?.get(node);
    if (held === undefined || permit === undefined) return false;
    if (issuedAt !== undefined && permit.askedAt !== undefined && issuedAt < permit.askedAt)
      return false;
    held.delete(node);
    if (held.size === 0) this.permits.delete(service);
    return true;
  }

  /**
   * The node's newest ad: the services it announces, or undefined when its ad expired
   * (or it is gone). Permits for services it no longer announces go: the withdrawal is
   * in the count now. `issuedAt` is the ad's (the node's clock): an ad issued before the
   * acquire a permit answered last shows an earlier withdrawal, not the one this permit
   * may be used for, and frees nothing (a node that withdrew, came back and asks again
   * while its down ad is still on the way).
   */
  observe(
    node: string,
    announcing: ReadonlySet<string> | undefined,
    now: number,
    issuedAt?: number,
  ): Dropped[] {
    const dropped: Dropped[] = [];
    for (const [service, held] of this.permits) {
      const permit = held.get(node);
      if (permit === undefined || announcing?.has(service) === true) continue;
      if (
        announcing !== undefined &&
        issuedAt !== undefined &&
        permit.askedAt !== undefined &&
        issuedAt < permit.askedAt
      )
        continue;
      held.delete(node);
      if (held.size === 0) this.permits.delete(service);
      dropped.push({ ...permit, service, why: announcing === undefined ? 'ad gone' : 'withdrawn' });
    }
    dropped.push(...this.sweep(now));
    return dropped;
  }

  /** Drops the permits whose hard expiry has passed. */
  sweep(now: number): Dropped[] {
    const dropped: Dropped[] = [];
    for (const [service, held] of this.permits) {
      for (const [node, permit] of held)
        if (permit.expiresAt <= now) {
          held.delete(node);
          dropped.push({ ...permit, service, why: 'expired' });
        }
      if (held.size === 0) this.permits.delete(service);
    }
    return dropped;
  }

  /** The permits held for `service` at `now`, soonest to expire first. */
  holders(service: string, now: number): Permit[] {
    return [...(this.permits.get(service)?.values() ?? [])]
      .filter((p) => p.expiresAt > now)
      .sort((a, b) => a.expiresAt - b.expiresAt || a.node.localeCompare(b.node));
  }

  /** Services with permits held, or a minimum asked. */
  services(): string[] {
    return [...new Set([...this.permits.keys(), ...this.minimums.keys()])].sort();
  }

  /** The minimum the last acquire for `service` asked for. */
  minimum(service: string): PermitMinimum | undefined {
    return this.minimums.get(service);
  }

  /** Every permit held now (all services). */
  get size(): number {
    let n = 0;
    for (const held of this.permits.values()) n += held.size;
    return n;
  }
}
