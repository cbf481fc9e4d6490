/** The last transitions of every service, newest last, for GET /v1/transitions and the dashboard. */
import type { Transition } from '../health/index.js';

export const TRANSITION_LOG_SIZE = 100;

export class TransitionLog {
  private readonly entries: Transition[] = [];

  constructor(private readonly size = TRANSITION_LOG_SIZE) {}

  /** Fed by the Daemon's onTransition hook. */
  record(transition: Transition): void {
    this.entries.push({
      service: transition.service,
      from: transition.from,
      to: transition.to,
      reason: transition.reason,
      at: transition.at,
    });
    if (this.entries.length > this.size) this.entries.splice(0, this.entries.length - this.size);
  }

  /** Oldest first. */
  list(): readonly Transition[] {
    return [...this.entries];
  }
}
