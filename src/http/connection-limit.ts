/**
 * How many connections a server may hold open, so clients can never take the file
 * descriptors that checks, BGP sessions and logs need: the cap comes from the
 * process's open-file soft limit (RLIMIT_NOFILE) minus a reserve. Issue 12: 21,000
 * idle connections to the API once used up every descriptor, exec checks failed with
 * EMFILE and a healthy route was withdrawn.
 */
import { readFileSync } from 'node:fs';

/** Descriptors never handed to connections (or half the limit, when that is smaller). */
export const DESCRIPTOR_RESERVE = 1024;

export interface ConnectionCapOptions {
  /** The open-file soft limit; default this process's (read once from /proc/self/limits). */
  readonly softLimit?: number | undefined;
  /** Descriptors kept back; default DESCRIPTOR_RESERVE, at most half the limit. */
  readonly reserve?: number;
  /** Listeners sharing the budget (the API's TCP port and unix socket): each gets a share. */
  readonly listeners?: number;
}

/**
 * The per-listener cap: `requested`, but no more than the listener's share of the
 * descriptors above the reserve; at least 1, so the API still answers one client.
 */
export function connectionCap(requested: number, options: ConnectionCapOptions = {}): number {
  const soft = 'softLimit' in options ? options.softLimit : openFileLimit();
  if (soft === undefined) return Math.max(1, requested);
  const reserve = Math.min(options.reserve ?? DESCRIPTOR_RESERVE, Math.floor(soft / 2));
  const share = Math.floor((soft - reserve) / Math.max(1, options.listeners ?? 1));
  return Math.max(1, Math.min(requested, share));
}

let cached: { value: number | undefined } | undefined;

/** This process's open-file soft limit; undefined where /proc is not there or says "unlimited". */
export function openFileLimit(): number | undefined {
  if (cached === undefined) {
    let text = '';
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      // Not Linux, or no /proc: no cap from the limit, only the requested one.
    }
    cached = { value: parseOpenFileLimit(text) };
  }
  return cached.value;
}

/** The soft limit from the text of /proc/<pid>/limits ("Max open files  1024  524288  files"). */
export function parseOpenFileLimit(text: string): number | undefined {
  const match = /^Max open files\s+(\S+)\s+\S+/m.exec(text);
  if (match === null) return undefined;
  const soft = Number(match[1]);
  return Number.isSafeInteger(soft) && soft > 0 ? soft : undefined;
}
