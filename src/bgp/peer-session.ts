/**
 * A BGP session with one peer: owns the TCP connection and the timers, feeds
 * socket and timer events to the pure FSM (fsm.ts) and carries out its actions.
 * It also holds the peer's Adj-RIB-Out (what we sent) and, in collector mode,
 * its Adj-RIB-In (what it sent us).
 *
 * RFC 4271 sections 6.8 (connection collision), 8 (FSM), 9.2 (sending updates);
 * RFC 4724 section 2 (End-of-RIB after the initial table); RFC 2918 (answering a
 * route refresh with the whole Adj-RIB-Out); RFC 8203 / RFC 9003 (shutdown
 * communication); RFC 9687 (send hold timer); RFC 7606 (treat-as-withdraw).
 *
 * Known gaps: no TCP-MD5 (Node cannot set TCP_MD5SIG), no graceful restart (on
 * purpose: when we die our routes must go with us), no add-path.
 */
import { connect as tcpConnect, isIPv4, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock/index.js';
import {
  decodeShutdownCommunication,
  encodeKeepalive,
  encodeMessage,
  formatCommunity,
  formatLargeCommunity,
} from './codec/index.js';
import { AS_TRANS, Afi, CeaseSubcode, ErrorCode, FsmSubcode, Safi } from './constants.js';
import { Connection, type ConnectionHandlers } from './connection.js';
import { BgpProtocolError, describeNotification, type NotificationFields } from './errors.js';
import {
  attributesSignature,
  exportAttributes,
  type ExportContext,
  type RouteAttributes,
} from './export-policy.js';
import {
  initialFsmState,
  resolveCollision,
  transition,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  type FsmStateName,
  type Negotiated,
  type TimerName,
} from './fsm.js';
import { formatPrefix, prefixKey, type Family, type Prefix } from './prefix.js';
import type {
  BgpMessage,
  Capability,
  LargeCommunity,
  OpenMessage,
  PathAttributes,
  UpdateMessage,
} from './types.js';
import { announceUpdates, endOfRib, withdrawUpdates } from './update-packer.js';

/** A peer's settings after validation (see speaker.ts for the user-facing options). */
export interface PeerConfig {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  readonly localAddress?: string;
  readonly passive: boolean;
  readonly holdTime: number;
  readonly connectRetry: number;
  readonly maxConnectRetry: number;
  readonly openHoldTime: number;
  readonly families: readonly Family[];
  readonly nextHopIpv4?: string;
  readonly nextHopIpv6?: string;
  readonly linkLocalNextHopIpv6?: string;
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
  readonly med?: number;
  readonly prepend: number;
  readonly localPref: number;
}

export interface LocRoute {
  readonly prefix: Prefix;
  readonly attributes: RouteAttributes;
}

/** The speaker-wide table of what we want announced, shared by every peer. */
export interface LocRib {
  get(key: string): LocRoute | undefined;
  entries(): IterableIterator<[string, LocRoute]>;
}

export interface SessionEnvironment {
  readonly localAsn: number;
  readonly routerId: string;
  readonly locRib: LocRib;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  readonly collector: boolean;
  readonly onStateChange: (session: PeerSession) => void;
}

export interface ErrorRecord {
  readonly code: number;
  readonly subcode: number;
  readonly description: string;
  readonly shutdownMessage?: string;
  readonly at: number;
}

export interface PeerStatus {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  readonly state: FsmStateName;
  /** Epoch ms of the last state change. */
  readonly since: number;
  readonly localAddress?: string;
  readonly holdTime?: number;
  readonly families?: readonly Family[];
  readonly fourOctetAs?: boolean;
  readonly peerRouterId?: string;
  /** Why a negotiated family is not being exported (no next hop). */
  readonly exportProblems: readonly string[];
  readonly lastErrorSent?: ErrorRecord;
  readonly lastErrorReceived?: ErrorRecord;
  readonly lastDownReason?: string;
  readonly prefixesAnnounced: number;
  readonly prefixesReceived: number;
  readonly updatesSent: number;
  readonly updatesReceived: number;
  readonly establishedCount: number;
}

export interface ReceivedRoute {
  readonly peer: string;
  readonly prefix: string;
  readonly nextHop?: string;
  readonly asPath: number[];
  readonly communities: string[];
  readonly largeCommunities: string[];
  readonly med?: number;
  readonly localPref?: number;
}

interface SentRoute {
  readonly prefix: Prefix;
  readonly signature: string;
}

interface ExportedAttributes {
  readonly attributes: PathAttributes;
  readonly signature: string;
  readonly size: number;
}

/** Prefix changes examined per flush step; keeps each step short so the event loop stays free. */
const FLUSH_BATCH = 4000;
const EMPTY = new Uint8Array(0);

export class PeerSession {
  readonly config: PeerConfig;
  private readonly env: SessionEnvironment;
  private readonly log: Logger;
  private readonly fsmConfig: FsmConfig;
  private fsm: FsmState = initialFsmState;
  private since: number;
  private readonly timers = new Map<TimerName, TimerHandle>();
  private connection: Connection | undefined;
  private outgoing: Socket | undefined;
  private candidate: Connection | undefined;
  private readonly eventQueue: FsmEvent[] = [];
  private dispatching = false;

  // Adj-RIB-Out: what the peer has from us, and which prefixes need another look.
  private readonly sent = new Map<string, SentRoute>();
  private readonly dirty = new Set<string>();
  private exportContext: ExportContext | undefined;
  private exportFamilies = new Set<Family>();
  private exportProblems: string[] = [];
  private exportCache = new WeakMap<
    RouteAttributes,
    Partial<Record<Family, ExportedAttributes | null>>
  >();
  private endOfRibPending = false;
  private flushScheduled = false;
  private flushWaiters: (() => void)[] = [];

  // Adj-RIB-In, collector mode only.
  private readonly received = new Map<string, ReceivedRoute>();

  private lastErrorSent: ErrorRecord | undefined;
  private lastErrorReceived: ErrorRecord | undefined;
  private lastDownReason: string | undefined;
  private updatesSent = 0;
  private updatesReceived = 0;
  private establishedCount = 0;

  private readonly connectionHandlers: ConnectionHandlers = {
    message: (connection, message) => this.onMessage(connection, message),
    protocolError: (connection, error) => this.onProtocolError(connection, error),
    closed: (connection, reason) => this.onClosed(connection, reason),
    drained: (connection) => {
      if (connection === this.connection) this.flush();
    },
    sendHoldExpired: (connection) => {
      if (connection === this.connection) this.dispatch({ type: 'send-hold-expired' });
    },
  };

  constructor(config: PeerConfig, env: SessionEnvironment) {
    this.config = config;
    this.env = env;
    this.since = env.clock.now();
    this.log = env.logger.child({ peer: config.name });
    this.fsmConfig = {
      localAsn: env.localAsn,
      peerAsn: config.asn,
      routerId: env.routerId,
      holdTime: config.holdTime,
      passive: config.passive,
      connectRetry: config.connectRetry,
      maxConnectRetry: config.maxConnectRetry,
      openHoldTime: config.openHoldTime,
      families: config.families,
    };
  }

  get state(): FsmStateName {
    return this.fsm.name;
  }

  get ibgp(): boolean {
    return this.config.asn === this.env.localAsn;
  }

  start(): void {
    this.dispatch({ type: 'start' });
  }

  /** Sends the NOTIFICATION (a Cease normally) and closes; resolves once the socket is gone. */
  stop(notification: NotificationFields): Promise<void> {
    const socket = this.connection?.socket;
    this.dispatch({ type: 'stop', notification });
    this.dropCandidate(notification);
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** A connection the listener accepted from this peer's address. */
  acceptIncoming(socket: Socket): void {
    if (!this.fsm.enabled) {
      this.log.info('refusing incoming connection: session is stopped');
      rejectSocket(socket, CeaseSubcode.ConnectionRejected);
      return;
    }
    // Waiting out the idle hold: the peer is ready now, so start at once rather than
    // refuse (two speakers refusing each other's retries can stay in lockstep).
    if (this.fsm.name === 'idle') this.dispatch({ type: 'start' });
    this.attach(socket, false);
  }

  /**
   * A new TCP connection, either direction. The first becomes the session's; one
   * arriving while OPENs are exchanged is held until its OPEN names the BGP
   * Identifier (RFC 4271 section 6.8); any later one is refused.
   */
  private attach(socket: Socket, initiatedLocally: boolean): void {
    const state = this.fsm.name;
    if (state === 'connect' || state === 'active') {
      this.connection = new Connection(
        socket,
        initiatedLocally,
        this.connectionHandlers,
        this.env.clock,
      );
      this.dispatch({ type: 'tcp-connected' });
      return;
    }
    if ((state === 'open-sent' || state === 'open-confirm') && this.candidate === undefined) {
      this.log.info(
        { initiatedLocally },
        'connection collision: holding the second connection until its OPEN arrives',
      );
      this.candidate = new Connection(
        socket,
        initiatedLocally,
        this.connectionHandlers,
        this.env.clock,
      );
      this.candidate.write(encodeMessage(this.openMessage(), this.candidate.context));
      return;
    }
    // Section 6.8: a collision with an Established session closes the new connection.
    rejectSocket(socket, CeaseSubcode.ConnectionCollisionResolution);
  }

  /** The speaker's table changed for this prefix key. */
  routeChanged(key: string): void {
    this.dirty.add(key);
    this.scheduleFlush();
  }

  /** Resolves once every pending change has been written out and the socket buffer is empty. */
  flushed(): Promise<void> {
    if (this.isFlushed()) return Promise.resolve();
    const promise = new Promise<void>((resolve) => this.flushWaiters.push(resolve));
    const idle = !this.flushScheduled && this.dirty.size === 0 && !this.endOfRibPending;
    // Only bytes in the socket buffer are left: an empty write's callback tells when they are out.
    if (idle) this.connection?.socket.write(EMPTY, () => this.checkFlushed());
    return promise;
  }

  status(): PeerStatus {
    const negotiated = this.fsm.negotiated;
    const local = this.connection?.localAddress;
    return {
      name: this.config.name,
      address: this.config.address,
      port: this.config.port,
      asn: this.config.asn,
      state: this.fsm.name,
      since: this.since,
      ...(local === undefined ? {} : { localAddress: local }),
      ...(negotiated === undefined || this.fsm.name !== 'established'
        ? {}
        : {
            holdTime: negotiated.holdTime,
            families: negotiated.families,
            fourOctetAs: negotiated.fourOctetAs,
            peerRouterId: negotiated.peerRouterId,
          }),
      exportProblems: this.exportProblems,
      ...(this.lastErrorSent === undefined ? {} : { lastErrorSent: this.lastErrorSent }),
      ...(this.lastErrorReceived === undefined
        ? {}
        : { lastErrorReceived: this.lastErrorReceived }),
      ...(this.lastDownReason === undefined ? {} : { lastDownReason: this.lastDownReason }),
      prefixesAnnounced: this.sent.size,
      prefixesReceived: this.received.size,
      updatesSent: this.updatesSent,
      updatesReceived: this.updatesReceived,
      establishedCount: this.establishedCount,
    };
  }

  receivedRoutes(): ReceivedRoute[] {
    return [...this.received.values()];
  }

  // ---- FSM plumbing -------------------------------------------------------

  private dispatch(event: FsmEvent): void {
    this.eventQueue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.eventQueue.shift(); next !== undefined; next = this.eventQueue.shift()) {
        const before = this.fsm;
        const result = transition(before, next, this.fsmConfig, { random: this.env.random });
        this.fsm = result.state;
        for (const action of result.actions) this.perform(action);
        if (before.name !== result.state.name) {
          this.since = this.env.clock.now();
          this.log.info(
            { from: before.name, to: result.state.name, event: next.type },
            'session state changed',
          );
          if (result.state.name === 'idle')
            this.dropCandidate(ceaseNotification(CeaseSubcode.ConnectionCollisionResolution));
          this.env.onStateChange(this);
        }
      }
    } finally {
      this.dispatching = false;
    }
  }

  private perform(action: FsmAction): void {
    switch (action.type) {
      case 'connect':
        this.connectOut();
        return;
      case 'disconnect':
        this.abortOutgoing();
        this.connection?.close();
        this.connection = undefined;
        return;
      case 'send-open':
        this.send(this.openMessage());
        return;
      case 'send-keepalive':
        this.connection?.write(encodeKeepalive());
        return;
      case 'send-notification':
        this.sendNotification(action.notification);
        return;
      case 'start-timer':
        this.startTimer(action.timer, action.seconds);
        return;
      case 'stop-timer':
        this.stopTimer(action.timer);
        return;
      case 'established':
        this.onEstablished(action.negotiated);
        return;
      case 'session-down':
        this.onSessionDown(action.reason);
        return;
    }
  }

  private startTimer(timer: TimerName, seconds: number): void {
    this.stopTimer(timer);
    this.timers.set(
      timer,
      this.env.clock.setTimeout(() => {
        this.timers.delete(timer);
        this.dispatch({ type: 'timer', timer });
      }, seconds * 1000),
    );
  }

  private stopTimer(timer: TimerName): void {
    const handle = this.timers.get(timer);
    if (handle !== undefined) {
      this.env.clock.clearTimeout(handle);
      this.timers.delete(timer);
    }
  }

  // ---- connections --------------------------------------------------------

  private connectOut(): void {
    this.abortOutgoing();
    const socket = tcpConnect({
      host: this.config.address,
      port: this.config.port,
      ...(this.config.localAddress === undefined ? {} : { localAddress: this.config.localAddress }),
    });
    this.outgoing = socket;
    const onError = (error: Error): void => {
      if (this.outgoing !== socket) return;
      this.outgoing = undefined;
      socket.destroy();
      this.log.debug({ err: error.message }, 'connect failed');
      // Only the attempt in Connect matters; once an incoming connection took over it is moot.
      if (this.fsm.name === 'connect') {
        this.dispatch({ type: 'tcp-failed', reason: `connect failed: ${error.message}` });
      }
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      if (this.outgoing !== socket) {
        socket.destroy();
        return;
      }
      this.outgoing = undefined;
      this.attach(socket, true);
    });
  }

  private abortOutgoing(): void {
    if (this.outgoing !== undefined) {
      this.outgoing.destroy();
      this.outgoing = undefined;
    }
  }

  private onMessage(connection: Connection, message: BgpMessage): void {
    if (connection === this.candidate) {
      this.onCandidateMessage(connection, message);
      return;
    }
    if (connection !== this.connection) return;
    switch (message.type) {
      case 'open':
        this.dispatch({ type: 'open', open: message });
        return;
      case 'keepalive':
        this.dispatch({ type: 'keepalive' });
        return;
      case 'update':
        this.updatesReceived++;
        this.dispatch({ type: 'update' });
        if (this.fsm.name === 'established') this.onUpdate(message);
        return;
      case 'route-refresh':
        this.dispatch({ type: 'route-refresh' });
        if (this.fsm.name === 'established') this.onRouteRefresh(message.afi, message.safi);
        return;
      case 'notification':
        this.recordReceived(message);
        this.dispatch({ type: 'notification', notification: message });
        return;
    }
  }

  private onProtocolError(connection: Connection, error: BgpProtocolError): void {
    if (connection === this.candidate) {
      this.dropCandidate(error);
      return;
    }
    if (connection !== this.connection) return;
    this.log.warn({ err: error.message }, 'protocol error from peer');
    this.dispatch({ type: 'protocol-error', error });
  }

  private onClosed(connection: Connection, reason: string): void {
    if (connection === this.candidate) {
      this.candidate = undefined;
      return;
    }
    if (connection !== this.connection) return;
    this.connection = undefined;
    this.dispatch({ type: 'tcp-failed', reason });
  }

  private onCandidateMessage(candidate: Connection, message: BgpMessage): void {
    if (message.type === 'notification') {
      this.candidate = undefined;
      candidate.close();
      return;
    }
    if (message.type !== 'open') {
      this.dropCandidate({
        code: ErrorCode.FsmError,
        subcode: FsmSubcode.UnexpectedMessageInOpenSent,
        data: EMPTY,
      });
      return;
    }
    const state = this.fsm.name;
    const primary = this.connection;
    if (primary === undefined || (state !== 'open-sent' && state !== 'open-confirm')) {
      this.dropCandidate(ceaseNotification(CeaseSubcode.ConnectionCollisionResolution));
      return;
    }
    const keep = resolveCollision(this.env.routerId, message.routerId);
    const keepCandidate = (keep === 'keep-locally-initiated') === candidate.initiatedLocally;
    if (!keepCandidate) {
      this.log.info('connection collision: keeping the existing connection');
      this.dropCandidate(ceaseNotification(CeaseSubcode.ConnectionCollisionResolution));
      return;
    }
    this.log.info(
      { initiatedLocally: candidate.initiatedLocally },
      'connection collision: the second connection wins',
    );
    primary.close(
      encodeMessage(
        notificationMessage(ceaseNotification(CeaseSubcode.ConnectionCollisionResolution)),
        primary.context,
      ),
    );
    this.candidate = undefined;
    this.connection = candidate;
    // The survivor has had our OPEN already; replay its OPEN from OpenSent.
    this.stopTimer('hold');
    this.stopTimer('keepalive');
    this.fsm = { name: 'open-sent', enabled: this.fsm.enabled, failures: this.fsm.failures };
    this.dispatch({ type: 'open', open: message });
  }

  private dropCandidate(notification: NotificationFields): void {
    const candidate = this.candidate;
    if (candidate === undefined) return;
    this.candidate = undefined;
    candidate.close(encodeMessage(notificationMessage(notification), candidate.context));
  }

  private send(message: BgpMessage): void {
    const connection = this.connection;
    if (connection === undefined) return;
    connection.write(encodeMessage(message, connection.context));
  }

  private sendNotification(notification: NotificationFields): void {
    this.lastErrorSent = errorRecord(notification, this.env.clock.now());
    const { description, shutdownMessage } = this.lastErrorSent;
    this.log.warn({ notification: description, shutdownMessage }, 'sending NOTIFICATION');
    this.send(notificationMessage(notification));
  }

  private recordReceived(notification: NotificationFields): void {
    this.lastErrorReceived = errorRecord(notification, this.env.clock.now());
    const { description, shutdownMessage } = this.lastErrorReceived;
    // RFC 8203 section 2: the shutdown communication should be logged.
    this.log.warn({ notification: description, shutdownMessage }, 'peer sent NOTIFICATION');
  }

  private openMessage(): OpenMessage {
    const capabilities: Capability[] = this.config.families.map((family) => ({
      kind: 'multiprotocol',
      afi: family === 'ipv4' ? Afi.Ipv4 : Afi.Ipv6,
      safi: Safi.Unicast,
    }));
    capabilities.push({ kind: 'route-refresh' }, { kind: 'four-octet-as', asn: this.env.localAsn });
    return {
      type: 'open',
      version: 4,
      myAs: this.env.localAsn > 0xffff ? AS_TRANS : this.env.localAsn,
      holdTime: this.config.holdTime,
      routerId: this.env.routerId,
      capabilities,
    };
  }

  // ---- Established: Adj-RIB-Out --------------------------------------------

  private onEstablished(negotiated: Negotiated): void {
    const connection = this.connection;
    if (connection === undefined) return;
    connection.context = { fourOctetAs: negotiated.fourOctetAs };
    // RFC 9687 section 3: send hold time of max(8 minutes, 2 x hold time); none when hold is 0.
    connection.sendHoldTime =
      negotiated.holdTime === 0 ? 0 : Math.max(480, 2 * negotiated.holdTime);
    this.establishedCount++;
    this.exportContext = this.buildExportContext(connection);
    this.exportCache = new WeakMap();
    this.exportFamilies = new Set();
    this.exportProblems = [];
    for (const family of negotiated.families) {
      const hasNextHop =
        family === 'ipv4'
          ? this.exportContext.nextHopIpv4 !== undefined
          : this.exportContext.nextHopIpv6 !== undefined;
      if (hasNextHop) this.exportFamilies.add(family);
      else {
        const problem = `no ${family} next hop: set nextHop.${family} for this peer (the session's local address is ${connection.localAddress ?? 'unknown'})`;
        this.exportProblems.push(problem);
        this.log.error(problem);
      }
    }
    this.log.info(
      {
        families: negotiated.families,
        holdTime: negotiated.holdTime,
        peerRouterId: negotiated.peerRouterId,
      },
      'session established',
    );
    this.sent.clear();
    this.dirty.clear();
    for (const [key] of this.env.locRib.entries()) this.dirty.add(key);
    this.endOfRibPending = true;
    this.scheduleFlush();
  }

  private onSessionDown(reason: string): void {
    this.lastDownReason = reason;
    this.log.warn({ reason }, 'session down');
    this.sent.clear();
    this.dirty.clear();
    this.received.clear();
    this.endOfRibPending = false;
    this.resolveFlushWaiters();
  }

  private buildExportContext(connection: Connection): ExportContext {
    const local = connection.localAddress;
    const v4Transport = local !== undefined && isIPv4(local);
    const interfaceV4 = local === undefined ? undefined : interfaceAddress(local, 'IPv4');
    const interfaceV6 = local === undefined ? undefined : interfaceAddress(local, 'IPv6');
    const localV6 =
      !v4Transport && local !== undefined && !local.toLowerCase().startsWith('fe80')
        ? local
        : undefined;
    const nextHopIpv4 = this.config.nextHopIpv4 ?? (v4Transport ? local : interfaceV4);
    const nextHopIpv6 = this.config.nextHopIpv6 ?? localV6 ?? interfaceV6;
    return {
      localAsn: this.env.localAsn,
      ibgp: this.ibgp,
      ...(nextHopIpv4 === undefined ? {} : { nextHopIpv4 }),
      ...(nextHopIpv6 === undefined ? {} : { nextHopIpv6 }),
      ...(this.config.linkLocalNextHopIpv6 === undefined
        ? {}
        : { linkLocalNextHopIpv6: this.config.linkLocalNextHopIpv6 }),
      communities: this.config.communities,
      largeCommunities: this.config.largeCommunities,
      ...(this.config.med === undefined ? {} : { med: this.config.med }),
      prepend: this.config.prepend,
      localPref: this.config.localPref,
    };
  }

  private exported(attributes: RouteAttributes, family: Family): ExportedAttributes | null {
    let entry = this.exportCache.get(attributes);
    if (entry === undefined) {
      entry = {};
      this.exportCache.set(attributes, entry);
    }
    const cached = entry[family];
    if (cached !== undefined) return cached;
    const context = this.exportContext;
    const path = context === undefined ? undefined : exportAttributes(attributes, family, context);
    const context4 = this.connection?.context ?? { fourOctetAs: true };
    const result =
      path === undefined
        ? null
        : {
            attributes: path,
            signature: attributesSignature(path),
            size:
              encodeMessage({ type: 'update', withdrawn: [], attributes: path, nlri: [] }, context4)
                .length - 23,
          };
    entry[family] = result;
    return result;
  }

  private onRouteRefresh(afi: number, safi: number): void {
    const family: Family | undefined =
      safi !== Safi.Unicast
        ? undefined
        : afi === Afi.Ipv4
          ? 'ipv4'
          : afi === Afi.Ipv6
            ? 'ipv6'
            : undefined;
    if (family === undefined || !this.exportFamilies.has(family)) return;
    this.log.info({ family }, 'route refresh requested: re-sending the Adj-RIB-Out');
    // RFC 2918 section 4: re-advertise the Adj-RIB-Out of that family.
    for (const [key, route] of this.sent) {
      if (route.prefix.family === family && !this.dirty.has(key)) {
        this.sent.delete(key);
        this.dirty.add(key);
      }
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.fsm.name !== 'established') return;
    this.flushScheduled = true;
    // Coalesce every change made in this tick into one pass.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const connection = this.connection;
    if (connection === undefined || this.fsm.name !== 'established') return;
    while (this.dirty.size > 0) {
      if (connection.needsDrain) return; // resumed by the 'drained' handler
      this.flushStep(connection);
      if (!connection.isOpen) return;
    }
    if (this.endOfRibPending) {
      this.endOfRibPending = false;
      // Every negotiated family gets its marker, even one we cannot export to (no next hop).
      for (const family of this.fsm.negotiated?.families ?? [])
        this.writeUpdate(connection, endOfRib(family));
    }
    if (connection.pendingBytes === 0) this.resolveFlushWaiters();
    // An empty write's callback runs once everything queued before it is handed to the kernel.
    else if (this.flushWaiters.length > 0)
      connection.socket.write(EMPTY, () => this.checkFlushed());
  }

  private flushStep(connection: Connection): void {
    const withdrawals: Record<Family, Prefix[]> = { ipv4: [], ipv6: [] };
    const groups = new Map<
      string,
      { family: Family; exported: ExportedAttributes; prefixes: Prefix[] }
    >();
    let examined = 0;
    for (const key of this.dirty) {
      this.dirty.delete(key);
      const wanted = this.env.locRib.get(key);
      const exported =
        wanted === undefined || !this.exportFamilies.has(wanted.prefix.family)
          ? null
          : this.exported(wanted.attributes, wanted.prefix.family);
      const previous = this.sent.get(key);
      if (wanted === undefined || exported === null) {
        if (previous !== undefined) {
          withdrawals[previous.prefix.family].push(previous.prefix);
          this.sent.delete(key);
        }
      } else if (previous?.signature !== exported.signature) {
        const groupKey = `${wanted.prefix.family}|${exported.signature}`;
        let group = groups.get(groupKey);
        if (group === undefined) {
          group = { family: wanted.prefix.family, exported, prefixes: [] };
          groups.set(groupKey, group);
        }
        group.prefixes.push(wanted.prefix);
        this.sent.set(key, { prefix: wanted.prefix, signature: exported.signature });
      }
      if (++examined >= FLUSH_BATCH) break;
    }
    for (const family of ['ipv4', 'ipv6'] as const) {
      for (const update of withdrawUpdates(family, withdrawals[family]))
        this.writeUpdate(connection, update);
    }
    for (const group of groups.values()) {
      for (const update of announceUpdates(
        group.family,
        group.exported.attributes,
        group.exported.size,
        group.prefixes,
      )) {
        this.writeUpdate(connection, update);
      }
    }
  }

  private writeUpdate(connection: Connection, update: UpdateMessage): void {
    connection.write(encodeMessage(update, connection.context));
    this.updatesSent++;
  }

  private isFlushed(): boolean {
    if (this.fsm.name !== 'established') return true;
    if (this.dirty.size > 0 || this.endOfRibPending || this.flushScheduled) return false;
    return (this.connection?.pendingBytes ?? 0) === 0;
  }

  private checkFlushed(): void {
    if (this.isFlushed()) this.resolveFlushWaiters();
  }

  private resolveFlushWaiters(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const resolve of waiters) resolve();
  }

  // ---- Adj-RIB-In (collector) ---------------------------------------------

  private onUpdate(update: UpdateMessage): void {
    if (update.treatAsWithdraw !== undefined) {
      this.log.warn(
        { err: update.treatAsWithdraw.message },
        'malformed UPDATE treated as withdraw (RFC 7606)',
      );
    }
    for (const discarded of update.discarded ?? []) {
      this.log.warn({ err: discarded.message }, 'malformed attribute discarded (RFC 7606)');
    }
    if (!this.env.collector) return;
    const negotiated = this.fsm.negotiated;
    const families = new Set(negotiated?.families ?? []);
    const attributes = update.attributes;
    const withdraw = (prefix: Prefix): void => {
      this.received.delete(prefixKey(prefix));
    };
    const learn = (prefix: Prefix, nextHop: string | undefined): void => {
      if (!families.has(prefix.family)) return;
      this.received.set(
        prefixKey(prefix),
        describeReceived(this.config.address, prefix, nextHop, attributes),
      );
    };
    update.withdrawn.forEach(withdraw);
    attributes.mpUnreach?.withdrawn.forEach(withdraw);
    for (const prefix of update.nlri) learn(prefix, attributes.nextHop);
    for (const prefix of attributes.mpReach?.nlri ?? []) learn(prefix, attributes.mpReach?.nextHop);
  }
}

function describeReceived(
  peer: string,
  prefix: Prefix,
  nextHop: string | undefined,
  attributes: PathAttributes,
): ReceivedRoute {
  return {
    peer,
    prefix: formatPrefix(prefix),
    ...(nextHop === undefined ? {} : { nextHop }),
    asPath: (attributes.asPath ?? []).flatMap((segment) => segment.asns),
    communities: (attributes.communities ?? []).map(formatCommunity),
    largeCommunities: (attributes.largeCommunities ?? []).map(formatLargeCommunity),
    ...(attributes.med === undefined ? {} : { med: attributes.med }),
    ...(attributes.localPref === undefined ? {} : { localPref: attributes.localPref }),
  };
}

/** What status keeps of a NOTIFICATION: names, and the RFC 8203 message of a shutdown. */
function errorRecord(notification: NotificationFields, at: number): ErrorRecord {
  const shutdownMessage = isShutdown(notification)
    ? decodeShutdownCommunication(notification.data)
    : undefined;
  return {
    code: notification.code,
    subcode: notification.subcode,
    description: describeNotification(notification.code, notification.subcode),
    ...(shutdownMessage === undefined ? {} : { shutdownMessage }),
    at,
  };
}

function isShutdown(notification: NotificationFields): boolean {
  return (
    notification.code === ErrorCode.Cease &&
    (notification.subcode === CeaseSubcode.AdministrativeShutdown ||
      notification.subcode === CeaseSubcode.AdministrativeReset)
  );
}

export function ceaseNotification(subcode: number, data: Uint8Array = EMPTY): NotificationFields {
  return { code: ErrorCode.Cease, subcode, data };
}

function notificationMessage(fields: NotificationFields): BgpMessage {
  return { type: 'notification', code: fields.code, subcode: fields.subcode, data: fields.data };
}

/** Sends a Cease and closes a socket that no session will own. */
export function rejectSocket(socket: Socket, subcode: number): void {
  socket.on('error', () => socket.destroy());
  // Read and drop whatever the peer sends, or its FIN is never seen and the socket never closes.
  socket.resume();
  socket.end(
    encodeMessage(notificationMessage(ceaseNotification(subcode)), { fourOctetAs: false }),
  );
  setTimeout(() => socket.destroy(), 2000).unref();
}

/** The first global address of `family` on the interface that holds `local`. */
function interfaceAddress(local: string, family: 'IPv4' | 'IPv6'): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    if (addresses === undefined || !addresses.some((a) => a.address === local)) continue;
    const match = addresses.find(
      (a) =>
        a.family === family &&
        !a.internal &&
        !(family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')),
    );
    if (match !== undefined) return match.address;
  }
  return undefined;
}
