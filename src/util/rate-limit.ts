/**
 * A log rate limiter per key (e.g. sender + reason): the first event of a key is
 * logged, then at most one line per key per interval, carrying how many were
 * suppressed since the last line. Pure: the caller passes the time (an injected
 * clock), and flushes the counts of quiet keys from its own timer. The number of keys
 * is bounded: past `maxKeys`, new keys share one overflow key.
 */

export interface RateLimiterOptions {
  /** At most one line per key per this many milliseconds. */
  readonly intervalMs: number;
  /** Keys tracked at once; further keys are counted under `overflowKey`. */
  readonly maxKeys?: number;
  readonly overflowKey?: string;
}

export interface Suppressed {
  readonly key: string;
  /** Events not logged since the key's last line. */
  readonly suppressed: number;
}

interface KeyState {
  lastLoggedAt: number;
  suppressed: number;
}

export class KeyedRateLimiter {
  private readonly keys = new Map<string, KeyState>();
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly overflowKey: string;
  private prunedAt = Number.NEGATIVE_INFINITY;

  constructor(options: RateLimiterOptions) {
    this.intervalMs = options.intervalMs;
    this.maxKeys = options.maxKeys ?? 1000;
    this.overflowKey = options.overflowKey ?? '*';
  }

  /**
   * One event of `key` at `now`. Returns the line to log (its key, which is the
   * overflow key when too many keys are tracked, and the count suppressed before it),
   * or undefined when this event is only counted.
   */
  hit(key: string, now: number): Suppressed | undefined {
    let used = key;
    let state = this.keys.get(key);
    if (state === undefined && this.keys.size >= this.maxKeys) {
      this.forgetQuiet(now);
      if (this.keys.size >= this.maxKeys) {
        used = this.overflowKey;
        state = this.keys.get(used);
      }
    }
    if (state === undefined) {
      this.keys.set(used, { lastLoggedAt: now, suppressed: 0 });
      return { key: used, suppressed: 0 };
    }
    if (now - state.lastLoggedAt >= this.intervalMs) {
      const suppressed = state.suppressed;
      state.lastLoggedAt = now;
      state.suppressed = 0;
      return { key: used, suppressed };
    }
    state.suppressed++;
    return undefined;
  }

  /**
   * The keys whose interval is over and that have suppressed events: their count is
   * due in a line now (it starts a new interval). Keys quiet for a whole interval are
   * forgotten. With `all`, every suppressed count is returned at once (at a stop).
   */
  flush(now: number, all = false): Suppressed[] {
    const due: Suppressed[] = [];
    for (const [key, state] of this.keys) {
      if (state.suppressed > 0 && (all || now - state.lastLoggedAt >= this.intervalMs)) {
        due.push({ key, suppressed: state.suppressed });
        state.lastLoggedAt = now;
        state.suppressed = 0;
      }
    }
    if (all) this.keys.clear();
    else this.forgetQuiet(now);
    return due;
  }

  /** Keys tracked now (for tests and bounds). */
  get size(): number {
    return this.keys.size;
  }

  private forgetQuiet(now: number): void {
    // At most once per interval: a flood of new keys must not scan the map per event.
    if (now - this.prunedAt < this.intervalMs) return;
    this.prunedAt = now;
    for (const [key, state] of this.keys)
      if (state.suppressed === 0 && now - state.lastLoggedAt >= this.intervalMs)
        this.keys.delete(key);
  }
}
