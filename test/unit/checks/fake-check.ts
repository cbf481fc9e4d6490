/** A check whose runs the test settles by hand, recording each run's signal. */
import type { CheckResult, HealthCheck } from '../../../src/checks/types.js';

export interface FakeRun {
  readonly signal: AbortSignal;
  resolve(result: CheckResult): void;
  reject(error: unknown): void;
}

export class FakeCheck implements HealthCheck {
  readonly type = 'fake';
  readonly runs: FakeRun[] = [];
  readonly intervalWhileChanging?: number;

  constructor(
    readonly name: string,
    readonly interval: number,
    readonly timeout: number,
    intervalWhileChanging?: number,
  ) {
    if (intervalWhileChanging !== undefined) this.intervalWhileChanging = intervalWhileChanging;
  }

  run(signal: AbortSignal): Promise<CheckResult> {
    return new Promise<CheckResult>((resolve, reject) => {
      this.runs.push({ signal, resolve, reject });
    });
  }

  /** Settles the latest run as a pass. */
  pass(reason = 'fine'): void {
    const run = this.runs.at(-1);
    if (run === undefined) throw new Error(`${this.name} has not run`);
    run.resolve({ ok: true, reason, durationMs: 1 });
  }

  /** Settles the latest run as a failure. */
  fail(reason = 'broken'): void {
    const run = this.runs.at(-1);
    if (run === undefined) throw new Error(`${this.name} has not run`);
    run.resolve({ ok: false, reason, durationMs: 1 });
  }
}

/** Lets pending promise callbacks run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
