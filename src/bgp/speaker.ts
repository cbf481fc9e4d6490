/**
 * The embedded BGP speaker: a declarative announce/withdraw API over many peer
 * sessions. The caller states which prefixes should be announced; every peer's
 * Adj-RIB-Out follows that table, a new or re-established peer gets the whole
 * table then End-of-RIB, and a clean stop withdraws everything before the Cease.
 *
 * In collector mode it also keeps what peers announce to it (never installed in
 * the kernel), so tests, benchmarks and the demo can use it as the router.
 */
import { EventEmitter } from 'node:events';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../clock/index.js';
import { encodeShutdownCommunication, parseCommunity, parseLargeCommunity } from './codec/index.js';
import { BGP_PORT, CeaseSubcode } from './constants.js';
import { DEFAULT_LOCAL_PREF, type RouteAttributes } from './export-policy.js';
import { normalizeAddress } from './connection.js';
import type { ReceivedRoute } from './adj-rib-in.js';
import type { LocRoute } from './adj-rib-out.js';
import { ceaseNotification, rejectSocket } from './notifications.js';
import type { PeerConfig } from './peer-config.js';
import { PeerSession, type PeerStatus } from './peer-session.js';
import {
  formatPrefix,
  parseAddress,
  parsePrefix,
  prefixKey,
  type Family,
  type Prefix,
} from './prefix.js';

export interface PeerOptions {
  /** Peer address (IPv4 or IPv6); the session's transport. */
  readonly address: string;
  readonly asn: number;
  /** Shown in logs and status; defaults to the address. */
  readonly name?: string;
  /** TCP port to connect to; default 179. */
  readonly port?: number;
  /** Source address for our connection. */
  readonly localAddress?: string;
  /** Only accept the peer's connection (needs `listen`). */
  readonly passive?: boolean;
  /** Seconds: 0, or 3 and above. Default: the speaker's holdTime. */
  readonly holdTime?: number;
  /** Base retry delay in seconds, doubled per consecutive failure. Default 5. */
  readonly connectRetry?: number;
  /** Ceiling of the retry backoff in seconds. Default 120. */
  readonly maxConnectRetry?: number;
  /** Address families to negotiate. Default both. */
  readonly families?: readonly Family[];
  /** Next hops to announce. Default: ourselves (the session's local address, or an address of the same interface). */
  readonly nextHop?: {
    readonly ipv4?: string;
    readonly ipv6?: string;
    readonly ipv6LinkLocal?: string;
  };
  /** "65001:100" or a well-known name ("no-export"). Added to every route sent to this peer. */
  readonly communities?: readonly string[];
  /** "65001:1:2". */
  readonly largeCommunities?: readonly string[];
  readonly med?: number;
  /** Extra copies of our AS on the path. */
  readonly prepend?: number;
  /** iBGP only. Default 100. */
  readonly localPref?: number;
}

export interface SpeakerOptions {
  readonly asn: number;
  /** BGP Identifier, dotted quad. */
  readonly routerId: string;
  /** Accept incoming sessions. Default false: we connect out only. */
  readonly listen?: false | { readonly host?: string; readonly port?: number };
  /** Keep routes peers announce to us. */
  readonly collector?: boolean;
  /** Default hold time for peers, seconds. Default 30. */
  readonly holdTime?: number;
  readonly peers?: readonly PeerOptions[];
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
}

/** Attributes for one announced prefix, as an operator writes them. */
export interface AnnounceAttributes {
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  readonly med?: number;
  readonly prepend?: number;
  readonly localPref?: number;
}

export class SpeakerConfigError extends Error {
  readonly kind = 'BGP_SPEAKER_CONFIG';
  readonly key: string;
  constructor(key: string, reason: string) {
    super(`${key}: ${reason}`);
    this.name = 'SpeakerConfigError';
    this.key = key;
  }
}

const DEFAULT_HOLD_TIME = 30;
const STOP_FLUSH_TIMEOUT_MS = 3000;
const STOP_CLOSE_TIMEOUT_MS = 3000;

export interface SpeakerEvents {
  'peer-state': [PeerStatus];
}

export class BgpSpeaker extends EventEmitter<SpeakerEvents> {
  readonly asn: number;
  readonly routerId: string;
  private readonly options: SpeakerOptions;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly locRib = new Map<string, LocRoute>();
  private readonly interned = new Map<string, RouteAttributes>();
  private readonly sessions = new Map<string, PeerSession>();
  private server: Server | undefined;
  private started = false;

  constructor(options: SpeakerOptions) {
    super();
    this.asn = checkAsn('asn', options.asn);
    this.routerId = checkRouterId(options.routerId);
    this.options = options;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.clock = options.clock ?? systemClock;
    if (options.holdTime !== undefined) checkHoldTime('holdTime', options.holdTime);
    (options.peers ?? []).forEach((peer, i) => this.addPeerSession(peer, `peers[${i}]`));
  }

  /** Port the listener is bound to, once started with `listen`. */
  get listenPort(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (this.options.listen !== undefined && this.options.listen !== false)
      await this.listen(this.options.listen);
    this.started = true;
    for (const session of this.sessions.values()) session.start();
  }

  /**
   * Withdraws every route, waits (bounded) for the withdrawals to go out, then
   * closes every session with Cease / Administrative Shutdown carrying `message`.
   */
  async stop(message = 'anycast-guard stopping'): Promise<void> {
    const keys = [...this.locRib.keys()];
    this.locRib.clear();
    for (const session of this.sessions.values()) for (const key of keys) session.routeChanged(key);
    await withTimeout(this.flushed(), STOP_FLUSH_TIMEOUT_MS);
    const notification = ceaseNotification(
      CeaseSubcode.AdministrativeShutdown,
      encodeShutdownCommunication(message),
    );
    await withTimeout(
      Promise.all([...this.sessions.values()].map((s) => s.stop(notification))),
      STOP_CLOSE_TIMEOUT_MS,
    );
    const server = this.server;
    this.server = undefined;
    this.started = false;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  addPeer(options: PeerOptions): void {
    const session = this.addPeerSession(options, `peer ${options.address}`);
    if (this.started) session.start();
  }

  async removePeer(address: string, message = 'peer removed from configuration'): Promise<void> {
    const key = normalizeAddress(address) ?? address;
    const session = this.sessions.get(key);
    if (session === undefined) return;
    this.sessions.delete(key);
    // RFC 8203 defines shutdown text for subcodes 2 and 4 only, so the reason stays in our log.
    this.logger.info(
      { event: 'bgp.peer_removed', peer: session.config.name, reason: message },
      'removing peer',
    );
    await session.stop(ceaseNotification(CeaseSubcode.PeerDeconfigured));
  }

  /** Announce (or change the attributes of) a prefix to every peer. Applied on the next tick, batched. */
  announce(prefix: string | Prefix, attributes: AnnounceAttributes = {}): void {
    const parsed = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
    const key = prefixKey(parsed);
    this.locRib.set(key, { prefix: parsed, attributes: this.intern(attributes) });
    for (const session of this.sessions.values()) session.routeChanged(key);
  }

  /** Withdraw a prefix from every peer. Returns false if it was not announced. */
  withdraw(prefix: string | Prefix): boolean {
    const parsed = typeof prefix === 'string' ? parsePrefix(prefix) : prefix;
    const key = prefixKey(parsed);
    if (!this.locRib.delete(key)) return false;
    for (const session of this.sessions.values()) session.routeChanged(key);
    return true;
  }

  announced(): { prefix: string; attributes: RouteAttributes }[] {
    return [...this.locRib.values()].map((r) => ({
      prefix: formatPrefix(r.prefix),
      attributes: r.attributes,
    }));
  }

  peerStatus(): PeerStatus[] {
    return [...this.sessions.values()].map((s) => s.status());
  }

  receivedRoutes(): ReceivedRoute[] {
    return [...this.sessions.values()].flatMap((s) => s.receivedRoutes());
  }

  /** Resolves once every Established peer has written all pending changes to its socket. */
  async flushed(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.flushed()));
  }

  private addPeerSession(options: PeerOptions, key: string): PeerSession {
    const config = resolvePeer(options, key, this.options.holdTime ?? DEFAULT_HOLD_TIME);
    const address = normalizeAddress(config.address) ?? config.address;
    if (this.sessions.has(address))
      throw new SpeakerConfigError(`${key}.address`, `peer ${address} is configured twice`);
    if (config.passive && (this.options.listen === undefined || this.options.listen === false)) {
      throw new SpeakerConfigError(
        `${key}.passive`,
        'a passive peer needs the speaker to listen (set listen)',
      );
    }
    const session = new PeerSession(config, {
      localAsn: this.asn,
      routerId: this.routerId,
      locRib: this.locRib,
      clock: this.clock,
      logger: this.logger,
      random: this.options.random ?? Math.random,
      collector: this.options.collector ?? false,
      onStateChange: (s) => this.emit('peer-state', s.status()),
    });
    this.sessions.set(address, session);
    return session;
  }

  private intern(attributes: AnnounceAttributes): RouteAttributes {
    const resolved: RouteAttributes = {
      ...(attributes.communities === undefined || attributes.communities.length === 0
        ? {}
        : {
            communities: [...new Set(attributes.communities.map(parseCommunity))].sort(
              (a, b) => a - b,
            ),
          }),
      ...(attributes.largeCommunities === undefined || attributes.largeCommunities.length === 0
        ? {}
        : { largeCommunities: attributes.largeCommunities.map(parseLargeCommunity) }),
      ...(attributes.med === undefined ? {} : { med: checkUint32('med', attributes.med) }),
      ...(attributes.prepend === undefined
        ? {}
        : { prepend: checkRange('prepend', attributes.prepend, 0, 32) }),
      ...(attributes.localPref === undefined
        ? {}
        : { localPref: checkUint32('localPref', attributes.localPref) }),
    };
    // Routes with equal attributes share one object, so each peer exports them once.
    const signature = JSON.stringify(resolved);
    const existing = this.interned.get(signature);
    if (existing !== undefined) return existing;
    this.interned.set(signature, resolved);
    return resolved;
  }

  private listen(listen: { readonly host?: string; readonly port?: number }): Promise<void> {
    const server = createServer((socket) => this.onIncoming(socket));
    this.server = server;
    const port = listen.port ?? BGP_PORT;
    const host = listen.host ?? '::';
    return new Promise((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const hint =
          error.code === 'EACCES' ? ' (port below 1024 needs root or CAP_NET_BIND_SERVICE)' : '';
        reject(
          new Error(`cannot listen for BGP on [${host}]:${port}: ${error.message}${hint}`, {
            cause: error,
          }),
        );
      });
      server.listen({ host, port, ipv6Only: false }, () => {
        server.on('error', (error) =>
          this.logger.error(
            { event: 'bgp.listener_error', err: error.message },
            'BGP listener error',
          ),
        );
        this.logger.info(
          { event: 'bgp.listening', host, port: this.listenPort },
          'listening for BGP',
        );
        resolve();
      });
    });
  }

  private onIncoming(socket: Socket): void {
    const remote = normalizeAddress(socket.remoteAddress);
    const session = remote === undefined ? undefined : this.sessions.get(remote);
    if (session === undefined) {
      this.logger.warn(
        { event: 'bgp.connection_refused', reason: 'unconfigured', remote },
        'refusing BGP connection from an unconfigured address',
      );
      rejectSocket(socket, CeaseSubcode.ConnectionRejected);
      return;
    }
    session.acceptIncoming(socket);
  }
}

function resolvePeer(options: PeerOptions, key: string, defaultHoldTime: number): PeerConfig {
  const address = checkAddress(`${key}.address`, options.address);
  const families = options.families ?? ['ipv4', 'ipv6'];
  if (families.length === 0 || families.some((f) => f !== 'ipv4' && f !== 'ipv6')) {
    throw new SpeakerConfigError(`${key}.families`, 'must list "ipv4" and/or "ipv6"');
  }
  const parseList = <T>(
    what: string,
    items: readonly string[] | undefined,
    parse: (text: string) => T,
  ): T[] =>
    (items ?? []).map((text, i) => {
      try {
        return parse(text);
      } catch (error) {
        throw new SpeakerConfigError(
          `${key}.${what}[${i}]`,
          error instanceof Error ? error.message : String(error),
        );
      }
    });
  const nextHop = options.nextHop ?? {};
  const nextHopIpv4 =
    nextHop.ipv4 === undefined ? undefined : checkAddress(`${key}.nextHop.ipv4`, nextHop.ipv4, 4);
  const nextHopIpv6 =
    nextHop.ipv6 === undefined ? undefined : checkAddress(`${key}.nextHop.ipv6`, nextHop.ipv6, 6);
  const linkLocal =
    nextHop.ipv6LinkLocal === undefined
      ? undefined
      : checkAddress(`${key}.nextHop.ipv6LinkLocal`, nextHop.ipv6LinkLocal, 6);
  const connectRetry = options.connectRetry ?? 5;
  if (!(connectRetry > 0 && connectRetry <= 3600)) {
    throw new SpeakerConfigError(
      `${key}.connectRetry`,
      'must be more than 0 and at most 3600 seconds',
    );
  }
  const maxConnectRetry = options.maxConnectRetry ?? Math.max(120, connectRetry);
  if (!(maxConnectRetry >= connectRetry)) {
    throw new SpeakerConfigError(`${key}.maxConnectRetry`, 'must be at least connectRetry');
  }
  return {
    name: options.name ?? address,
    address,
    port: checkRange(`${key}.port`, options.port ?? BGP_PORT, 1, 65535),
    asn: checkAsn(`${key}.asn`, options.asn),
    ...(options.localAddress === undefined
      ? {}
      : { localAddress: checkAddress(`${key}.localAddress`, options.localAddress) }),
    passive: options.passive ?? false,
    holdTime: checkHoldTime(`${key}.holdTime`, options.holdTime ?? defaultHoldTime),
    connectRetry,
    maxConnectRetry,
    openHoldTime: 240,
    families: [...new Set(families)],
    ...(nextHopIpv4 === undefined ? {} : { nextHopIpv4 }),
    ...(nextHopIpv6 === undefined ? {} : { nextHopIpv6 }),
    ...(linkLocal === undefined ? {} : { linkLocalNextHopIpv6: linkLocal }),
    communities: [...new Set(parseList('communities', options.communities, parseCommunity))].sort(
      (a, b) => a - b,
    ),
    largeCommunities: parseList('largeCommunities', options.largeCommunities, parseLargeCommunity),
    ...(options.med === undefined ? {} : { med: checkUint32(`${key}.med`, options.med) }),
    prepend: checkRange(`${key}.prepend`, options.prepend ?? 0, 0, 32),
    localPref: checkUint32(`${key}.localPref`, options.localPref ?? DEFAULT_LOCAL_PREF),
  };
}

function checkRange(key: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SpeakerConfigError(
      key,
      `must be a whole number from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

function checkUint32(key: string, value: number): number {
  return checkRange(key, value, 0, 0xffffffff);
}

function checkAsn(key: string, value: number): number {
  return checkRange(key, value, 1, 0xffffffff);
}

/** RFC 4271 section 4.2: zero, or at least three seconds. */
function checkHoldTime(key: string, value: number): number {
  checkRange(key, value, 0, 65535);
  if (value === 1 || value === 2)
    throw new SpeakerConfigError(key, 'must be 0 or at least 3 seconds (RFC 4271 4.2)');
  return value;
}

function checkRouterId(value: string): string {
  if (isIP(value) !== 4 || value === '0.0.0.0') {
    throw new SpeakerConfigError('routerId', `must be a non-zero IPv4 dotted quad, got "${value}"`);
  }
  parseAddress(value, 'routerId');
  return value;
}

function checkAddress(key: string, value: string, family?: 4 | 6): string {
  const kind = isIP(value);
  if (kind === 0) throw new SpeakerConfigError(key, `"${value}" is not an IP address`);
  if (family !== undefined && kind !== family) {
    throw new SpeakerConfigError(key, `"${value}" is not an IPv${family} address`);
  }
  return value;
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
