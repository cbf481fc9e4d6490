/** Driving an announcer under a ManualClock: its timers, and the real I/O (state file) between. */
import type { Announcer } from '../../../src/announcers/index.js';
import type { ManualClock } from '../../../src/clock/index.js';

/** Runs the manual clock's due timers and real I/O until `promise` settles. */
export async function drive<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let done = false;
  const mark = (): void => {
    done = true;
  };
  promise.then(mark, mark);
  for (let i = 0; i < 5_000 && !done; i++) {
    clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return promise;
}

/** Moves the clock by `ms`, then runs until every change so far has been tried. */
export async function settle(clock: ManualClock, announcer: Announcer, ms = 0): Promise<void> {
  clock.advance(ms);
  await drive(clock, announcer.flushed());
}
