/**
 * The director's view of the fleet: the newest ad of every origin, with where it
 * came from. Pure: time is a parameter. Bounded: at most `maxAds` origins; a new
 * origin beyond that is refused (known ones still update), and expired ads go at
 * every sweep.
 *
 * Replay: besides the ads, a record per origin of the newest ad it has seen (start
 * time, instance, generation), kept after the ad itself expires, for twice the
 * longest lifetime that origin signed plus the skew allowance. An ad not newer than
 * the record is stale, so neither an older ad nor the last ad of a dead node comes
 * back while its signature could still pass the signed-expiry check (expiry.ts).
 * A node's farewell ad (every service down, sent at stop) is the record that keeps
 * its last "up" ad from returning.
 */
import type { Ad, Envelope, SeenBy } from './ad.js';
import { MAX_SEEN_BY, originKey } from './ad.js';
import { SIGNED_SKEW_ALLOWANCE_MS } from './expiry.js';
import { compareAds, type AdOrderKey } from './order.js';

/** The newest ad seen from one origin, kept past its expiry (replay protection). */
export interface OriginRecord {
  readonly newest: AdOrderKey;
  /** The longest signed lifetime this origin has used, ms. */
  readonly longestMs: number;
  /** Local epoch ms after which the record may go (when no ad of the origin is stored). */
  readonly keepUntil: number;
}

export interface StoredAd {
  readonly key: string;
  readonly ad: Ad;
  readonly sig: string;
  /** The path the stored copy took: the directors it passed through, in order. */
  readonly seenBy: readonly SeenBy[];
  /** The directors the origin delivers it to itself (envelope `to`). */
  readonly to?: readonly string[];
  /** Who handed it to us: a director's name, or "origin" when the origin sent it itself. */
  readonly from: string;
  readonly receivedAt: number;
  /** Local epoch ms (expiry.ts). */
  readonly expiresAt: number;
  /** Directors known to hold this very ad: every seen-by entry of every copy received. */
  readonly knownBy: Set<string>;
  /**
   * The links this very ad arrived on, for the "never twice on a link" count: the
   * sending process (director name and instance), so a restarted sender is a new link.
   */
  readonly arrivedFrom: Set<string>;
}

export type OfferOutcome =
  | { readonly outcome: 'stored'; readonly entry: StoredAd; readonly previous?: StoredAd }
  /** The same ad again (from another path): nothing changes but who is known to hold it. */
  | { readonly outcome: 'duplicate'; readonly entry: StoredAd; readonly repeatOnLink: boolean }
  /** Older than the stored one, or not newer than the newest ever seen from its origin. */
  | { readonly outcome: 'stale'; readonly entry?: StoredAd }
  | { readonly outcome: 'full' };

/** The sender of an envelope: the last director on its path, or the origin itself. */
export function senderOf(envelope: Pick<Envelope, 'seenBy'>): string {
  return envelope.seenBy[envelope.seenBy.length - 1]?.name ?? 'origin';
}

/** The sending process: "name/instance" of the last director on the path, or "origin". */
export function linkOf(envelope: Pick<Envelope, 'seenBy'>): string {
  const last = envelope.seenBy[envelope.seenBy.length - 1];
  return last === undefined ? 'origin' : `${last.name}/${last.instance}`;
}

export class AdStore {
  private readonly ads = new Map<string, StoredAd>();
  private readonly records = new Map<string, OriginRecord>();

  constructor(
    readonly maxAds: number,
    /** The clock-skew allowance the signed times are checked with (expiry.ts). */
    readonly skewAllowanceMs = SIGNED_SKEW_ALLOWANCE_MS,
  ) {}

  get size(): number {
    return this.ads.size;
  }

  get(key: string): StoredAd | undefined {
    return this.ads.get(key);
  }

  all(): IterableIterator<StoredAd> {
    return this.ads.values();
  }

  /** The replay record of an origin ("kind:origin"). */
  record(key: string): OriginRecord | undefined {
    return this.records.get(key);
  }

  /** Origins with a record (at least every stored origin). */
  get recordCount(): number {
    return this.records.size;
  }

  /**
   * Offers an envelope whose signature has been checked; `expiresAt` is its local
   * expiry; `from` who handed it over (default: its sender), `link` the channel it
   * came on (default: the sending process).
   */
  offer(
    envelope: Envelope,
    expiresAt: number,
    now: number,
    from: string = senderOf(envelope),
    link: string = linkOf(envelope),
  ): OfferOutcome {
    const key = originKey(envelope.ad);
    const stored = this.ads.get(key);
    const record = this.records.get(key);
    if (stored === undefined && record !== undefined && compareAds(envelope.ad, record.newest) <= 0)
      return { outcome: 'stale' };
    if (stored !== undefined) {
      const order = compareAds(envelope.ad, stored.ad);
      if (order < 0) return { outcome: 'stale', entry: stored };
      if (order === 0) {
        // Bounded: seen-by is unsigned, and a replayed ad may carry any names.
        for (const s of envelope.seenBy)
          if (stored.knownBy.size < MAX_SEEN_BY) stored.knownBy.add(s.name);
        const repeatOnLink = stored.arrivedFrom.has(link);
        if (stored.arrivedFrom.size < MAX_SEEN_BY) stored.arrivedFrom.add(link);
        return { outcome: 'duplicate', entry: stored, repeatOnLink };
      }
    } else if (record === undefined && this.records.size >= this.maxAds) return { outcome: 'full' };
    const entry: StoredAd = {
      key,
      ad: envelope.ad,
      sig: envelope.sig,
      seenBy: envelope.seenBy,
      ...(envelope.to === undefined ? {} : { to: envelope.to }),
      from,
      receivedAt: now,
      expiresAt,
      knownBy: new Set([...envelope.seenBy.map((s) => s.name), ...(envelope.to ?? [])]),
      arrivedFrom: new Set([link]),
    };
    this.ads.set(key, entry);
    const { startTime, instance, generation } = envelope.ad;
    const longestMs = Math.max(record?.longestMs ?? 0, envelope.ad.expires - envelope.ad.issuedAt);
    this.records.set(key, {
      newest: { startTime, instance, generation },
      longestMs,
      keepUntil: Math.max(record?.keepUntil ?? 0, now + 2 * longestMs + SIGNED_SKEW_ALLOWANCE_MS),
    });
    return stored === undefined
      ? { outcome: 'stored', entry }
      : { outcome: 'stored', entry, previous: stored };
  }

  /** Removes and returns every ad expired at `now`; drops the records that have served their time. */
  expire(now: number): StoredAd[] {
    const gone: StoredAd[] = [];
    for (const [key, entry] of this.ads)
      if (entry.expiresAt <= now) {
        this.ads.delete(key);
        gone.push(entry);
      }
    for (const [key, record] of this.records)
      if (record.keepUntil <= now && !this.ads.has(key)) this.records.delete(key);
    return gone;
  }

  /** The earliest local expiry, for the sweep timer. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const entry of this.ads.values())
      if (next === undefined || entry.expiresAt < next) next = entry.expiresAt;
    return next;
  }
}
