/**
 * Small helpers shared by the check types: timing, bounded buffers, reasons.
 */
import { performance } from 'node:perf_hooks';
import type { CheckResult } from './types.js';

/** A monotonic stopwatch in milliseconds. */
export type Now = () => number;
export const monotonicNow: Now = () => performance.now();

/** Milliseconds since `start`, rounded to 0.1 ms. */
export function elapsedMs(start: number, now: Now = monotonicNow): number {
  return Math.round((now() - start) * 10) / 10;
}

/** "3 ms", "250 ms", "1.5 s". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${formatNumber(ms / 1000)} s`;
}

/** At most three decimals, no trailing zeros: 1 → "1", 0.25 → "0.25". */
export function formatNumber(value: number, decimals = 3): string {
  return String(Number(value.toFixed(decimals)));
}

export function pass(reason: string, durationMs: number): CheckResult {
  return { ok: true, reason, durationMs };
}

/** A failure; `cause` (what was thrown) marks it the daemon's fault when it is one. */
export function fail(
  reason: string,
  durationMs: number,
  cause?: unknown,
  codes: ReadonlySet<string> = DAEMON_FAULT_CODES,
): CheckResult {
  return isDaemonFault(cause, codes)
    ? { ok: false, reason, durationMs, fault: 'daemon' }
    : { ok: false, reason, durationMs };
}

/**
 * Errors that say the daemon is short of a resource of its own, not that the service
 * is ill: out of descriptors (EMFILE, ENFILE) or memory (ENOMEM). Looks through
 * `cause` too (fetch wraps the socket's error).
 */
export const DAEMON_FAULT_CODES: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);
/**
 * At spawn EAGAIN is the daemon's too (no process slot: RLIMIT_NPROC, pid_max); on a
 * socket it can be the service's (a unix socket's full backlog), so only here.
 */
export const SPAWN_FAULT_CODES: ReadonlySet<string> = new Set([...DAEMON_FAULT_CODES, 'EAGAIN']);

export function isDaemonFault(
  error: unknown,
  codes: ReadonlySet<string> = DAEMON_FAULT_CODES,
): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && codes.has(code)) return true;
    e = e.cause;
  }
  return false;
}

/** Keeps the last `limit` bytes written to it. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > this.limit * 2) this.compact();
  }

  /** The kept bytes as trimmed UTF-8 text, prefixed with "…" when older output was dropped. */
  text(): string {
    this.compact();
    let bytes = Buffer.concat(this.chunks);
    // Do not start inside a multi-byte UTF-8 sequence.
    let start = 0;
    while (start < bytes.length && start < 4 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
    bytes = bytes.subarray(start);
    const text = bytes.toString('utf8').trim();
    return this.dropped && text !== '' ? `…${text}` : text;
  }

  private compact(): void {
    if (this.size <= this.limit) return;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all.subarray(all.length - this.limit)];
    this.size = this.limit;
    this.dropped = true;
  }
}

/** Keeps the first `limit` bytes written to it. */
export class HeadBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  /** Returns false once the limit is reached. */
  push(chunk: Buffer): boolean {
    const room = this.limit - this.size;
    if (chunk.length > room) {
      this.truncated = true;
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.size = this.limit;
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  get length(): number {
    return this.size;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Text quoted for a reason, shortened to `max` characters, control characters escaped. */
export function quote(text: string, max = 80): string {
  const short = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(short);
}

/** Resolves when `signal` aborts; the returned function detaches the listener. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback();
    return () => undefined;
  }
  signal.addEventListener('abort', callback, { once: true });
  return () => signal.removeEventListener('abort', callback);
}

// One joinHostPort for the tree (util/host-port.ts); the checks import it from here.
export { joinHostPort } from '../util/index.js';
