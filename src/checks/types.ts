/**
 * What a health check is to the rest of the daemon: something that, run with an
 * abort signal, says pass or fail with a reason and how long it took.
 */
import type { z } from 'zod';

export interface CheckResult {
  readonly ok: boolean;
  /** Human-readable: why it failed, or a short note of what passed ("HTTP 200 in 3 ms"). */
  readonly reason: string;
  readonly durationMs: number;
  /**
   * Set on a failure that says nothing of the service: 'daemon' when the daemon itself
   * ran out of a resource (EMFILE, ENFILE, ENOMEM, EAGAIN creating a process or socket).
   * Health holds the check's state for a while instead of counting it (docs/operations.md).
   */
  readonly fault?: CheckFault;
  /**
   * An event proved the service gone (the held connection was refused once it
   * dropped, the watched process exited) and the check says `fail_fast`: health
   * counts the check down at once instead of after `fall` failures. Polled failures
   * never set it.
   */
  readonly failFast?: boolean;
  /** What made this run happen; the scheduler stamps it (status, metrics). */
  readonly trigger?: CheckTrigger;
}

export type CheckFault = 'daemon';

/**
 * Why a check ran: `interval` its schedule; `watch` an event its watch reported (the
 * held connection dropped, the process exited, the file's directory changed).
 */
export type CheckTrigger = 'interval' | 'watch';
export const checkTriggers: readonly CheckTrigger[] = ['interval', 'watch'];

/** Keys every check accepts, whatever its type. Seconds; fractions allowed. */
export interface CheckCommon {
  /** Unique within its service; defaults to a name derived from the check's target. */
  readonly name: string;
  readonly interval: number;
  /** May be longer than the interval: runs never overlap (the scheduler owes the next). */
  readonly timeout: number;
  /** Seconds between runs while the check is counting towards rise or fall (ExaBGP's --fast-interval). */
  readonly intervalWhileChanging?: number;
  /** Per-check overrides of the service's rise/fall. */
  readonly rise?: number;
  readonly fall?: number;
}

export interface HealthCheck extends CheckCommon {
  readonly type: string;
  /**
   * One probe. Must stop work promptly when `signal` aborts (the runner aborts it at
   * the timeout and reports a failure whatever this promise does afterwards).
   * Never rejects for an ordinary failure: returns { ok: false, reason }.
   */
  run(signal: AbortSignal): Promise<CheckResult>;
  /** Releases anything held between runs (sockets, agents). */
  close?(): void;
  /**
   * Event-driven checks: the scheduler calls it once when it starts scheduling the
   * check and calls the returned function when it stops. The check calls `wake` when
   * something happened that deserves a run now (the interval stays as the fallback).
   */
  watch?(wake: () => void): () => void;
}

export interface CheckContext {
  readonly service: string;
}

/** One kind of check: its config schema (the type-specific keys) and a factory. */
export interface CheckType<Spec> {
  readonly type: string;
  /** zod schema of the type-specific keys of one item of `checks.<type>`; strict (unknown keys rejected). */
  readonly schema: z.ZodType<Spec>;
  /** Only for types whose items may be a bare string (cabourotte: the check's name). */
  readonly fromString?: (text: string) => unknown;
  /** Name used when the item sets none, e.g. "http https://127.0.0.1:8080/health". */
  readonly defaultName: (spec: Spec) => string;
  readonly create: (spec: Spec, common: CheckCommon, context: CheckContext) => HealthCheck;
}

/** One configured check: the common keys, its type, and that type's own keys. */
export interface CheckConfig extends CheckCommon {
  readonly type: string;
  /** The type-specific keys, already validated by that type's schema. */
  readonly spec: unknown;
}

/**
 * Whether this check failing proves the service's own process gone (a fact), rather than
 * judging it sick: a `process` or `systemd` check, or a tcp/http check holding its
 * connection (`watch = true`). The fleet guard never holds back a fact (docs/fleet-guard.md).
 */
export function provesServiceGone(check: Pick<CheckConfig, 'type' | 'spec'>): boolean {
  switch (check.type) {
    case 'process':
    case 'systemd':
      return true;
    case 'tcp':
    case 'http':
      return (
        typeof check.spec === 'object' &&
        check.spec !== null &&
        (check.spec as { readonly watch?: unknown }).watch === true
      );
    default:
      return false;
  }
}
