/**
 * The node's side: sends this node's signed ad to every known director, in
 * parallel, at once on every service transition and every interval otherwise.
 *
 * Each director has its own link (link.ts): a dead or slow director delays nothing
 * for the others, and its link retries with backoff, always with the newest ad.
 * Directors are the configured URLs, the ones a federation discovery document lists,
 * and the ones any reachable director knows (GET /v1/directors), refreshed every
 * interval.
 *
 * Nothing here feeds back into announcing: the daemon announces on local health
 * only, whether or not any director can be reached (Pelican's caches withdrew their
 * anycast routes when they lost the director, so the fallback vanished exactly
 * when it was needed).
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock/index.js';
import type { NodeDirectorsConfig } from './node-settings.js';
import { AD_VERSION, originKey, type Envelope, type NodeAd, type ServiceAd } from './ad.js';
import { normalizeUrl } from './director.js';
import { errorText, requestJson, type ClientTls, type JsonResponse } from './http.js';
import { signAd } from './keys.js';
import { PeerLink, httpTransport, type LinkStatus, type LinkTransport } from './link.js';
import type { StoredAd } from './store.js';
import type { OutsideView } from './vantage.js';
import { errorMessage } from '../util/index.js';

export interface AdvertiserOptions {
  readonly config: NodeDirectorsConfig;
  readonly key: KeyObject;
  /** The services and their state now (the daemon's status()). */
  readonly services: () => readonly ServiceAd[];
  /** The load reported in the ad; default the 1-minute load average per CPU. */
  readonly load?: () => number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly transport?: LinkTransport;
  readonly get?: (url: string, timeoutMs: number) => Promise<JsonResponse>;
  readonly random?: () => number;
  /** Also send to the directors that reachable directors know (default true). */
  readonly learnDirectors?: boolean;
  /** The CA and client certificate for https:// directors (config.tls, read). */
  readonly tls?: ClientTls;
  /** Start time and instance ID (tests of restarts); default now and a random UUID. */
  readonly startTime?: number;
  readonly instance?: string;
}

export interface AdvertiserStatus {
  readonly name: string;
  readonly instance: string;
  readonly generation: number;
  readonly directors: readonly LinkStatus[];
  readonly discoveryError?: string;
  /**
   * With [directors] probe: what the directors see of this node from outside, as the
   * last director asked said it ("unreachable from 2 of 3 directors").
   */
  readonly outside?: OutsideView & { readonly director: string; readonly at: number };
}

const MAX_DIRECTORS = 256;

export class NodeAdvertiser {
  readonly instance: string;
  readonly startTime: number;
  private readonly options: AdvertiserOptions;
  private readonly links = new Map<string, PeerLink>();
  private readonly transport: LinkTransport;
  private readonly get: (url: string, timeoutMs: number) => Promise<JsonResponse>;
  private generation = 0;
  private current: StoredAd | undefined;
  private intervalTimer: TimerHandle | undefined;
  private soon: TimerHandle | undefined;
  private running = false;
  private discoveryError: string | undefined;
  private outside: AdvertiserStatus['outside'];

  constructor(options: AdvertiserOptions) {
    this.options = options;
    this.instance = options.instance ?? randomUUID();
    this.startTime = options.startTime ?? options.clock.now();
    const tls = options.tls;
    this.transport = options.transport ?? httpTransport(options.config.timeoutMs, () => tls);
    this.get =
      options.get ??
      ((url, timeoutMs) =>
        requestJson(url, { timeoutMs, maxBytes: 4 << 20, ...(tls === undefined ? {} : { tls }) }));
    for (const url of options.config.urls) this.addDirector(url);
  }

  /** Sends the first ad now and keeps advertising; never throws, never waits on a director. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.advertise();
    void this.refreshDirectors();
    this.scheduleInterval();
  }

  /** A service changed state: advertise at once (transitions in one tick make one ad). */
  onTransition(): void {
    if (!this.running || this.soon !== undefined) return;
    this.soon = this.options.clock.setTimeout(() => {
      this.soon = undefined;
      this.advertise();
    }, 0);
  }

  /**
   * Stops advertising. With `farewellMs`, first tells every director, within that
   * time, that every service here is down, so clients stop being sent here before
   * the ad would have expired.
   */
  async stop(farewellMs = 0): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const { clock } = this.options;
    if (this.intervalTimer !== undefined) clock.clearTimeout(this.intervalTimer);
    if (this.soon !== undefined) clock.clearTimeout(this.soon);
    for (const link of this.links.values()) link.stop();
    if (farewellMs <= 0) return;
    const entry = this.sign(this.options.services().map((s) => ({ ...s, state: 'down' as const })));
    const envelope = this.envelope(entry, clock.now());
    await Promise.all(
      [...this.links.keys()].map((url) =>
        Promise.race([
          this.transport.send(url, [envelope]).catch(() => undefined),
          new Promise((resolve) => setTimeout(resolve, farewellMs).unref()),
        ]),
      ),
    );
  }

  status(): AdvertiserStatus {
    return {
      name: this.options.config.name,
      instance: this.instance,
      generation: this.generation,
      directors: [...this.links.values()].map((l) => l.status()),
      ...(this.discoveryError === undefined ? {} : { discoveryError: this.discoveryError }),
      ...(this.outside === undefined ? {} : { outside: this.outside }),
    };
  }

  /** The directors this node knows now (configured, discovered, learned), normalized. */
  directorUrls(): string[] {
    return [...this.links.keys()];
  }

  /** The ad this node sent last (tests, status). */
  get lastAd(): NodeAd | undefined {
    return this.current?.ad as NodeAd | undefined;
  }

  private advertise(): void {
    const entry = this.sign(this.options.services());
    this.current = entry;
    for (const link of this.links.values()) link.enqueue(entry);
  }

  private sign(services: readonly ServiceAd[]): StoredAd {
    const { config, clock, key } = this.options;
    const now = clock.now();
    const ad: NodeAd = {
      v: AD_VERSION,
      kind: 'node',
      origin: config.name,
      startTime: this.startTime,
      instance: this.instance,
      generation: ++this.generation,
      issuedAt: now,
      expires: now + config.adLifetimeMs,
      node: {
        url: config.url,
        ...(config.probe === undefined ? {} : { probe: { ...config.probe } }),
        ...(config.site === undefined ? {} : { site: config.site }),
        ...(config.lat === undefined ? {} : { lat: config.lat }),
        ...(config.lon === undefined ? {} : { lon: config.lon }),
        load: Math.round((this.options.load ?? defaultLoad)() * 1000) / 1000,
        services: services.map((s) => ({
          name: s.name,
          state: s.state,
          prefixes: [...s.prefixes],
        })),
      },
    };
    return {
      key: originKey(ad),
      ad,
      sig: signAd(ad, key),
      seenBy: [],
      from: 'origin',
      receivedAt: now,
      expiresAt: ad.expires,
      knownBy: new Set(),
      arrivedFrom: new Set(),
    };
  }

  /**
   * What goes to each director. `to` names the directors whose last request from
   * here succeeded: they get the ad from this node, so no director forwards it to
   * them. One that fails drops out of `to` at once and gets its ads forwarded.
   */
  private envelope(entry: StoredAd, now: number): Envelope {
    const to: string[] = [];
    for (const link of this.links.values()) {
      const status = link.status();
      if (status.healthy && status.peer !== undefined) to.push(status.peer);
    }
    return {
      ad: entry.ad,
      sig: entry.sig,
      seenBy: [],
      sentAt: now,
      expiresAt: entry.expiresAt,
      ...(to.length === 0 ? {} : { to: to.slice(0, 64) }),
    };
  }

  private addDirector(url: string): void {
    const normalized = normalizeUrl(url);
    if (this.links.has(normalized) || this.links.size >= MAX_DIRECTORS) return;
    if (isPlainRemote(normalized))
      this.options.log.warn(
        { event: 'advertiser.plain_http', director: normalized },
        'sending ads over plain HTTP off loopback: locate answers built from them can be altered on the way; use https://',
      );
    const link = new PeerLink({
      url: normalized,
      clock: this.options.clock,
      transport: this.transport,
      log: this.options.log.child({ director: normalized }),
      envelope: (entry, now) => this.envelope(entry, now),
      skip: (entry, now) => entry.expiresAt <= now,
      queueMax: 4,
      ...(this.options.random === undefined ? {} : { random: this.options.random }),
    });
    this.links.set(normalized, link);
    if (this.current !== undefined && this.running) link.enqueue(this.current);
  }

  private scheduleInterval(): void {
    if (!this.running) return;
    this.intervalTimer = this.options.clock.setTimeout(() => {
      this.advertise();
      // A director in backoff gets the interval ad now, not after up to 30 s: one that
      // restarted hears every node within an interval, which its readiness counts on.
      for (const link of this.links.values()) link.retryNow();
      void this.refreshDirectors().finally(() => this.scheduleInterval());
    }, this.options.config.intervalMs);
  }

  /** What a director says of this node's reachability from outside; false when it cannot say. */
  private async readOutside(url: string): Promise<boolean> {
    const { config, clock } = this.options;
    try {
      const target = new URL('/v1/nodes', url);
      target.searchParams.set('name', config.name);
      const response = await this.get(target.toString(), config.timeoutMs);
      if (response.status !== 200) return false;
      const nodes = (response.body as { nodes?: unknown }).nodes;
      const mine = Array.isArray(nodes)
        ? (nodes as { instance?: unknown; outside?: unknown }[]).find(
            (n) => n.instance === this.instance,
          )
        : undefined;
      if (mine === undefined || !isOutsideView(mine.outside)) return false;
      const view = mine.outside;
      if (view.summary !== this.outside?.summary)
        this.options.log[view.unreachableFrom.length === 0 ? 'info' : 'warn'](
          { event: 'advertiser.outside_view', summary: view.summary, director: url },
          `directors say: ${view.summary}`,
        );
      this.outside = {
        unreachableFrom: view.unreachableFrom,
        directors: view.directors,
        excluded: view.excluded,
        summary: view.summary,
        director: url,
        at: clock.now(),
      };
      return true;
    } catch {
      return false;
    }
  }

  /** The discovery document, then one reachable director's list of the directors it knows. */
  private async refreshDirectors(): Promise<void> {
    const { config } = this.options;
    const timeout = config.timeoutMs;
    if (config.discoveryUrl !== undefined) {
      try {
        const response = await this.get(config.discoveryUrl, timeout);
        if (response.status !== 200) throw new Error(errorText(response));
        const directors = (response.body as { directors?: unknown }).directors;
        if (!Array.isArray(directors)) throw new Error('no "directors" list');
        for (const url of directors)
          if (typeof url === 'string' && isHttp(url)) this.addDirector(url);
        this.discoveryError = undefined;
      } catch (error) {
        const message = `cannot read the discovery document ${config.discoveryUrl}: ${errorMessage(error)}`;
        if (message !== this.discoveryError)
          this.options.log.warn(
            {
              event: 'advertiser.discovery_failed',
              url: config.discoveryUrl,
              err: errorMessage(error),
            },
            'cannot read the discovery document',
          );
        this.discoveryError = message;
      }
    }
    if (this.options.learnDirectors === false) {
      if (config.probe !== undefined)
        for (const url of this.links.keys()) if (await this.readOutside(url)) break;
      return;
    }
    const urls = [...this.links.keys()];
    const start = Math.floor((this.options.random ?? Math.random)() * urls.length);
    for (let i = 0; i < urls.length; i++) {
      const url = urls[(start + i) % urls.length]!;
      try {
        const response = await this.get(new URL('/v1/directors', url).toString(), timeout);
        if (response.status !== 200) continue;
        const known = (response.body as { known?: unknown }).known;
        if (Array.isArray(known))
          for (const k of known) {
            const u = (k as { url?: unknown }).url;
            if (typeof u === 'string' && isHttp(u)) this.addDirector(u);
          }
        if (config.probe !== undefined) await this.readOutside(url);
        return;
      } catch {
        // The next one.
      }
    }
  }
}

function isOutsideView(value: unknown): value is OutsideView {
  const v = value as Partial<OutsideView> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray(v.unreachableFrom) &&
    typeof v.directors === 'number' &&
    typeof v.excluded === 'boolean' &&
    typeof v.summary === 'string'
  );
}

/** An http:// URL whose host is not a loopback address (a name counts as remote). */
export function isPlainRemote(text: string): boolean {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:') return false;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (host === 'localhost') return false;
    return !ipaddr.isValid(host) || ipaddr.process(host).range() !== 'loopback';
  } catch {
    return false;
  }
}

function isHttp(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function defaultLoad(): number {
  return (loadavg()[0] ?? 0) / Math.max(1, availableParallelism());
}
