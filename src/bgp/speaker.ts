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
import { createServer, type Server, type Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../clock/index.js';
import {
  setMd5Key,
  setMinTtl,
  setTtl,
  sockoptSupport,
  GTSM_TTL,
  type AddressFamily,
} from '../sockopt/index.js';
import { formatPath, type KeyPath } from '../validation/index.js';
import { encodeShutdownCommunication } from './codec/index.js';
import { BGP_PORT, CeaseSubcode } from './constants.js';
import type { RouteAttributes } from './export-policy.js';
import {
  checkPeerOptions,
  checkSpeakerOptions,
  parseAnnounceAttributes,
  peerExportDefaults,
  PEER_DEFAULTS,
  SpeakerConfigError,
  type AnnounceAttributes,
  type PeerOptions,
  type SpeakerOptions,
} from './options.js';
import { normalizeAddress } from './connection.js';
import type { ReceivedRoute } from './adj-rib-in.js';
import { ceaseNotification, rejectSocket } from './notifications.js';
import { withPasswordFromFile } from './password-file.js';
import type { PeerConfig } from './peer-config.js';
import { SpeakerBfd } from './peer-bfd.js';
import { PeerSession, type PeerStatus } from './peer-session.js';
import { formatPrefix, parsePrefix, prefixFromKey, prefixKey, type Prefix } from './prefix.js';

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
  /** Prefix key to its (interned) attributes: see adj-rib-out.ts on memory. */
  private readonly locRib = new Map<string, RouteAttributes>();
  private readonly interned = new Map<string, RouteAttributes>();
  private readonly internedByInput = new Map<string, RouteAttributes>();
  private readonly sessions = new Map<string, PeerSession>();
  private server: Server | undefined;
  /** The listener sends with TTL 255 (some peer has ttl_security). */
  private listenerGtsm = false;
  private started = false;
  private readonly bfd: SpeakerBfd;

  constructor(options: SpeakerOptions) {
    super();
    const invalid = checkSpeakerOptions(options);
    if (invalid !== undefined) throw invalid;
    this.asn = options.asn;
    this.routerId = options.routerId;
    this.options = options;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.clock = options.clock ?? systemClock;
    this.bfd = new SpeakerBfd(this.logger);
    (options.peers ?? []).forEach((peer, i) => this.addPeerSession(peer, ['peers', i]));
  }

  private get listening(): boolean {
    return this.options.listen !== undefined && this.options.listen !== false;
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
    this.bfd.start();
    for (const session of this.sessions.values()) session.start();
  }

  /**
   * Withdraws every route, waits (bounded) for the withdrawals to go out, then
   * closes every session with Cease / Administrative Shutdown carrying `message`.
   */
  async stop(message = 'anycast-guard stopping'): Promise<void> {
    this.locRib.clear();
    for (const session of this.sessions.values()) session.tableCleared();
    await withTimeout(this.flushed(), STOP_FLUSH_TIMEOUT_MS);
    const notification = ceaseNotification(
      CeaseSubcode.AdministrativeShutdown,
      encodeShutdownCommunication(message),
    );
    await withTimeout(
      Promise.all([...this.sessions.values()].map((s) => s.stop(notification))),
      STOP_CLOSE_TIMEOUT_MS,
    );
    await this.bfd.stop();
    const server = this.server;
    this.server = undefined;
    this.listenerGtsm = false;
    this.started = false;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  addPeer(options: PeerOptions): void {
    const session = this.addPeerSession(options, ['peers', this.sessions.size]);
    if (this.started) session.start();
  }

  async removePeer(address: string, message = 'peer removed from configuration'): Promise<void> {
    const key = normalizeAddress(address) ?? address;
    const session = this.sessions.get(key);
    if (session === undefined) return;
    this.sessions.delete(key);
    this.bfd.detach(key);
    this.secureListener(session.config, false);
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
    this.locRib.set(key, this.intern(attributes));
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
    return [...this.locRib].map(([key, attributes]) => ({
      prefix: formatPrefix(prefixFromKey(key)),
      attributes,
    }));
  }

  /**
   * To how many of its peers a prefix is announced right now, of how many configured:
   * "announced" in the Loc-RIB means nothing to a router that never got it.
   */
  announcedTo(prefix: string): { readonly sent: number; readonly of: number } {
    const key = prefixKey(parsePrefix(prefix));
    let sent = 0;
    for (const session of this.sessions.values()) if (session.hasAnnounced(key)) sent++;
    return { sent, of: this.sessions.size };
  }

  peerStatus(): PeerStatus[] {
    return [...this.sessions].map(([key, s]) => this.bfd.withStatus(key, s.status()));
  }

  /** A peer's `bfd` changed (a reload): its BFD session follows, its BGP session stays. */
  setPeerBfd(address: string, bfd: PeerOptions['bfd']): void {
    const key = normalizeAddress(address) ?? address;
    const session = this.sessions.get(key);
    if (session !== undefined) this.bfd.change(key, session, bfd);
  }

  receivedRoutes(): ReceivedRoute[] {
    return [...this.sessions.values()].flatMap((s) => s.receivedRoutes());
  }

  /** Resolves once every Established peer has written all pending changes to its socket. */
  async flushed(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.flushed()));
  }

  private addPeerSession(given: PeerOptions, key: KeyPath): PeerSession {
    const invalid = checkPeerOptions(given, { asn: this.asn, listening: this.listening }, key);
    if (invalid !== undefined) throw invalid;
    const options = withPasswordFromFile(given, key, this.logger);
    const config = resolvePeer(options, this.options.holdTime ?? PEER_DEFAULTS.holdTime);
    if (config.password !== undefined || config.ttlSecurity) {
      // Never a session without the signature or the TTL check it was configured with.
      const support = sockoptSupport();
      if (!support.ok) {
        const option = config.password !== undefined ? 'password' : 'ttl_security';
        throw new SpeakerConfigError(
          `${formatPath(key)}.${option}`,
          `peer ${config.name} needs ${option === 'password' ? 'TCP-MD5' : 'TTL security'}, but ${support.reason}`,
        );
      }
    }
    const address = normalizeAddress(config.address) ?? config.address;
    if (this.sessions.has(address))
      throw new SpeakerConfigError(
        `${formatPath(key)}.address`,
        `peer ${address} is already configured`,
      );
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
    this.bfd.attach(address, session, options.bfd);
    this.secureListener(config, true);
    return session;
  }

  /**
   * The listener's part of a peer's security: its TCP-MD5 key set (or removed) for
   * the peer's address, so an unsigned or wrongly signed SYN from it never reaches
   * us, and TTL 255 on what the listener sends (SYN-ACKs) once any peer has GTSM.
   */
  private secureListener(peer: PeerConfig, add: boolean): void {
    const listener = this.listenerSocket();
    if (listener === undefined) return;
    if (peer.password !== undefined)
      setMd5Key(
        listener.fd,
        listener.family,
        peer.address,
        add ? Buffer.from(peer.password) : Buffer.alloc(0),
      );
    if (add && peer.ttlSecurity && !this.listenerGtsm) {
      setTtl(listener.fd, listener.family, GTSM_TTL);
      this.listenerGtsm = true;
    }
  }

  private listenerSocket(): { fd: number; family: AddressFamily } | undefined {
    const server = this.server;
    const fd = handleFd(server);
    const address = server?.address();
    if (fd === undefined || typeof address !== 'object' || address === null) return undefined;
    return { fd, family: address.family === 'IPv6' ? 6 : 4 };
  }

  private intern(attributes: AnnounceAttributes): RouteAttributes {
    // Checked and parsed once per distinct attribute set, not once per announce.
    const asGiven = JSON.stringify(attributes);
    const known = this.internedByInput.get(asGiven);
    if (known !== undefined) return known;
    const resolved = parseAnnounceAttributes(attributes);
    // Routes with equal attributes share one object, so each peer exports them once.
    const signature = JSON.stringify(resolved);
    const shared = this.interned.get(signature) ?? resolved;
    this.interned.set(signature, shared);
    this.internedByInput.set(asGiven, shared);
    return shared;
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
        try {
          for (const session of this.sessions.values()) this.secureListener(session.config, true);
        } catch (error) {
          server.close();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
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
    if (session.config.ttlSecurity) {
      // RFC 5082 on the accepted socket: from now on the peer's packets must arrive with
      // 255. (The SYN itself was not checked: the listener serves every peer.)
      const fd = handleFd(socket);
      try {
        if (fd === undefined) throw new Error('no file descriptor');
        setMinTtl(fd, socket.remoteFamily === 'IPv6' ? 6 : 4, GTSM_TTL);
      } catch (error) {
        this.logger.error(
          { event: 'bgp.connection_refused', reason: 'ttl_security', remote, err: String(error) },
          'refusing BGP connection: cannot set its minimum TTL',
        );
        socket.destroy();
        return;
      }
    }
    session.acceptIncoming(socket);
  }
}

/** The file descriptor under a net.Server or net.Socket (Linux: the TCP handle's fd). */
function handleFd(handle: Server | Socket | undefined): number | undefined {
  const fd = (handle as { _handle?: { fd?: unknown } } | undefined)?._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** A checked peer's settings with every default filled in. */
function resolvePeer(options: PeerOptions, defaultHoldTime: number): PeerConfig {
  const connectRetry = options.connectRetry ?? PEER_DEFAULTS.connectRetry;
  const nextHop = options.nextHop ?? {};
  return {
    name: options.name ?? options.address,
    address: options.address,
    port: options.port ?? PEER_DEFAULTS.port,
    asn: options.asn,
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    passive: options.passive ?? false,
    holdTime: options.holdTime ?? defaultHoldTime,
    connectRetry,
    maxConnectRetry:
      options.maxConnectRetry ?? Math.max(PEER_DEFAULTS.maxConnectRetry, connectRetry),
    openHoldTime: 240,
    families: [...new Set(options.families ?? PEER_DEFAULTS.families)],
    ...(nextHop.ipv4 === undefined ? {} : { nextHopIpv4: nextHop.ipv4 }),
    ...(nextHop.ipv6 === undefined ? {} : { nextHopIpv6: nextHop.ipv6 }),
    ...(nextHop.ipv6LinkLocal === undefined ? {} : { linkLocalNextHopIpv6: nextHop.ipv6LinkLocal }),
    ...(options.password === undefined ? {} : { password: options.password }),
    ttlSecurity: options.ttlSecurity ?? false,
    ...peerExportDefaults(options),
  };
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
