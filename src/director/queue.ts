/**
 * A per-peer outgoing queue that keeps only the newest ad per origin (Pelican keeps
 * one pending ad per name too, but ordered only director ads). Pure and bounded:
 * beyond `max` origins the entry expiring first is dropped (it is the least useful)
 * and counted.
 */
import { compareAds } from './order.js';
import type { StoredAd } from './store.js';

export class PeerQueue {
  private readonly pending = new Map<string, StoredAd>();
  dropped = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.pending.size;
  }

  /** Queues `entry` unless a newer or equal ad of its origin is already queued. */
  offer(entry: StoredAd): void {
    const queued = this.pending.get(entry.key);
    if (queued !== undefined) {
      if (compareAds(entry.ad, queued.ad) <= 0) return;
      this.pending.delete(entry.key);
    } else if (this.pending.size >= this.max) this.dropEarliest();
    this.pending.set(entry.key, entry);
  }

  /** Takes up to `max` entries, oldest queued first. */
  take(max: number): StoredAd[] {
    const out: StoredAd[] = [];
    for (const [key, entry] of this.pending) {
      if (out.length >= max) break;
      out.push(entry);
      this.pending.delete(key);
    }
    return out;
  }

  /** Puts back entries whose send failed, unless something newer was queued meanwhile. */
  requeue(entries: readonly StoredAd[]): void {
    for (const entry of entries) this.offer(entry);
  }

  /** Drops what is no longer worth sending (expired, or known to be held by the peer). */
  prune(drop: (entry: StoredAd) => boolean): number {
    let n = 0;
    for (const [key, entry] of this.pending)
      if (drop(entry)) {
        this.pending.delete(key);
        n++;
      }
    return n;
  }

  private dropEarliest(): void {
    let earliest: StoredAd | undefined;
    for (const entry of this.pending.values())
      if (earliest === undefined || entry.expiresAt < earliest.expiresAt) earliest = entry;
    if (earliest !== undefined) {
      this.pending.delete(earliest.key);
      this.dropped++;
    }
  }
}
