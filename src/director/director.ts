/**
 * A director: the replicated registry of nodes (DESIGN.md "ads ─▶ directors").
 *
 * - Ingest: every ad is validated, its signature checked against the trusted keys for
 *   its own role and origin (forwarded ads too), its expiry corrected for clock skew,
 *   and it is stored only if it is newer than the stored ad of its origin (order.ts).
 * - Forward: a newly stored ad goes to every peer director not on its seen-by path,
 *   not among the directors its origin sends it to itself (envelope `to`), and not
 *   known to hold it from another copy, with this director added to the path;
 *   each peer has its own link (link.ts: newest ad per origin, retry with backoff).
 * - Peers: from the static config, from the federation discovery document
 *   (/.well-known/anycast-guard) and, with discover_peers, from director ads and from
 *   asking any director for the directors it knows. A URL is a peer only after it
 *   answered with a signed ad of a trusted director; a URL that answers with this
 *   director's own instance ID is itself and never sent to.
 * - Catch-up: at start, and when a peer comes back, the full table of every
 *   reachable peer is pulled (GET /v1/ads) and ingested like any ad, without forwarding.
 * - The director's own ad is re-issued every interval, with a rising generation.
 *
 * Ads expire by the local clock (expiry.ts); nothing here depends on any other
 * director being up, so one director's outage cannot expire another's ads.
 *
 * Over 500 lines on purpose: ingest, forwarding and peer discovery all read and
 * write the same store and peer table; the pure parts are already out (order.ts,
 * expiry.ts, link.ts, queue.ts, locate.ts).
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock/index.js';
import {
  AD_VERSION,
  MAX_LIFETIME_MS,
  MAX_SEEN_BY,
  MAX_UNREACHABLE,
  describeAd,
  formatIssues,
  originKey,
  parseEnvelope,
  type DirectorAd,
  type Envelope,
  type NodeAd,
  type Unreachable,
} from './ad.js';
import {
  afterProbe,
  outsideView,
  outsideViews,
  probeDue,
  type OutsideView,
  type ProbeState,
} from './vantage.js';
import { DirectorError } from './errors.js';
import { localExpiry, SIGNED_SKEW_ALLOWANCE_MS, signedTimeProblem } from './expiry.js';
import { errorText, requestJson, type ClientTls, type JsonResponse } from './http.js';
import { signAd, type TrustedKeys } from './keys.js';
import {
  PeerLink,
  httpTransport,
  type AdResult,
  type LinkStatus,
  type LinkTransport,
} from './link.js';
import {
  rankNodes,
  SiteMap,
  type ClientPlace,
  type RankedNode,
  type SiteConfig,
} from './locate.js';
import { AdStore, linkOf, senderOf, type StoredAd } from './store.js';
import {
  minimumCount,
  permitEnvelopeSchema,
  verifyPermitRequest,
  type PermitAnswer,
  type PermitRequest,
} from './permit.js';
import {
  PermitLedger,
  announcedServices,
  serviceView,
  type Dropped,
  type ServiceView,
} from './permits.js';
import { errorMessage, KeyedRateLimiter } from '../util/index.js';

/** A node's unexpired ad, as the permit views read it. */
interface LiveNode {
  readonly origin: string;
  readonly services: NodeAd['node']['services'];
  /** By this director's clock. */
  readonly expiresAt: number;
}

/**
 * Refused ads are logged at most once per sender and reason per this interval, with
 * the count of those not logged: one forging sender once wrote 148,005 lines in 20 s.
 */
export const REFUSED_LOG_INTERVAL_MS = 10_000;

export interface DirectorServiceConfig {
  readonly anycastUrl?: string;
}

export interface DirectorOptions {
  readonly name: string;
  /** The URL peers, nodes and clients reach this director at. */
  readonly advertiseUrl: string;
  readonly key: KeyObject;
  readonly trusted: TrustedKeys;
  /** Static peer URLs. */
  readonly peers?: readonly string[];
  readonly discoveryUrl?: string;
  /** Learn peers from director ads and from other directors (default true). */
  readonly discoverPeers?: boolean;
  readonly intervalMs?: number;
  readonly adLifetimeMs?: number;
  readonly maxAds?: number;
  readonly services?: Readonly<Record<string, DirectorServiceConfig>>;
  readonly sites?: readonly SiteConfig[];
  readonly requestTimeoutMs?: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** How ads are sent to peers (default HTTP). */
  readonly transport?: LinkTransport;
  /** How GETs are made (discovery, probes, catch-up; default HTTP). */
  readonly get?: (url: string, timeoutMs: number) => Promise<JsonResponse>;
  readonly random?: () => number;
  /** Ads per page of a catch-up pull (default 2,000, the most a page holds). */
  readonly pullPage?: number;
  /** How outside probes are made (default HTTP GET, small answers). */
  readonly probeGet?: (url: string, timeoutMs: number) => Promise<JsonResponse>;
  /** How far an origin's clock may be off (default SIGNED_SKEW_ALLOWANCE_MS). */
  readonly skewAllowanceMs?: number;
  /** CA and client certificate for https:// peers (read per request: SIGHUP replaces it). */
  readonly tls?: () => ClientTls | undefined;
}

export interface PeerView {
  readonly name: string;
  readonly url: string;
  readonly instance: string | undefined;
  readonly source: 'config' | 'discovery' | 'learned';
  readonly link: LinkStatus;
}

interface Peer {
  readonly name: string;
  url: string;
  instance: string | undefined;
  readonly source: PeerView['source'];
  readonly link: PeerLink;
}

export interface ReceivedCounts {
  stored: number;
  duplicate: number;
  stale: number;
  expired: number;
  refused: number;
  full: number;
  /** The same ad arriving twice from the same sender (should stay 0). */
  repeats: number;
}

export interface DiscoveryDocument {
  readonly directors: readonly string[];
  readonly services: Readonly<Record<string, { readonly anycast_url?: string }>>;
}

const DISCOVERY_PATH = '/.well-known/anycast-guard';
/** Ads per page of a catch-up pull. */
const PULL_PAGE = 2000;
/** URLs waiting to be probed, at most (a discovery document may list any number). */
const MAX_CANDIDATES = 256;

export class Director {
  readonly name: string;
  readonly instance = randomUUID();
  readonly startTime: number;
  readonly advertiseUrl: string;
  private readonly options: DirectorOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly store: AdStore;
  private readonly sites: SiteMap;
  private readonly transport: LinkTransport;
  private readonly get: (url: string, timeoutMs: number) => Promise<JsonResponse>;
  private readonly peers = new Map<string, Peer>();
  /** URL → where it came from, for URLs not yet known to be a peer or ourselves. */
  private readonly candidates = new Map<
    string,
    { source: PeerView['source']; lastError?: string }
  >();
  private readonly selfUrls = new Set<string>();
  private readonly received = new Map<string, ReceivedCounts>();
  /** Keyed "REASON SENDER" (the sender as counted: known senders, or "other"). */
  private readonly refusedLog = new KeyedRateLimiter({
    intervalMs: REFUSED_LOG_INTERVAL_MS,
    maxKeys: 1000,
    overflowKey: 'director.ad_refused other',
  });
  /** Refused permit requests and refused permits: one line per reason and origin per interval. */
  private readonly permitLog = new KeyedRateLimiter({
    intervalMs: REFUSED_LOG_INTERVAL_MS,
    maxKeys: 1000,
    overflowKey: 'director.permit_refused other',
  });
  /** Fleet-guard withdrawal permits (permits.ts). */
  private readonly permits = new PermitLedger();
  /**
   * Each service's view, until a node ad is stored or the earliest ad in it expires: a
   * guarded node asks every second, and a count of the whole table per request would
   * cost O(ads) each time.
   */
  private readonly views = new Map<string, { view: ServiceView; until: number }>();
  private generation = 0;
  private tickTimer: TimerHandle | undefined;
  private sweepTimer: TimerHandle | undefined;
  private running = false;
  private discoveryError: string | undefined;
  /** Caught up: pulled a ready peer's table, or waited one interval (readiness()). */
  private readyReason: string | undefined;
  private readyTimer: TimerHandle | undefined;
  /** Outside probes of the nodes that ask for them, by node name (vantage.ts). */
  private readonly probes = new Map<string, ProbeState>();
  private readonly probing = new Set<string>();
  private readonly probeGet: (url: string, timeoutMs: number) => Promise<JsonResponse>;
  private reissueTimer: TimerHandle | undefined;
  private trusted: TrustedKeys;

  constructor(options: DirectorOptions) {
    this.options = options;
    this.trusted = options.trusted;
    this.name = options.name;
    this.clock = options.clock;
    this.log = options.log;
    this.startTime = options.clock.now();
    this.advertiseUrl = options.advertiseUrl;
    this.store = new AdStore(
      options.maxAds ?? 100_000,
      options.skewAllowanceMs ?? SIGNED_SKEW_ALLOWANCE_MS,
    );
    this.sites = new SiteMap(options.sites ?? []);
    const tls = options.tls ?? (() => undefined);
    this.transport = options.transport ?? httpTransport(this.timeoutMs, tls);
    this.get =
      options.get ??
      ((url, timeoutMs) => {
        const clientTls = tls();
        return requestJson(url, {
          timeoutMs,
          maxBytes: 64 * 1024 * 1024,
          ...(clientTls === undefined ? {} : { tls: clientTls }),
        });
      });
    this.probeGet =
      options.probeGet ??
      ((url, timeoutMs) => {
        const clientTls = tls();
        return requestJson(url, {
          timeoutMs,
          maxBytes: 64 * 1024,
          // Names the prober in the node's logs.
          headers: { 'user-agent': `anycast-guard-director/${options.name}` },
          ...(clientTls === undefined ? {} : { tls: clientTls }),
        });
      });
    this.selfUrls.add(normalizeUrl(options.advertiseUrl));
    for (const url of options.peers ?? []) this.addCandidate(url, 'config');
    // Signed before anything can ask for it (the API listens before start()).
    this.issueOwnAd();
  }

  private get timeoutMs(): number {
    return this.options.requestTimeoutMs ?? 2000;
  }

  private get intervalMs(): number {
    return this.options.intervalMs ?? 10_000;
  }

  /** Finds its peers, catches up from them, and starts advertising itself. */
  async start(): Promise<void> {
    this.running = true;
    await this.refreshPeers(true);
    // No ready peer to copy from: every node sends at least once an interval.
    if (this.readyReason === undefined && this.running)
      this.readyTimer = this.clock.setTimeout(
        () => this.becomeReady('waited one interval for ads'),
        Math.max(0, this.startTime + this.intervalMs - this.clock.now()),
      );
    this.scheduleTick();
    this.scheduleSweep();
    this.log.info(
      {
        event: 'director.started',
        name: this.name,
        instance: this.instance,
        peers: [...this.peers.keys()],
        ads: this.store.size,
      },
      'director started',
    );
  }

  /**
   * Whether this director may answer locate: only once it has caught up, that is
   * pulled the whole table of a peer that was itself ready, or (no such peer) waited
   * one interval since it started, in which every node sends an ad. Before that an
   * empty or partial table would send clients away from a healthy fleet.
   */
  readiness(): { ready: boolean; reason?: string; retryAfterMs?: number } {
    if (this.readyReason !== undefined) return { ready: true, reason: this.readyReason };
    return {
      ready: false,
      retryAfterMs: Math.max(0, this.startTime + this.intervalMs - this.clock.now()),
    };
  }

  private becomeReady(reason: string): void {
    if (this.readyReason !== undefined) return;
    this.readyReason = reason;
    if (this.readyTimer !== undefined) this.clock.clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    this.log.info(
      { event: 'director.ready', reason, ads: this.store.size },
      `director ready: ${reason}`,
    );
  }

  /** Replaces the trusted keys (SIGHUP); ads already stored stay until they expire. */
  setTrustedKeys(trusted: TrustedKeys): void {
    this.trusted = trusted;
  }

  stop(): void {
    this.flushRefusedLog(true);
    this.flushPermitLog(true);
    this.running = false;
    if (this.tickTimer !== undefined) this.clock.clearTimeout(this.tickTimer);
    if (this.sweepTimer !== undefined) this.clock.clearTimeout(this.sweepTimer);
    if (this.readyTimer !== undefined) this.clock.clearTimeout(this.readyTimer);
    if (this.reissueTimer !== undefined) this.clock.clearTimeout(this.reissueTimer);
    for (const peer of this.peers.values()) peer.link.stop();
  }

  /**
   * POST /v1/ads: each envelope on its own; the results are in the same order.
   * `via` names the channel when it is not a POST from the sender (a probe, a pull).
   */
  ingest(
    values: readonly unknown[],
    options: { forward?: boolean; via?: string } = {},
  ): AdResult[] {
    return values.map((value) => this.ingestOne(value, options.forward ?? true, options.via));
  }

  private ingestOne(value: unknown, forward: boolean, via: string | undefined): AdResult {
    const now = this.clock.now();
    const origin = originOf(value);
    const parsed = parseEnvelope(value);
    if (!parsed.ok) {
      this.count('?', 'refused');
      return { origin, status: 'refused', error: `not a valid ad: ${parsed.error}` };
    }
    const envelope = parsed.envelope;
    const from = via ?? senderOf(envelope);
    try {
      this.trusted.check(envelope.ad, envelope.sig);
    } catch (error) {
      this.count(from, 'refused');
      const reason = error instanceof DirectorError ? error.kind : 'director.ad_refused';
      const line = this.refusedLog.hit(`${reason} ${this.senderKey(from)}`, now);
      if (line !== undefined)
        this.log.warn(
          {
            event: 'director.ad_refused',
            ad: describeAd(envelope.ad),
            from,
            reason,
            error: errorMessage(error),
            suppressed: line.suppressed,
          },
          'ad refused',
        );
      return { origin, status: 'refused', error: errorMessage(error) };
    }
    // The signed times, by this director's clock: a replay in a fresh envelope is still dead.
    const timeProblem = signedTimeProblem(envelope.ad, now, this.store.skewAllowanceMs);
    if (timeProblem !== undefined) {
      this.count(from, 'expired');
      return { origin, status: 'expired', error: `${describeAd(envelope.ad)}: ${timeProblem}` };
    }
    const expiresAt = localExpiry(envelope, now, this.store.skewAllowanceMs);
    if (expiresAt <= now) {
      this.count(from, 'expired');
      return { origin, status: 'expired', error: `${describeAd(envelope.ad)} has expired` };
    }
    const offered = this.store.offer(envelope, expiresAt, now, from, via ?? linkOf(envelope));
    switch (offered.outcome) {
      case 'full':
        this.count(from, 'full');
        return {
          origin,
          status: 'full',
          error: `this director holds its maximum of ${this.store.maxAds} origins`,
        };
      case 'stale':
        this.count(from, 'stale');
        return { origin, status: 'stale' };
      case 'duplicate':
        this.count(from, 'duplicate');
        // Probes and pulls may fetch an ad again; a POST link must not send it twice.
        if (offered.repeatOnLink && via === undefined) this.count(from, 'repeats');
        return { origin, status: 'duplicate' };
      case 'stored':
        this.count(from, 'stored');
        this.afterStored(offered.entry, forward);
        return { origin, status: 'stored' };
    }
  }

  private afterStored(entry: StoredAd, forward: boolean): void {
    if (entry.ad.kind === 'director') this.onDirectorAd(entry);
    // A newer ad (sent, forwarded or pulled) that no longer announces a service frees its permit.
    else {
      this.views.clear();
      this.logDropped(
        this.permits.observe(
          entry.ad.origin,
          announcedServices({ origin: entry.ad.origin, services: entry.ad.node.services }),
          this.clock.now(),
          entry.ad.issuedAt,
        ),
      );
    }
    if (forward) this.forward(entry);
  }

  private forward(entry: StoredAd): void {
    if (entry.seenBy.length >= MAX_SEEN_BY) {
      this.log.warn(
        { event: 'director.ad_path_too_long', ad: describeAd(entry.ad) },
        'ad path too long: not forwarded',
      );
      return;
    }
    for (const peer of this.peers.values())
      if (!entry.knownBy.has(peer.name) && peer.name !== this.name) peer.link.enqueue(entry);
  }

  private onDirectorAd(entry: StoredAd): void {
    const ad = entry.ad as DirectorAd;
    if (ad.origin === this.name) return;
    const peer = this.peers.get(ad.origin);
    if (peer !== undefined) {
      if (peer.instance !== ad.instance) {
        const restarted = peer.instance !== undefined;
        peer.instance = ad.instance;
        if (restarted)
          this.log.info(
            { event: 'director.peer_restarted', peer: peer.name },
            'peer director restarted',
          );
      }
      // It is alive: send what waits for it now rather than after the backoff.
      peer.link.retryNow();
      return;
    }
    const url = normalizeUrl(ad.director.url);
    if (this.selfUrls.has(url)) return;
    // A configured or discovered URL that was down when probed: now it has spoken.
    const candidate = this.candidates.get(url);
    if (candidate !== undefined) this.addPeer(ad.origin, url, ad.instance, candidate.source);
    else if (this.options.discoverPeers !== false)
      this.addPeer(ad.origin, ad.director.url, ad.instance, 'learned');
  }

  private addPeer(
    name: string,
    url: string,
    instance: string | undefined,
    source: Peer['source'],
  ): Peer {
    const link = new PeerLink({
      url,
      clock: this.clock,
      transport: this.transport,
      log: this.log.child({ peer: name }),
      envelope: (entry, now) => this.envelopeFor(entry, now),
      skip: (entry, now) =>
        entry.expiresAt <= now || entry.knownBy.has(name) || this.store.get(entry.key) !== entry,
      ...(this.options.random === undefined ? {} : { random: this.options.random }),
      queueMax: this.options.maxAds ?? 100_000,
    });
    const peer: Peer = { name, url, instance, source, link };
    this.peers.set(name, peer);
    this.candidates.delete(normalizeUrl(url));
    this.log.info({ event: 'director.peer_added', peer: name, url, source }, 'peer director added');
    // Everything it may not have yet: the ads not known to be on its side.
    for (const entry of this.store.all())
      if (!entry.knownBy.has(name) && entry.ad.origin !== name) link.enqueue(entry);
    return peer;
  }

  /** The envelope this director sends for a stored ad: itself added to the path. */
  private envelopeFor(entry: StoredAd, now: number): Envelope {
    const last = entry.seenBy[entry.seenBy.length - 1];
    const seenBy =
      last?.name === this.name && last.instance === this.instance
        ? [...entry.seenBy]
        : [...entry.seenBy, { name: this.name, instance: this.instance, at: now }];
    return {
      ad: entry.ad,
      sig: entry.sig,
      seenBy,
      sentAt: now,
      expiresAt: entry.expiresAt,
      ...(entry.to === undefined ? {} : { to: [...entry.to] }),
    };
  }

  /** This director's own ad, signed and stored, and sent to every peer. */
  private issueOwnAd(): void {
    const now = this.clock.now();
    const lifetime = this.options.adLifetimeMs ?? 3 * this.intervalMs;
    const ad: DirectorAd = {
      v: AD_VERSION,
      kind: 'director',
      origin: this.name,
      startTime: this.startTime,
      instance: this.instance,
      generation: ++this.generation,
      issuedAt: now,
      expires: now + lifetime,
      director: { url: this.advertiseUrl, ...this.unreachableList() },
    };
    const envelope: Envelope = {
      ad,
      sig: signAd(ad, this.options.key),
      seenBy: [{ name: this.name, instance: this.instance, at: now }],
      sentAt: now,
      expiresAt: ad.expires,
    };
    const offered = this.store.offer(envelope, ad.expires, now);
    if (offered.outcome === 'stored') this.forward(offered.entry);
  }

  /** The nodes this director cannot reach, for its own ad (absent when none). */
  private unreachableList(): { unreachable?: Unreachable[] } {
    const list: Unreachable[] = [];
    for (const [node, state] of this.probes)
      if (state.unreachableSince !== undefined && list.length < MAX_UNREACHABLE)
        list.push({ node, since: state.unreachableSince, error: state.error ?? 'unreachable' });
    return list.length === 0 ? {} : { unreachable: list };
  }

  /** Probes every node whose probe is due (each sweep); a verdict that flips is re-advertised at once. */
  private probeNodes(now: number): void {
    const probed = new Set<string>();
    for (const entry of this.store.all()) {
      if (entry.ad.kind !== 'node' || entry.ad.node.probe === undefined) continue;
      const name = entry.ad.origin;
      const spec = entry.ad.node.probe;
      probed.add(name);
      if (this.probing.has(name) || !probeDue(this.probes.get(name), spec, now)) continue;
      this.probing.add(name);
      const url = new URL(spec.path, entry.ad.node.url).toString();
      void this.probeGet(url, spec.timeoutMs)
        .then(
          (response) =>
            response.status >= 200 && response.status < 400
              ? ({ ok: true } as const)
              : ({ ok: false, error: `${url}: ${errorText(response)}` } as const),
          (error: unknown) => ({ ok: false, error: errorMessage(error) }) as const,
        )
        .then((result) => {
          this.probing.delete(name);
          if (!this.running) return;
          const next = afterProbe(this.probes.get(name), result, this.clock.now());
          this.probes.set(name, next.state);
          if (!next.changed) return;
          if (next.state.unreachableSince === undefined)
            this.log.info({ event: 'director.node_reachable', node: name }, 'node reachable again');
          else
            this.log.warn(
              { event: 'director.node_unreachable', node: name, error: next.state.error },
              'cannot reach a node from here',
            );
          this.reissueSoon();
        });
    }
    // Nodes gone, or no longer asking to be probed: their verdicts go too.
    let dropped = false;
    for (const [name, state] of this.probes)
      if (!probed.has(name) && !this.probing.has(name)) {
        this.probes.delete(name);
        dropped ||= state.unreachableSince !== undefined;
      }
    if (dropped) this.reissueSoon();
  }

  /** A new own ad on the next tick (verdicts flipping together make one ad). */
  private reissueSoon(): void {
    if (this.reissueTimer !== undefined || !this.running) return;
    this.reissueTimer = this.clock.setTimeout(() => {
      this.reissueTimer = undefined;
      if (this.running) this.issueOwnAd();
    }, 0);
  }

  /** What the directors alive say about reaching each node from outside. */
  private outside(now: number): Map<string, OutsideView> {
    const directors: DirectorAd[] = [];
    for (const entry of this.store.all())
      if (entry.ad.kind === 'director' && entry.expiresAt > now) directors.push(entry.ad);
    return outsideViews(directors);
  }

  private directorsAlive(now: number): number {
    let count = 0;
    for (const entry of this.store.all())
      if (entry.ad.kind === 'director' && entry.expiresAt > now) count++;
    return count;
  }

  /** This director's own signed ad, as an envelope (GET /v1/directors). */
  ownEnvelope(): Envelope | undefined {
    const entry = this.store.get(originKey({ kind: 'director', origin: this.name }));
    return entry === undefined ? undefined : this.envelopeFor(entry, this.clock.now());
  }

  private addCandidate(url: string, source: PeerView['source']): void {
    if (this.candidates.size >= MAX_CANDIDATES) return;
    const normalized = normalizeUrl(url);
    if (this.selfUrls.has(normalized)) return;
    for (const peer of this.peers.values()) if (normalizeUrl(peer.url) === normalized) return;
    if (!this.candidates.has(normalized)) this.candidates.set(normalized, { source });
  }

  /**
   * Reads the discovery document, probes every URL not yet known to be a peer,
   * asks the peers which directors they know, and (at start) pulls their tables.
   */
  private async refreshPeers(catchUp: boolean): Promise<void> {
    if (this.options.discoveryUrl !== undefined)
      await this.readDiscovery(this.options.discoveryUrl);
    const probes = [...this.candidates].map(([url, c]) => this.probe(url, c.source));
    // Asking any director for the directors it knows: one peer per round.
    const peers = [...this.peers.values()];
    const asked = peers[Math.floor((this.options.random ?? Math.random)() * peers.length)];
    if (this.options.discoverPeers !== false && asked !== undefined && !catchUp)
      probes.push(this.probe(asked.url, asked.source));
    await Promise.all(probes);
    if (catchUp) await Promise.all([...this.peers.values()].map((peer) => this.pull(peer)));
  }

  private async readDiscovery(url: string): Promise<void> {
    try {
      const response = await this.get(url, this.timeoutMs);
      if (response.status !== 200) throw new Error(errorText(response));
      const doc = response.body as Partial<DiscoveryDocument>;
      if (!Array.isArray(doc.directors)) throw new Error('no "directors" list');
      for (const entry of doc.directors)
        if (typeof entry === 'string' && isHttpUrl(entry)) this.addCandidate(entry, 'discovery');
      this.discoveryError = undefined;
    } catch (error) {
      const message = `cannot read the discovery document ${url}: ${errorMessage(error)}`;
      if (this.discoveryError !== message)
        this.log.warn(
          { event: 'director.discovery_failed', url, err: errorMessage(error) },
          'cannot read the discovery document',
        );
      this.discoveryError = message;
    }
  }

  /** Asks a URL who it is (its signed director ad) and which directors it knows. */
  private async probe(url: string, source: PeerView['source']): Promise<void> {
    let body: { self?: unknown; directors?: unknown };
    try {
      const response = await this.get(new URL('/v1/directors', url).toString(), this.timeoutMs);
      if (response.status !== 200) throw new Error(errorText(response));
      body = response.body as typeof body;
    } catch (error) {
      const candidate = this.candidates.get(url);
      if (candidate !== undefined) candidate.lastError = errorMessage(error);
      return;
    }
    const self = parseEnvelope(body.self);
    if (!self.ok || self.envelope.ad.kind !== 'director') {
      this.noteCandidateError(url, 'its /v1/directors answer has no valid director ad');
      return;
    }
    const ad = self.envelope.ad;
    if (ad.instance === this.instance) {
      this.selfUrls.add(url);
      this.candidates.delete(url);
      return;
    }
    // Not forwarded: the director itself sends its ad to its peers.
    const [result] = this.ingest([self.envelope], { forward: false, via: `probe ${url}` });
    if (result?.status === 'refused') {
      this.noteCandidateError(url, result.error ?? 'refused');
      return;
    }
    if (!this.peers.has(ad.origin)) this.addPeer(ad.origin, url, ad.instance, source);
    else this.candidates.delete(url);
    const known = Array.isArray(body.directors) ? body.directors : [];
    const envelopes = known.filter(
      (e): e is { ad: { kind: string } } => typeof e === 'object' && e !== null,
    );
    this.ingest(envelopes, { forward: false, via: `probe ${url}` });
  }

  private noteCandidateError(url: string, message: string): void {
    const candidate = this.candidates.get(url);
    if (candidate !== undefined && candidate.lastError !== message) {
      candidate.lastError = message;
      this.log.warn({ event: 'director.not_a_peer', url, reason: message }, 'not a peer');
    }
  }

  /** Catch-up: every ad a peer holds, ingested (and checked) like any other, not forwarded. */
  private async pull(peer: Peer): Promise<void> {
    let offset: number | undefined = 0;
    let total = 0;
    let stored = 0;
    let peerReady = false;
    try {
      // Paged, so the table's size never bounds what one answer may hold.
      for (let pages = 0; offset !== undefined && pages < 1000; pages++) {
        const url = new URL('/v1/ads', peer.url);
        url.searchParams.set('offset', String(offset));
        url.searchParams.set('limit', String(this.options.pullPage ?? PULL_PAGE));
        const response = await this.get(url.toString(), this.timeoutMs * 5);
        if (response.status !== 200) throw new Error(errorText(response));
        const body = response.body as { ads?: unknown; next?: unknown; ready?: unknown };
        if (!Array.isArray(body.ads)) throw new Error('no "ads" list');
        if (pages === 0) peerReady = body.ready === true;
        const results = this.ingest(body.ads, { forward: false, via: `pull ${peer.name}` });
        total += body.ads.length;
        stored += results.filter((r) => r.status === 'stored').length;
        offset =
          typeof body.next === 'number' && Number.isInteger(body.next) && body.next > offset
            ? body.next
            : undefined;
      }
      this.log.info(
        { event: 'director.caught_up', peer: peer.name, ads: total, stored, peerReady },
        'caught up from a peer',
      );
      // A peer that is itself still catching up may hold nothing yet.
      if (peerReady) this.becomeReady(`pulled from ${peer.name}`);
    } catch (error) {
      this.log.warn(
        { event: 'director.catch_up_failed', peer: peer.name, error: errorMessage(error) },
        'cannot catch up from a peer',
      );
    }
  }

  private scheduleTick(): void {
    if (!this.running) return;
    this.tickTimer = this.clock.setTimeout(() => {
      this.issueOwnAd();
      void this.refreshPeers(false).finally(() => this.scheduleTick());
    }, this.intervalMs);
  }

  private scheduleSweep(): void {
    if (!this.running) return;
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweep();
      this.scheduleSweep();
    }, 1000);
  }

  /** Drops expired ads (and learned peers whose ad expired) and permits; logs the refused ads' counts. */
  sweep(): void {
    const now = this.clock.now();
    this.flushRefusedLog(false);
    this.flushPermitLog(false);
    this.logDropped(this.permits.sweep(now));
    if (this.running) this.probeNodes(now);
    for (const entry of this.store.expire(now)) {
      this.log.info({ event: 'director.ad_expired', ad: describeAd(entry.ad) }, 'ad expired');
      if (entry.ad.kind === 'node') {
        this.views.clear();
        this.logDropped(this.permits.observe(entry.ad.origin, undefined, now));
      }
      if (entry.ad.kind === 'director') {
        const peer = this.peers.get(entry.ad.origin);
        if (peer?.source === 'learned') {
          peer.link.stop();
          this.peers.delete(peer.name);
          this.log.warn(
            { event: 'director.peer_dropped', peer: peer.name },
            'learned peer director dropped: its ad expired',
          );
        }
      }
    }
  }

  /** The refused ads not logged one by one: a line per sender and reason with the count. */
  private flushRefusedLog(all: boolean): void {
    for (const { key, suppressed } of this.refusedLog.flush(this.clock.now(), all)) {
      const space = key.indexOf(' ');
      this.log.warn(
        {
          event: 'director.ad_refused',
          from: key.slice(space + 1),
          reason: key.slice(0, space),
          suppressed,
        },
        'ads refused',
      );
    }
  }

  private count(sender: string, what: keyof ReceivedCounts): void {
    const from = this.senderKey(sender);
    let counts = this.received.get(from);
    if (counts === undefined) {
      counts = { stored: 0, duplicate: 0, stale: 0, expired: 0, refused: 0, full: 0, repeats: 0 };
      this.received.set(from, counts);
    }
    counts[what]++;
  }

  /** Seen-by is unsigned: only senders this director knows count (and log) on their own. */
  private senderKey(sender: string): string {
    const known =
      sender === 'origin' ||
      sender.startsWith('probe ') ||
      sender.startsWith('pull ') ||
      this.peers.has(sender) ||
      this.store.get(originKey({ kind: 'director', origin: sender })) !== undefined;
    return known ? sender : 'other';
  }

  // ---- withdrawal permits (fleet guard) ----

  /**
   * POST /v1/permits: a node asks whether it may withdraw a service, or releases its
   * permit. Throws DirectorError (PERMIT_*) for a request that is malformed, not
   * signed by the trusted node key of its origin, or issued further than clock_skew
   * from this director's clock. The caller checks readiness first.
   */
  permit(value: unknown): PermitAnswer {
    const now = this.clock.now();
    const request = this.checkPermitRequest(value, now);
    const { origin, service } = request;
    const view = this.serviceView(service, now);
    if (request.action === 'release') {
      const held = this.permits.release(origin, service, request.issuedAt);
      const answer = this.permitCounts(service, view, now);
      if (held)
        this.log.info(
          {
            event: 'director.permit_released',
            node: origin,
            service,
            outstanding: answer.outstanding,
          },
          'withdrawal permit released',
        );
      return {
        ...answer,
        granted: false,
        reason: held ? 'released' : 'no permit was held (or a newer acquire holds it)',
      };
    }
    // requestSchema: an acquire has a minimum.
    const minimum = request.minimum!;
    const answer = this.permits.acquire(
      origin,
      service,
      minimum,
      view,
      this.holdMs(origin),
      now,
      request.issuedAt,
    );
    const fields = {
      node: origin,
      service,
      announcing: answer.announcing,
      total: answer.total,
      min: answer.min,
      outstanding: answer.outstanding,
      reason: answer.reason,
    };
    if (answer.granted)
      this.log.info(
        { event: 'director.permit_granted', ...fields, expiresAt: answer.expiresAt },
        'withdrawal permit granted',
      );
    else {
      // A guarded node asks again every second: one line per node and service per interval.
      const line = this.permitLog.hit(`director.permit_refused ${service}/${origin}`, now);
      if (line !== undefined)
        this.log.info(
          { event: 'director.permit_refused', ...fields, suppressed: line.suppressed },
          'withdrawal permit refused',
        );
    }
    return answer;
  }

  private checkPermitRequest(value: unknown, now: number): PermitRequest {
    const claimed = (value as { request?: { origin?: unknown } } | null)?.request?.origin;
    const origin = typeof claimed === 'string' ? claimed.slice(0, 128) : '?';
    const refuse = (
      code: 'PERMIT_INVALID' | 'PERMIT_UNTRUSTED' | 'PERMIT_BAD_SIGNATURE' | 'PERMIT_CLOCK',
      message: string,
    ): never => {
      const error = new DirectorError(code, message);
      // The origin is unverified here: made-up names share the overflow key.
      const line = this.permitLog.hit(`${error.kind} ${origin}`, now);
      if (line !== undefined)
        this.log.warn(
          {
            event: 'director.permit_request_refused',
            origin,
            reason: error.kind,
            error: message,
            suppressed: line.suppressed,
          },
          'permit request refused',
        );
      throw error;
    };
    const parsed = permitEnvelopeSchema.safeParse(value);
    if (!parsed.success)
      return refuse('PERMIT_INVALID', `not a valid permit request: ${formatIssues(parsed.error)}`);
    const { request } = parsed.data;
    const keys = this.trusted.keysFor('node', request.origin);
    if (keys.length === 0)
      return refuse(
        'PERMIT_UNTRUSTED',
        `no trusted key may sign for node "${request.origin}": add a line "node ${request.origin} ed25519 <public key>" to the trusted keys file`,
      );
    if (!keys.some((k) => verifyPermitRequest(parsed.data, k.key)))
      return refuse(
        'PERMIT_BAD_SIGNATURE',
        `the permit request of node "${request.origin}" does not verify with its trusted key${keys.length === 1 ? '' : 's'}: forged, tampered with, or signed with another key`,
      );
    const skew = this.store.skewAllowanceMs;
    if (Math.abs(now - request.issuedAt) > skew)
      return refuse(
        'PERMIT_CLOCK',
        `the permit request was issued ${Math.round((now - request.issuedAt) / 1000)} s from this director's clock (allowance for clock skew ${skew / 1000} s): replayed, or the clocks differ`,
      );
    return request;
  }

  /**
   * How long a grant is held at most: the node's ad lifetime (its stored ad's, else the
   * longest it signed, else the longest any ad may claim) + clock_skew. By then every ad
   * it signed before it used the permit has expired here.
   */
  private holdMs(origin: string): number {
    const key = originKey({ kind: 'node', origin });
    const ad = this.store.get(key)?.ad;
    const lifetime =
      ad !== undefined
        ? ad.expires - ad.issuedAt
        : (this.store.record(key)?.longestMs ?? MAX_LIFETIME_MS);
    return lifetime + this.store.skewAllowanceMs;
  }

  /** Who announces `service` by the unexpired node ads here. */
  private serviceView(service: string, now: number): ServiceView {
    const cached = this.views.get(service);
    if (cached !== undefined && now < cached.until) return cached.view;
    let until = Infinity;
    const nodes: LiveNode[] = [];
    for (const node of this.liveNodes(now))
      if (node.services.some((s) => s.name === service)) {
        nodes.push(node);
        until = Math.min(until, node.expiresAt);
      }
    const view = serviceView(nodes, service);
    this.views.set(service, { view, until });
    return view;
  }

  /** The node ads here that have not expired. */
  private *liveNodes(now: number): Generator<LiveNode> {
    for (const entry of this.store.all())
      if (entry.ad.kind === 'node' && entry.expiresAt > now)
        yield {
          origin: entry.ad.origin,
          services: entry.ad.node.services,
          expiresAt: entry.expiresAt,
        };
  }

  private permitCounts(
    service: string,
    view: ServiceView,
    now: number,
  ): Omit<PermitAnswer, 'granted' | 'reason' | 'expiresAt'> {
    const minimum = this.permits.minimum(service);
    return {
      service,
      announcing: view.announcing.size,
      total: view.listed.size,
      min: minimum === undefined ? 0 : minimumCount(minimum, view.listed.size),
      outstanding: this.permits.holders(service, now).length,
    };
  }

  /** GET /v1/permits: per service, who announces it and the permits held. */
  permitsView(): unknown {
    const now = this.clock.now();
    const names = new Set(this.permits.services());
    for (const node of this.liveNodes(now)) for (const s of node.services) names.add(s.name);
    const services = [...names].sort().map((service) => {
      const view = this.serviceView(service, now);
      const minimum = this.permits.minimum(service);
      return {
        ...this.permitCounts(service, view, now),
        ...(minimum === undefined ? {} : { minimum }),
        holders: this.permits.holders(service, now).map((p) => ({
          node: p.node,
          grantedAt: p.grantedAt,
          expiresAt: p.expiresAt,
          expiresInMs: p.expiresAt - now,
        })),
      };
    });
    return { director: this.name, services };
  }

  private logDropped(dropped: readonly Dropped[]): void {
    for (const d of dropped)
      this.log.info(
        { event: 'director.permit_dropped', node: d.node, service: d.service, why: d.why },
        `withdrawal permit dropped: ${d.why}`,
      );
  }

  /** The permit refusals not logged one by one: a line per key with the count. */
  private flushPermitLog(all: boolean): void {
    for (const { key, suppressed } of this.permitLog.flush(this.clock.now(), all)) {
      const space = key.indexOf(' ');
      const reason = key.slice(0, space);
      const what = key.slice(space + 1);
      if (reason === 'director.permit_refused')
        this.log.info(
          { event: 'director.permit_refused', of: what, suppressed },
          'withdrawal permits refused',
        );
      else
        this.log.warn(
          { event: 'director.permit_request_refused', origin: what, reason, suppressed },
          'permit requests refused',
        );
    }
  }

  // ---- views ----

  /** Every stored ad as an envelope (GET /v1/ads): the catch-up table. */
  envelopes(kind?: 'node' | 'director'): Envelope[] {
    return this.page(kind, 0, Infinity).ads;
  }

  /**
   * One page of the table (GET /v1/ads?offset=&limit=): `next` is the offset of the
   * following page, absent on the last one. Offsets count stored ads in storage
   * order; an ad stored or expiring during a paged read may be missed or seen twice,
   * which the next interval's ads mend.
   */
  page(
    kind: 'node' | 'director' | undefined,
    offset: number,
    limit: number,
  ): { ads: Envelope[]; next?: number } {
    const now = this.clock.now();
    const ads: Envelope[] = [];
    let index = 0;
    for (const entry of this.store.all()) {
      if (kind !== undefined && entry.ad.kind !== kind) continue;
      if (index++ < offset || entry.expiresAt <= now) continue;
      if (ads.length >= limit) return { ads, next: index - 1 };
      ads.push(this.envelopeFor(entry, now));
    }
    return { ads };
  }

  nodes(): unknown[] {
    const now = this.clock.now();
    const out: unknown[] = [];
    const outside = this.outside(now);
    const alive = this.directorsAlive(now);
    for (const entry of this.store.all()) {
      if (entry.ad.kind !== 'node') continue;
      const ad = entry.ad;
      const view =
        outside.get(ad.origin) ??
        (ad.node.probe === undefined ? undefined : outsideView([], alive));
      out.push({
        name: ad.origin,
        ...ad.node,
        instance: ad.instance,
        startTime: ad.startTime,
        generation: ad.generation,
        issuedAt: ad.issuedAt,
        receivedAt: entry.receivedAt,
        expiresInMs: entry.expiresAt - now,
        from: entry.from,
        path: [`node ${ad.origin}`, ...entry.seenBy.map((s) => s.name)],
        ...(view === undefined ? {} : { outside: view }),
      });
    }
    return out;
  }

  directors(): unknown {
    const now = this.clock.now();
    const known: unknown[] = [];
    for (const entry of this.store.all())
      if (entry.ad.kind === 'director')
        known.push({
          name: entry.ad.origin,
          url: entry.ad.director.url,
          instance: entry.ad.instance,
          generation: entry.ad.generation,
          expiresInMs: entry.expiresAt - now,
          path: entry.seenBy.map((s) => s.name),
        });
    return {
      name: this.name,
      instance: this.instance,
      startTime: this.startTime,
      url: this.advertiseUrl,
      self: this.ownEnvelope(),
      peers: this.peerViews(),
      candidates: [...this.candidates].map(([url, c]) => ({
        url,
        source: c.source,
        lastError: c.lastError,
      })),
      known,
      directors: this.envelopes('director'),
      received: Object.fromEntries(this.received),
      ...(this.discoveryError === undefined ? {} : { discoveryError: this.discoveryError }),
    };
  }

  peerViews(): PeerView[] {
    return [...this.peers.values()].map((p) => ({
      name: p.name,
      url: p.url,
      instance: p.instance,
      source: p.source,
      link: p.link.status(),
    }));
  }

  receivedCounts(): ReadonlyMap<string, ReceivedCounts> {
    return this.received;
  }

  /** GET /v1/locate/{service}: healthy nodes best first, then the anycast URL. */
  locate(
    service: string,
    clientIp: string | undefined,
  ): {
    service: string;
    client: ClientPlace;
    nodes: RankedNode[];
    anycast?: string;
  } {
    const now = this.clock.now();
    const ads: NodeAd[] = [];
    const outside = this.outside(now);
    // A node a majority of directors cannot reach is not handed out, whatever it says.
    for (const entry of this.store.all())
      if (
        entry.ad.kind === 'node' &&
        entry.expiresAt > now &&
        outside.get(entry.ad.origin)?.excluded !== true
      )
        ads.push(entry.ad);
    const client = this.sites.place(clientIp);
    const nodes = rankNodes(ads, service, client, this.options.random);
    const anycast = this.options.services?.[service]?.anycastUrl;
    return { service, client, nodes, ...(anycast === undefined ? {} : { anycast }) };
  }

  /** The federation discovery document this director serves. */
  discovery(): DiscoveryDocument {
    const directors = new Set<string>([this.advertiseUrl]);
    for (const peer of this.peers.values()) directors.add(peer.url);
    for (const entry of this.store.all())
      if (entry.ad.kind === 'director') directors.add(entry.ad.director.url);
    const services: Record<string, { anycast_url?: string }> = {};
    for (const [name, service] of Object.entries(this.options.services ?? {}))
      services[name] = service.anycastUrl === undefined ? {} : { anycast_url: service.anycastUrl };
    return { directors: [...directors], services };
  }
}

export { DISCOVERY_PATH };

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** "http://127.0.0.1:8441" for "http://127.0.0.1:8441/": one spelling per URL. */
export function normalizeUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return text;
  }
}

export { DirectorError };

/** The origin an envelope claims, for the answer to a refused one. */
function originOf(value: unknown): string {
  const origin = (value as { ad?: { origin?: unknown } } | null)?.ad?.origin;
  return typeof origin === 'string' ? origin.slice(0, 128) : '?';
}
