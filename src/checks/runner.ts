/**
 * Runs one probe under its timeout. Always resolves a CheckResult: a check that
 * overruns is reported as timed out at its deadline (and its signal aborted)
 * whatever it does afterwards; one that throws or rejects becomes a failure
 * carrying the error message (the daemon's fault when it ran out of descriptors or
 * memory). A result's `fault` and `failFast` pass through.
 */
import { type Clock, systemClock } from '../clock/index.js';
import type { CheckFault, CheckResult, HealthCheck } from './types.js';
import { formatNumber, isDaemonFault, onAbort } from './util.js';
import { errorReason } from '../util/index.js';

function thrownFault(error: unknown): CheckFault | undefined {
  return isDaemonFault(error) ? 'daemon' : undefined;
}

/** Thrown into a check's signal (as the abort reason) at its deadline. */
export class CheckTimeoutError extends Error {
  readonly code = 'CHECK_TIMEOUT';
  readonly kind = 'check.timeout';
  constructor(seconds: number) {
    super(`timed out after ${formatNumber(seconds)} s`);
    this.name = 'CheckTimeoutError';
  }
}

/**
 * @param clock  times the deadline (and the duration of runner-made results)
 * @param signal aborts the run from outside (scheduler stop): the check's own
 *               signal is aborted and the result is { ok: false, reason: "aborted" }
 */
export function runCheck(
  check: HealthCheck,
  clock: Clock = systemClock,
  signal?: AbortSignal,
): Promise<CheckResult> {
  return new Promise<CheckResult>((resolve) => {
    const controller = new AbortController();
    const startedAt = clock.now();
    let settled = false;
    let detach = (): void => undefined;
    const finish = (
      ok: boolean,
      reason: string,
      durationMs?: number,
      fault?: CheckFault,
      failFast?: boolean,
    ): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      detach();
      const duration = durationMs ?? clock.now() - startedAt;
      resolve({
        ok,
        reason,
        durationMs: duration,
        ...(fault === undefined || ok ? {} : { fault }),
        ...(failFast === true && !ok ? { failFast } : {}),
      });
    };
    const timer = clock.setTimeout(
      () => {
        const error = new CheckTimeoutError(check.timeout);
        finish(false, error.message);
        controller.abort(error);
      },
      Math.max(0, check.timeout * 1000),
    );
    if (signal !== undefined) {
      detach = onAbort(signal, () => {
        finish(false, 'aborted');
        controller.abort(signal.reason);
      });
      if (settled) return;
    }
    let pending: Promise<CheckResult>;
    try {
      pending = check.run(controller.signal);
    } catch (error) {
      finish(false, `check threw: ${errorReason(error)}`, undefined, thrownFault(error));
      controller.abort();
      return;
    }
    pending.then(
      (result: CheckResult | undefined) => {
        if (result === undefined || result === null || typeof result.ok !== 'boolean') {
          finish(false, 'check returned no result');
        } else {
          finish(
            result.ok,
            String(result.reason),
            result.durationMs,
            result.fault,
            result.failFast,
          );
        }
      },
      (error: unknown) =>
        finish(false, `check threw: ${errorReason(error)}`, undefined, thrownFault(error)),
    );
  });
}
