/**
 * A BGP session with one peer: owns the TCP connections and the timers, feeds
 * socket and timer events to the pure FSM (fsm.ts) and carries out its actions.
 * What the peer has from us lives in adj-rib-out.ts, what it sent us (collector
 * mode) in adj-rib-in.ts, the next hops we announce in next-hop.ts.
 *
 * RFC 4271 sections 6.8 (connection collision: the session holds the second
 * connection, the FSM decides), 8 (FSM); RFC 2918 (route refresh); RFC 8203 /
 * RFC 9003 (shutdown communication, logged); RFC 9687 (send hold timer);
 * RFC 7606 (treat-as-withdraw and attribute discard, logged).
 *
 * Over 500 lines on purpose: connecting, the held second connection and the
 * timers all act on the same session state (current connection, FSM state), and
 * splitting them further would only pass that state around.
 *
 * RFC 2385 (TCP-MD5) and RFC 5082 (GTSM): a peer with a password or ttl_security
 * connects through src/sockopt, which sets them before the SYN; others through
 * net.connect as before.
 *
 * Known gaps: no graceful restart (on purpose: when we die our routes must go
 * with us), no add-path.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { BfdPeerStatus } from '../bfd/index.js';
import type { Clock, TimerHandle } from '../clock/index.js';
import { connectTcp } from '../sockopt/index.js';
import { encodeKeepalive, encodeMessage, unicastFamily } from './codec/index.js';
import { AdjRibIn, type ReceivedRoute } from './adj-rib-in.js';
import { AdjRibOut, type LocRib } from './adj-rib-out.js';
import { CeaseSubcode, ErrorCode, FsmSubcode } from './constants.js';
import { Connection, type ConnectionHandlers } from './connection.js';
import { BgpProtocolError } from './errors.js';
import {
  initialFsmState,
  transition,
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  type FsmState,
  type FsmStateName,
  type Negotiated,
  type SessionDownReason,
  type TimerName,
} from './fsm.js';
import type { AddressSource } from './next-hop.js';
import { NextHopWatch, type NextHopFound } from './next-hop-watch.js';
import { localOpen } from './open-negotiation.js';
import { ceaseNotification, errorRecord, rejectSocket, type ErrorRecord } from './notifications.js';
import type { PeerConfig } from './peer-config.js';
import type { Family } from './prefix.js';
import type { BgpMessage, NotificationMessage, OpenMessage, UpdateMessage } from './types.js';

export interface SessionEnvironment {
  readonly localAsn: number;
  readonly routerId: string;
  readonly locRib: LocRib;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: () => number;
  readonly collector: boolean;
  readonly onStateChange: (session: PeerSession) => void;
  /** Where next hops are looked up; the host's interfaces by default. */
  readonly addresses?: AddressSource;
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
  readonly lastDownReason?: SessionDownReason;
  /** Why our connects do not get through (a refusal, or no answer at all), until one does. */
  readonly connectProblem?: string;
  /** Present (true) when the session is signed with TCP-MD5; the password itself is never shown. */
  readonly tcpMd5?: true;
  /** Present (true) with GTSM (RFC 5082). */
  readonly ttlSecurity?: true;
  readonly prefixesAnnounced: number;
  readonly prefixesReceived: number;
  readonly updatesSent: number;
  readonly updatesReceived: number;
  readonly establishedCount: number;
  /** The peer's BFD session (RFC 5880), when `bfd` is set; added by the speaker. */
  readonly bfd?: BfdPeerStatus;
}

export class PeerSession {
  readonly config: PeerConfig;
  private readonly env: SessionEnvironment;
  private readonly log: Logger;
  private readonly fsmConfig: FsmConfig;
  private fsm: FsmState = initialFsmState;
  private since: number;
  private readonly timers = new Map<TimerName, TimerHandle>();
  /** The connection the FSM follows. */
  private connection: Connection | undefined;
  /** Our connect in flight: cancel gives it up. */
  private outgoing: { cancel(): void } | undefined;
  private connectProblem: string | undefined;
  /** RFC 4271 6.8: a second connection held until its OPEN arrives; at most one. */
  private second: Connection | undefined;
  private readonly eventQueue: FsmEvent[] = [];
  private dispatching = false;

  private readonly ribOut: AdjRibOut;
  private readonly ribIn: AdjRibIn;
  private exportProblems: string[] = [];
  /** While Established: the export settings, looking again for a missing next hop. */
  private nextHops: NextHopWatch | undefined;

  private lastErrorSent: ErrorRecord | undefined;
  private lastErrorReceived: ErrorRecord | undefined;
  private lastDownReason: SessionDownReason | undefined;
  private updatesReceived = 0;
  private establishedCount = 0;
  /** Started by the speaker (and not stopped since). */
  private wanted = false;
  /** RFC 5882: BFD holds the session down (peer-bfd.ts). */
  private heldByBfd = false;

  private readonly connectionHandlers: ConnectionHandlers = {
    message: (connection, message) => this.onMessage(connection, message),
    protocolError: (connection, error) => this.onProtocolError(connection, error),
    closed: (connection, reason) => this.onClosed(connection, reason),
    drained: (connection) => {
      if (connection === this.connection) this.ribOut.drained();
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
    this.ribOut = new AdjRibOut(env.locRib);
    this.ribIn = new AdjRibIn(config.address);
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

  /** Whether the peer has this prefix from us now: sent on an Established session. */
  hasAnnounced(key: string): boolean {
    return this.fsm.name === 'established' && this.ribOut.has(key);
  }

  get ibgp(): boolean {
    return this.config.asn === this.env.localAsn;
  }

  start(): void {
    this.wanted = true;
    if (!this.heldByBfd) this.dispatch({ type: 'start' });
  }

  /**
   * BFD says the path is down (held) or Up again. Held: Cease / BFD Down (RFC 9384) and
   * close at once, and no new connection either way until released.
   */
  holdDown(held: boolean): void {
    if (held === this.heldByBfd) return;
    this.heldByBfd = held;
    this.log.warn(
      { event: held ? 'bgp.bfd_hold' : 'bgp.bfd_release' },
      held ? 'BFD is not up: holding the session down' : 'BFD is up: the session may start',
    );
    if (held) {
      if (this.fsm.enabled || this.fsm.name !== 'idle')
        this.dispatch({ type: 'stop', notification: ceaseNotification(CeaseSubcode.BfdDown) });
    } else if (this.wanted) this.dispatch({ type: 'start' });
  }

  /** Sends the NOTIFICATION (a Cease normally) and closes; resolves once the socket is gone. */
  stop(notification: NotificationMessage): Promise<void> {
    this.wanted = false;
    const socket = this.connection?.socket;
    this.dispatch({ type: 'stop', notification });
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** A connection the listener accepted from this peer's address. */
  acceptIncoming(socket: Socket): void {
    if (!this.fsm.enabled) {
      this.log.info(
        { event: 'bgp.connection_refused', reason: 'stopped' },
        'refusing incoming connection: session is stopped',
      );
      rejectSocket(socket, CeaseSubcode.ConnectionRejected);
      return;
    }
    // Waiting out the idle hold: the peer is ready now, so start at once rather than
    // refuse (two speakers refusing each other's retries can stay in lockstep).
    if (this.fsm.name === 'idle') this.dispatch({ type: 'start' });
    this.attach(socket, false);
  }

  /**
   * A new TCP connection, either direction. The first becomes the session's; a
   * second is held and reported to the FSM (RFC 4271 section 6.8), which opens
   * it or closes it; any further one is refused.
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
    if (this.connection === undefined || this.second !== undefined) {
      rejectSocket(socket, CeaseSubcode.ConnectionCollisionResolution);
      return;
    }
    this.second = new Connection(socket, initiatedLocally, this.connectionHandlers, this.env.clock);
    this.dispatch({ type: 'second-connection' });
  }

  /** The speaker's table changed for this prefix key. */
  routeChanged(key: string): void {
    this.ribOut.routeChanged(key);
  }

  /** The speaker's table was emptied: withdraw everything the peer has from us. */
  tableCleared(): void {
    this.ribOut.tableCleared();
  }

  /** Resolves once every pending change has been written out and the socket buffer is empty. */
  flushed(): Promise<void> {
    return this.ribOut.flushed();
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
      ...(this.connectProblem === undefined ? {} : { connectProblem: this.connectProblem }),
      ...(this.config.password === undefined ? {} : { tcpMd5: true as const }),
      ...(this.config.ttlSecurity ? { ttlSecurity: true as const } : {}),
      prefixesAnnounced: this.ribOut.size,
      prefixesReceived: this.ribIn.size,
      updatesSent: this.ribOut.updatesSent,
      updatesReceived: this.updatesReceived,
      establishedCount: this.establishedCount,
    };
  }

  receivedRoutes(): ReceivedRoute[] {
    return this.ribIn.routes();
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
            {
              event: 'bgp.state_changed',
              from: before.name,
              to: result.state.name,
              trigger: next.type,
            },
            'session state changed',
          );
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
        this.onSessionDown(action.reason, action.detail);
        return;
      case 'open-second':
        this.openSecond();
        return;
      case 'close-second':
        this.closeSecond(action.notification, action.collision);
        return;
      case 'switch-to-second':
        this.switchToSecond(action.notification);
        return;
    }
  }

  private startTimer(timer: TimerName, seconds: number): void {
    this.stopTimer(timer);
    this.timers.set(
      timer,
      this.env.clock.setTimeout(() => {
        this.timers.delete(timer);
        if (timer === 'connect-retry' && this.outgoing !== undefined) this.noAnswer();
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
    if (this.config.password !== undefined || this.config.ttlSecurity) {
      this.connectSecured();
      return;
    }
    const socket = tcpConnect({
      host: this.config.address,
      port: this.config.port,
      ...(this.config.localAddress === undefined ? {} : { localAddress: this.config.localAddress }),
    });
    const attempt = { cancel: () => socket.destroy() };
    this.outgoing = attempt;
    socket.once('error', (error) => this.onConnectFailed(attempt, error));
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      this.onConnected(attempt, socket);
    });
  }

  /** TCP-MD5 / GTSM: the socket is made with its options by src/sockopt, then handed to Node. */
  private connectSecured(): void {
    let pending: ReturnType<typeof connectTcp>;
    try {
      pending = connectTcp({
        host: this.config.address,
        port: this.config.port,
        ...(this.config.localAddress === undefined
          ? {}
          : { localAddress: this.config.localAddress }),
        ...(this.config.password === undefined
          ? {}
          : { md5Key: Buffer.from(this.config.password) }),
        gtsm: this.config.ttlSecurity,
      });
    } catch (error) {
      // Not even started (a bind that fails, say): the same as a failed connect.
      const attempt = { cancel: () => undefined };
      this.outgoing = attempt;
      this.onConnectFailed(attempt, error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const attempt = { cancel: () => pending.cancel() };
    this.outgoing = attempt;
    pending.done.then(
      (socket) => this.onConnected(attempt, socket),
      (error: unknown) =>
        this.onConnectFailed(attempt, error instanceof Error ? error : new Error(String(error))),
    );
  }

  private onConnected(attempt: { cancel(): void }, socket: Socket): void {
    if (this.outgoing !== attempt) {
      socket.destroy();
      return;
    }
    this.outgoing = undefined;
    this.connectProblem = undefined;
    this.attach(socket, true);
  }

  private onConnectFailed(attempt: { cancel(): void }, error: Error): void {
    if (this.outgoing !== attempt) return;
    this.outgoing = undefined;
    attempt.cancel();
    this.connectProblem = `connect failed: ${error.message}`;
    this.log.debug({ event: 'bgp.connect_failed', err: error.message }, 'connect failed');
    // Only the attempt in Connect matters; once an incoming connection took over it is moot.
    if (this.fsm.name === 'connect') {
      this.dispatch({ type: 'tcp-failed', reason: `connect failed: ${error.message}` });
    }
  }

  /**
   * The connect-retry timer ran out with our SYN still unanswered. With TCP-MD5 that
   * is what a wrong or missing password looks like: the peer's kernel drops the
   * segment in silence (and logs "MD5 Hash failed"), so say so.
   */
  private noAnswer(): void {
    this.connectProblem =
      this.config.password === undefined
        ? 'no answer to our connect'
        : 'no answer: check the TCP-MD5 password (the peer drops segments signed with another key; its kernel logs "MD5 Hash failed")';
    this.log.warn(
      { event: 'bgp.connect_unanswered', tcpMd5: this.config.password !== undefined },
      this.connectProblem,
    );
  }

  private abortOutgoing(): void {
    if (this.outgoing !== undefined) {
      this.outgoing.cancel();
      this.outgoing = undefined;
    }
  }

  private onMessage(connection: Connection, message: BgpMessage): void {
    if (connection === this.second) {
      this.onSecondMessage(connection, message);
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
    if (connection === this.second) {
      this.closeSecond(error.toNotification(), false);
      return;
    }
    if (connection !== this.connection) return;
    this.log.warn({ event: 'bgp.protocol_error', err: error.message }, 'protocol error from peer');
    this.dispatch({ type: 'protocol-error', error });
  }

  private onClosed(connection: Connection, reason: string): void {
    if (connection === this.second) {
      this.second = undefined;
      return;
    }
    if (connection !== this.connection) return;
    this.connection = undefined;
    this.dispatch({ type: 'tcp-failed', reason });
  }

  // ---- connection collision (RFC 4271 section 6.8) ---------------------------

  /** Until its OPEN arrives the second connection is in OpenSent of its own: only an OPEN will do. */
  private onSecondMessage(second: Connection, message: BgpMessage): void {
    if (message.type === 'notification') {
      this.second = undefined;
      second.close();
      return;
    }
    if (message.type !== 'open') {
      this.closeSecond(
        new BgpProtocolError(
          ErrorCode.FsmError,
          FsmSubcode.UnexpectedMessageInOpenSent,
          `${message.type} before OPEN`,
        ).toNotification(),
        false,
      );
      return;
    }
    this.dispatch({ type: 'collision', open: message, initiatedLocally: second.initiatedLocally });
  }

  private openSecond(): void {
    const second = this.second;
    if (second === undefined) return;
    this.log.info(
      {
        event: 'bgp.collision',
        outcome: 'held',
        initiatedLocally: second.initiatedLocally,
        ...second.ports,
      },
      'connection collision: holding the second connection until its OPEN arrives',
    );
    second.write(encodeMessage(this.openMessage(), second.context));
  }

  private closeSecond(notification: NotificationMessage, collision: boolean): void {
    const second = this.second;
    if (second === undefined) return;
    this.second = undefined;
    if (collision) {
      this.log.info(
        {
          event: 'bgp.collision',
          outcome: 'kept-existing',
          kept: this.connection?.ports,
          closed: second.ports,
        },
        'connection collision: keeping the existing connection',
      );
    }
    second.close(encodeMessage(notification, second.context));
  }

  private switchToSecond(notification: NotificationMessage): void {
    const second = this.second;
    const primary = this.connection;
    if (second === undefined) return;
    this.log.info(
      {
        event: 'bgp.collision',
        outcome: 'kept-second',
        initiatedLocally: second.initiatedLocally,
        kept: second.ports,
        closed: primary?.ports,
      },
      'connection collision: the second connection wins',
    );
    primary?.close(encodeMessage(notification, primary.context));
    this.second = undefined;
    this.connection = second;
  }

  // ---- messages -------------------------------------------------------------

  private send(message: BgpMessage): void {
    const connection = this.connection;
    if (connection === undefined) return;
    connection.write(encodeMessage(message, connection.context));
  }

  private sendNotification(notification: NotificationMessage): void {
    this.lastErrorSent = errorRecord(notification, this.env.clock.now());
    const { description, shutdownMessage } = this.lastErrorSent;
    this.log.warn(
      { event: 'bgp.notification_sent', notification: description, shutdownMessage },
      'sending NOTIFICATION',
    );
    this.send(notification);
  }

  private recordReceived(notification: NotificationMessage): void {
    this.lastErrorReceived = errorRecord(notification, this.env.clock.now());
    const { description, shutdownMessage } = this.lastErrorReceived;
    // RFC 8203 section 2: the shutdown communication should be logged.
    this.log.warn(
      { event: 'bgp.notification_received', notification: description, shutdownMessage },
      'peer sent NOTIFICATION',
    );
  }

  private openMessage(): OpenMessage {
    return localOpen(
      this.config.families,
      this.env.localAsn,
      this.config.holdTime,
      this.env.routerId,
    );
  }

  // ---- Established ----------------------------------------------------------

  private onEstablished(negotiated: Negotiated): void {
    const connection = this.connection;
    if (connection === undefined) return;
    connection.context = { fourOctetAs: negotiated.fourOctetAs, external: !this.ibgp };
    // RFC 9687 section 3: send hold time of max(8 minutes, 2 x hold time); none when hold is 0.
    connection.sendHoldTime =
      negotiated.holdTime === 0 ? 0 : Math.max(480, 2 * negotiated.holdTime);
    this.establishedCount++;
    this.connectProblem = undefined;
    this.nextHops?.stop();
    this.nextHops = new NextHopWatch({
      config: this.config,
      localAsn: this.env.localAsn,
      local: connection.localAddress,
      negotiated: negotiated.families,
      clock: this.env.clock,
      ...(this.env.addresses === undefined ? {} : { addresses: this.env.addresses }),
      onFound: (found) => this.onNextHopFound(found),
    });
    const { context, families, problems } = this.nextHops.current;
    this.exportProblems = problems;
    for (const problem of problems)
      this.log.error({ event: 'bgp.export_problem', problem }, problem);
    this.log.info(
      {
        event: 'bgp.session_established',
        families: negotiated.families,
        holdTime: negotiated.holdTime,
        peerRouterId: negotiated.peerRouterId,
      },
      'session established',
    );
    this.ribOut.start(connection, negotiated.families, context, families);
  }

  private onSessionDown(reason: SessionDownReason, detail: string): void {
    this.lastDownReason = reason;
    this.log.warn({ event: 'bgp.session_down', reason, detail }, 'session down');
    this.nextHops?.stop();
    this.nextHops = undefined;
    this.ribOut.stop();
    this.ribIn.clear();
  }

  /** A next hop missing at Established turned up: send the routes held back for its family. */
  private onNextHopFound(found: NextHopFound): void {
    this.exportProblems = found.problems;
    for (const { family, nextHop } of found.found)
      this.log.info(
        { event: 'bgp.next_hop_found', family, nextHop },
        'next hop found: announcing the routes held back',
      );
    this.ribOut.widenExport(found.context, found.families);
  }

  private onRouteRefresh(afi: number, safi: number): void {
    const family = unicastFamily(afi, safi);
    if (family === undefined) return;
    if (this.ribOut.routeRefresh(family))
      this.log.info(
        { event: 'bgp.route_refresh', family },
        'route refresh requested: re-sending the Adj-RIB-Out',
      );
  }

  private onUpdate(update: UpdateMessage): void {
    if (update.treatAsWithdraw !== undefined) {
      this.log.warn(
        { event: 'bgp.treat_as_withdraw', err: update.treatAsWithdraw.message },
        'malformed UPDATE treated as withdraw (RFC 7606)',
      );
    }
    for (const discarded of update.discarded ?? []) {
      this.log.warn(
        { event: 'bgp.attribute_discarded', err: discarded.message },
        'attribute discarded (RFC 7606): malformed, or iBGP-only from an external peer',
      );
    }
    if (this.env.collector) this.ribIn.apply(update, this.fsm.negotiated?.families ?? []);
  }
}
