/**
 * Outside probes (vantage checks), the pure part: what each director concludes from
 * probing a node's unicast URL, and what the directors conclude together.
 *
 * - A node that asks for it (its ad's `node.probe`: path, interval, timeout) is
 *   probed by every director at `url + path`; an answer 2xx or 3xx within the
 *   timeout is "reachable". Two failures in a row make it unreachable from that
 *   director, one success reachable again (one lost probe is no verdict).
 * - Each director lists the nodes it cannot reach in its own signed ad
 *   (`director.unreachable`), which travels to every director like any ad.
 * - A node is left out of locate answers when a strict majority of the directors
 *   alive (those with an unexpired ad, this one included) list it.
 *
 * Nothing here touches announcing: a node unreachable from outside keeps its routes
 * (withdrawing them is for a fleet-wide decision, not a director's).
 */
import type { DirectorAd, ProbeSpec } from './ad.js';

/** Failed probes in a row before a node counts as unreachable from this director. */
export const PROBE_FAILURES_TO_DOWN = 2;

export interface ProbeState {
  readonly failures: number;
  readonly lastAt: number;
  /** Set while this director cannot reach the node. */
  readonly unreachableSince?: number;
  readonly error?: string;
}

/** Whether a probe of `spec` is due at `now` (none yet, or the interval has passed). */
export function probeDue(state: ProbeState | undefined, spec: ProbeSpec, now: number): boolean {
  return state === undefined || now - state.lastAt >= spec.intervalMs;
}

/** The state after one probe; `changed` when the node's reachability from here flipped. */
export function afterProbe(
  state: ProbeState | undefined,
  result: { ok: true } | { ok: false; error: string },
  now: number,
): { state: ProbeState; changed: boolean } {
  if (result.ok)
    return { state: { failures: 0, lastAt: now }, changed: state?.unreachableSince !== undefined };
  const failures = (state?.failures ?? 0) + 1;
  const since = state?.unreachableSince ?? (failures >= PROBE_FAILURES_TO_DOWN ? now : undefined);
  return {
    state: {
      failures,
      lastAt: now,
      error: result.error.slice(0, 256),
      ...(since === undefined ? {} : { unreachableSince: since }),
    },
    changed: since !== undefined && state?.unreachableSince === undefined,
  };
}

export interface OutsideView {
  /** The directors (alive, by name) that cannot reach the node, sorted. */
  readonly unreachableFrom: readonly string[];
  /** The directors alive. */
  readonly directors: number;
  /** A strict majority cannot reach it: locate leaves it out. */
  readonly excluded: boolean;
  /** "unreachable from 2 of 3 directors" or "reachable from all 3 directors". */
  readonly summary: string;
}

/** Every node some director cannot reach, with those directors: from their ads. */
export function outsideViews(directors: readonly DirectorAd[]): Map<string, OutsideView> {
  const from = new Map<string, string[]>();
  for (const ad of directors)
    for (const u of ad.director.unreachable ?? []) {
      const list = from.get(u.node) ?? [];
      list.push(ad.origin);
      from.set(u.node, list);
    }
  const views = new Map<string, OutsideView>();
  for (const [node, names] of from) views.set(node, outsideView(names, directors.length));
  return views;
}

export function outsideView(unreachableFrom: readonly string[], directors: number): OutsideView {
  const names = [...new Set(unreachableFrom)].sort();
  return {
    unreachableFrom: names,
    directors,
    excluded: names.length * 2 > directors,
    summary:
      names.length === 0
        ? `reachable from all ${directors} directors`
        : `unreachable from ${names.length} of ${directors} directors`,
  };
}
