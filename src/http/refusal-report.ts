/**
 * Refused connections, counted and reported at most once per interval: a flood of
 * clients at the cap must not become a flood of log lines. The first refusal is told
 * at once; the rest of a burst once at the end of each interval, with their count.
 */
export class RefusalReport {
  /** Every refusal since start (for metrics and the report). */
  total = 0;
  private pending = 0;
  private window: NodeJS.Timeout | undefined;

  constructor(
    private readonly report: (count: number, total: number) => void,
    private readonly intervalMs = 10_000,
  ) {}

  record(): void {
    this.total++;
    if (this.window !== undefined) {
      this.pending++;
      return;
    }
    this.report(1, this.total);
    this.open();
  }

  /** Drops the interval timer (the server stops). */
  stop(): void {
    if (this.window !== undefined) clearTimeout(this.window);
    this.window = undefined;
  }

  private open(): void {
    this.window = setTimeout(() => {
      this.window = undefined;
      if (this.pending === 0) return;
      const count = this.pending;
      this.pending = 0;
      this.report(count, this.total);
      this.open();
    }, this.intervalMs);
    this.window.unref();
  }
}
