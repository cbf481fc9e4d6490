/**
 * One outgoing link to a director: a PeerQueue (newest ad per origin) drained by one
 * request at a time. Everything queued in the same tick, or while a request is in
 * flight, goes in the next batch. A failed request (no answer, 5xx) puts its ads
 * back and retries after an exponential backoff with jitter, forever; a 4xx answer
 * is permanent (the peer refuses the batch) and is not retried. A link to a dead
 * director delays nothing on any other link: each link has its own queue and timer.
 *
 * Time comes from the injected Clock; the request itself from a LinkTransport, so
 * tests drive links with a ManualClock and an in-memory network.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock/index.js';
import { backoffDelay } from '../util/index.js';
import type { Envelope } from './ad.js';
import { describeAd } from './ad.js';
import { requestJson, errorText, type ClientTls } from './http.js';
import { orderKey } from './order.js';
import { PeerQueue } from './queue.js';
import type { StoredAd } from './store.js';
import { errorMessage } from '../util/index.js';

/** How POST /v1/ads answers each ad. */
export interface AdResult {
  readonly origin: string;
  readonly status: 'stored' | 'duplicate' | 'stale' | 'expired' | 'full' | 'refused';
  readonly error?: string;
}

export type SendResult =
  | { readonly ok: true; readonly results: readonly AdResult[]; readonly peer?: string }
  | { readonly ok: false; readonly permanent: boolean; readonly error: string };

export interface LinkTransport {
  send(url: string, envelopes: readonly Envelope[]): Promise<SendResult>;
}

export interface LinkStatus {
  readonly url: string;
  /** The name the peer answered with. */
  readonly peer?: string;
  readonly state: 'idle' | 'sending' | 'backoff';
  readonly queued: number;
  /** Ads the peer acknowledged. */
  readonly sent: number;
  readonly batches: number;
  readonly failures: number;
  /** Ads the peer answered "refused" for, or in a batch it refused as a whole. */
  readonly refused: number;
  /** Whether the last request succeeded (there was one, and it got an answer). */
  readonly healthy: boolean;
  /** Ads sent again after the peer had acknowledged that very ad (should stay 0). */
  readonly resent: number;
  /** Ads dropped from a full queue. */
  readonly dropped: number;
  readonly lastError?: string;
  readonly retryAt?: number;
  /** Epoch ms (the link's clock) when the peer last acknowledged an ad. */
  readonly lastSentAt?: number;
}

export interface LinkOptions {
  readonly url: string;
  readonly clock: Clock;
  readonly transport: LinkTransport;
  /** The envelope to send for a queued entry (adds the sender to seen-by, stamps sentAt). */
  readonly envelope: (entry: StoredAd, now: number) => Envelope;
  readonly log: Logger;
  readonly queueMax?: number;
  readonly maxBatch?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  readonly random?: () => number;
  /** Entries no longer worth sending at send time (expired, known to be held by the peer). */
  readonly skip?: (entry: StoredAd, now: number) => boolean;
}

export class PeerLink {
  readonly url: string;
  private readonly options: LinkOptions;
  private readonly queue: PeerQueue;
  private readonly acknowledged = new Map<string, string>();
  private timer: TimerHandle | undefined;
  private inFlight = false;
  private stopped = false;
  private failedInARow = 0;
  private retryAt: number | undefined;
  private lastError: string | undefined;
  private peer: string | undefined;
  private counts = { sent: 0, batches: 0, failures: 0, refused: 0, resent: 0 };
  private lastSentAt: number | undefined;

  constructor(options: LinkOptions) {
    this.options = options;
    this.url = options.url;
    this.queue = new PeerQueue(options.queueMax ?? 100_000);
  }

  enqueue(entry: StoredAd): void {
    if (this.stopped) return;
    this.queue.offer(entry);
    this.schedule(0);
  }

  /** Drop queued entries that `drop` says are not worth sending any more. */
  prune(drop: (entry: StoredAd) => boolean): void {
    this.queue.prune(drop);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Sends whatever is queued now, without waiting for a backoff (a peer came back). */
  retryNow(): void {
    if (this.retryAt === undefined) return;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.retryAt = undefined;
    this.schedule(0);
  }

  status(): LinkStatus {
    return {
      url: this.url,
      ...(this.peer === undefined ? {} : { peer: this.peer }),
      state: this.inFlight ? 'sending' : this.retryAt !== undefined ? 'backoff' : 'idle',
      queued: this.queue.size,
      healthy: this.counts.batches > 0 && this.lastError === undefined,
      ...this.counts,
      dropped: this.queue.dropped,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      ...(this.retryAt === undefined ? {} : { retryAt: this.retryAt }),
      ...(this.lastSentAt === undefined ? {} : { lastSentAt: this.lastSentAt }),
    };
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.inFlight || this.timer !== undefined || this.queue.size === 0) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.retryAt = undefined;
      void this.flush();
    }, delayMs);
  }

  private async flush(): Promise<void> {
    if (this.stopped || this.inFlight) return;
    const { clock, skip } = this.options;
    const now = clock.now();
    if (skip !== undefined) this.queue.prune((entry) => skip(entry, now));
    const batch = this.queue.take(this.options.maxBatch ?? 500);
    if (batch.length === 0) return;
    for (const entry of batch)
      if (this.acknowledged.get(entry.key) === orderKey(entry.ad)) this.counts.resent++;
    this.inFlight = true;
    let result: SendResult;
    try {
      result = await this.options.transport.send(
        this.url,
        batch.map((entry) => this.options.envelope(entry, now)),
      );
    } catch (error) {
      result = { ok: false, permanent: false, error: errorMessage(error) };
    }
    this.inFlight = false;
    if (this.stopped) return;
    this.counts.batches++;
    if (result.ok) {
      if (result.peer !== undefined) this.peer = result.peer;
      this.failedInARow = 0;
      this.lastError = undefined;
      result.results.forEach((r, i) => {
        const entry = batch[i];
        if (r.status === 'refused') {
          this.counts.refused++;
          this.options.log.warn(
            { event: 'link.ad_refused', peer: this.url, origin: r.origin, error: r.error },
            'the peer refused an ad',
          );
        } else if (entry !== undefined) {
          this.counts.sent++;
          this.lastSentAt = this.options.clock.now();
          this.acknowledged.set(entry.key, orderKey(entry.ad));
        }
      });
      this.schedule(0);
      return;
    }
    this.counts.failures++;
    this.lastError = result.error;
    if (result.permanent) {
      this.counts.refused += batch.length;
      this.options.log.error(
        {
          event: 'link.batch_refused',
          peer: this.url,
          ads: batch.length,
          first: describeAd(batch[0]!.ad),
          error: result.error,
        },
        'the peer refused a batch of ads: not retried',
      );
      this.schedule(0);
      return;
    }
    this.queue.requeue(batch);
    const min = this.options.backoffMinMs ?? 500;
    const max = this.options.backoffMaxMs ?? 30_000;
    this.failedInARow += 1;
    const random = this.options.random ?? Math.random;
    // ±20 % jitter, so links to one dead director do not retry in lockstep.
    const policy = { initialMs: min, maxMs: max, jitter: { low: 0.8, span: 0.4 } };
    const delay = backoffDelay(policy, this.failedInARow, random);
    this.retryAt = clock.now() + delay;
    this.options.log.warn(
      {
        event: 'link.send_failed',
        peer: this.url,
        queued: this.queue.size,
        error: result.error,
        retryInMs: delay,
      },
      'cannot send ads: retrying with backoff',
    );
    this.schedule(delay);
  }
}

/** The real transport: POST /v1/ads with the batch; 4xx is permanent, the rest is retried. */
export function httpTransport(
  timeoutMs: number,
  tls: () => ClientTls | undefined = () => undefined,
): LinkTransport {
  return {
    async send(url, envelopes) {
      let response;
      const clientTls = tls();
      try {
        response = await requestJson(new URL('/v1/ads', url).toString(), {
          method: 'POST',
          body: { ads: envelopes },
          timeoutMs,
          ...(clientTls === undefined ? {} : { tls: clientTls }),
        });
      } catch (error) {
        return { ok: false, permanent: false, error: errorMessage(error) };
      }
      if (response.status === 200) {
        const { results, director } = response.body as { results?: unknown; director?: unknown };
        if (Array.isArray(results))
          return {
            ok: true,
            results: results as AdResult[],
            ...(typeof director === 'string' ? { peer: director } : {}),
          };
        return { ok: false, permanent: false, error: 'the answer has no "results" list' };
      }
      return {
        ok: false,
        permanent: response.status >= 400 && response.status < 500 && response.status !== 429,
        error: errorText(response),
      };
    },
  };
}
