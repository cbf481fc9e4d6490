/**
 * One shape for every long-lived part of a node (the API, the address manager, the
 * announcers, the check scheduler, the directors' advertiser): it starts, and it stops
 * with a reason. A Lifecycle (lifecycle.ts) runs an ordered list of them.
 */

export interface Part {
  /** Shown in the lifecycle's log lines (`part` field). */
  readonly name: string;
  /**
   * Brings the part up. When it throws, the part has already undone whatever it did
   * (the list stops only parts whose start resolved).
   */
  start(): Promise<void>;
  /** Takes the part down; `reason` goes where the part can carry it (a BGP Cease). */
  stop(reason: string): Promise<void>;
  /** Bound on this part's stop, when it differs from the list's. */
  readonly stopTimeoutMs?: number;
}

/** A part from plain functions; a missing start or stop does nothing. */
export function part(
  name: string,
  steps: {
    readonly start?: () => Promise<void> | void;
    readonly stop?: (reason: string) => Promise<void> | void;
    readonly stopTimeoutMs?: number;
  },
): Part {
  return {
    name,
    start: async () => {
      await steps.start?.();
    },
    stop: async (reason) => {
      await steps.stop?.(reason);
    },
    ...(steps.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: steps.stopTimeoutMs }),
  };
}
