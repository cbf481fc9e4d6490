/** Polling with a deadline: the lab never sleeps a fixed time where a condition can be checked. */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { WaitTimeout } from './errors.js';

export interface WaitOptions<T> {
  /** What is awaited, in words, for the error message ("route 203.0.113.1/32 in bird"). */
  what: string;
  /** Deadline (default 15 s). */
  timeoutMs?: number;
  /** Pause between probes (default 50 ms). */
  intervalMs?: number;
  /** Done when this returns true for the probed value; default: the value is truthy. */
  until?: (value: T) => boolean;
  /** Keep polling when the probe throws (default true); the error becomes the last value seen. */
  retryOnError?: boolean;
}

/**
 * Calls `probe` until `until(value)` holds and returns that value. On timeout throws a
 * WaitTimeout naming `what` and the last value (or error) seen.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitOptions<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 50;
  const until = options.until ?? ((value: T) => Boolean(value));
  const retryOnError = options.retryOnError ?? true;
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      last = value;
      if (until(value)) return value;
    } catch (error) {
      if (!retryOnError) throw error;
      last = error;
    }
    const left = deadline - performance.now();
    if (left <= 0) throw new WaitTimeout(options.what, timeoutMs, last);
    await delay(Math.min(intervalMs, left));
  }
}

/** Waits until a process id no longer exists (signal 0 fails with ESRCH). */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  try {
    await waitFor(() => !isAlive(pid), {
      what: `process ${pid} to exit`,
      timeoutMs,
      intervalMs: 20,
    });
    return true;
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers signal 0; treat it as gone.
  try {
    return readState(pid) !== 'Z';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function readState(pid: number): string | undefined {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // pid (comm) S ...: the state follows the last ')'.
  const close = stat.lastIndexOf(')');
  return stat.slice(close + 2, close + 3);
}
