/**
 * Exponential backoff with jitter, pure: the attempt number and a random source in,
 * a delay in milliseconds out. Jitter keeps many nodes (or links) that failed together
 * from retrying in step. Callers keep their own numbers; this is only the arithmetic.
 */

/** Uniform in [0, 1); Math.random in production, a fixed or seeded one in tests. */
export type RandomSource = () => number;

export interface JitterRange {
  /** Smallest factor applied to the delay. */
  readonly low: number;
  /** The factor is drawn from [low, low + span). */
  readonly span: number;
}

export interface BackoffPolicy {
  /** Delay after the first failure, before jitter. */
  readonly initialMs: number;
  /** Ceiling before jitter. */
  readonly maxMs: number;
  /** Growth per further failure (default 2). */
  readonly factor?: number;
  readonly jitter: JitterRange;
}

/** RFC 4271 section 10's timer jitter: 75% to 100% of the delay. */
export const RFC4271_JITTER: JitterRange = { low: 0.75, span: 0.25 };

/** The exponent stops growing here, so any attempt number gives a finite delay. */
const MAX_EXPONENT = 20;

/** The delay before retrying after `attempt` consecutive failures (1 for the first). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: RandomSource): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), MAX_EXPONENT);
  const base = Math.min(policy.maxMs, policy.initialMs * (policy.factor ?? 2) ** exponent);
  return Math.round(base * (policy.jitter.low + policy.jitter.span * random()));
}
