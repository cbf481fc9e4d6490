/**
 * The order of ads from one origin (after Pelican's ServerBaseAd.After, with its gaps
 * closed: every ad kind is ordered, and there is no "unknown" outcome).
 *
 *   1. the later process start time wins (a restarted process replaces its old self);
 *   2. then the larger instance ID (two processes started in the same millisecond);
 *   3. then the larger generation (one process counts its ads).
 *
 * For a fixed origin this is a strict total order on (startTime, instance, generation).
 * An ad that is equal to or older than the stored one is neither stored nor forwarded.
 * Known gap: a node whose clock steps back across a restart loses until its ads expire.
 */
import type { Ad } from './ad.js';

export type AdOrderKey = Pick<Ad, 'startTime' | 'instance' | 'generation'>;

/** Negative when `a` is older than `b`, positive when newer, 0 for the same ad. */
export function compareAds(a: AdOrderKey, b: AdOrderKey): number {
  if (a.startTime !== b.startTime) return a.startTime < b.startTime ? -1 : 1;
  if (a.instance !== b.instance) return a.instance < b.instance ? -1 : 1;
  if (a.generation !== b.generation) return a.generation < b.generation ? -1 : 1;
  return 0;
}

/** Whether `incoming` replaces `stored` (a missing stored ad is replaced by anything). */
export function supersedes(incoming: AdOrderKey, stored: AdOrderKey | undefined): boolean {
  return stored === undefined || compareAds(incoming, stored) > 0;
}

/** "startTime/instance/generation": one ad's identity within its origin. */
export function orderKey(ad: AdOrderKey): string {
  return `${ad.startTime}/${ad.instance}/${ad.generation}`;
}
