/**
 * One BFD session's state machine, pure: packets and the time come in, packets to send
 * and state changes come out. No socket and no timer inside: the driver (worker.ts) asks
 * `nextDeadline()` and calls `tick(now)` then, so tests step time by hand.
 *
 * RFC 5880: state variables (6.8.1), state machine (6.2, 6.8.6), Poll/Final for timer
 * changes (6.5, 6.8.3), detection time in asynchronous mode (6.8.4), slow transmission
 * (>= 1 s) while not Up (6.8.3), transmit jitter (6.8.7), administrative down (6.8.16).
 * We take the Active role (6.1) in asynchronous mode.
 *
 * Known gaps: no Demand mode, no Echo function (Required Min Echo RX is sent as 0), no
 * authentication (the codec drops such packets).
 */
import { BFD_VERSION, BfdDiag, BfdState, STATE_NAMES, type BfdPacket } from './codec.js';
import type { BfdStateName } from './codec.js';

/** Microseconds, as the protocol counts. */
export interface BfdTimers {
  readonly desiredMinTx: number;
  readonly requiredMinRx: number;
  readonly detectMult: number;
}

/** Section 6.8.3: not Up, we send no faster than once a second. */
export const SLOW_TX_US = 1_000_000;

export interface BfdStateChange {
  readonly from: BfdStateName;
  readonly to: BfdStateName;
  /** bfd.LocalDiag after the change: why we went down. */
  readonly diag: number;
  /** The remote's State field when it was a received packet that moved us. */
  readonly remoteState: BfdStateName;
}

export interface BfdSessionView {
  readonly state: BfdStateName;
  readonly remoteState: BfdStateName;
  readonly localDiscr: number;
  readonly remoteDiscr: number;
  readonly localDiag: number;
  /** The diagnostic the remote last sent. */
  readonly remoteDiag: number;
  /** What we ask for (configured). */
  readonly desiredMinTx: number;
  readonly requiredMinRx: number;
  readonly detectMult: number;
  /** What the remote asks for; 0 until it has spoken. */
  readonly remoteMinRx: number;
  readonly remoteMinTx: number;
  readonly remoteDetectMult: number;
  /** The agreed intervals in use now (microseconds): ours to send, theirs to detect. */
  readonly txInterval: number;
  readonly detectionTime: number;
  readonly pollActive: boolean;
}

export interface BfdSessionOptions extends BfdTimers {
  readonly localDiscr: number;
  /** [0, 1): the transmit jitter of 6.8.7. */
  readonly random: () => number;
}

export class BfdSession {
  private state: BfdStateName = 'down';
  private remoteState: BfdStateName = 'down';
  readonly localDiscr: number;
  private remoteDiscr = 0;
  private localDiag: number = BfdDiag.None;
  private remoteDiag = 0;
  /** Configured (what is advertised once Up) and in use for timing during a poll. */
  private configured: BfdTimers;
  private activeTx: number;
  private activeRx: number;
  private remoteMinRx = 1; // 6.8.1: initial value 1 microsecond
  private remoteMinTx = 0;
  private remoteDetectMult = 0;
  private pollActive = false;
  private sendFinal = false;
  private nextTx: number | undefined;
  private detectAt: number | undefined;
  private readonly random: () => number;
  private readonly out: BfdPacket[] = [];
  private readonly changes: BfdStateChange[] = [];

  constructor(options: BfdSessionOptions, now: number) {
    if (options.localDiscr <= 0 || options.localDiscr > 0xffffffff)
      throw new RangeError('a local discriminator is a non-zero 32-bit number');
    this.localDiscr = options.localDiscr;
    this.random = options.random;
    this.configured = {
      desiredMinTx: options.desiredMinTx,
      requiredMinRx: options.requiredMinRx,
      detectMult: options.detectMult,
    };
    this.activeTx = this.advertisedTx();
    this.activeRx = options.requiredMinRx;
    this.nextTx = now;
  }

  view(): BfdSessionView {
    return {
      state: this.state,
      remoteState: this.remoteState,
      localDiscr: this.localDiscr,
      remoteDiscr: this.remoteDiscr,
      localDiag: this.localDiag,
      remoteDiag: this.remoteDiag,
      desiredMinTx: this.configured.desiredMinTx,
      requiredMinRx: this.configured.requiredMinRx,
      detectMult: this.configured.detectMult,
      remoteMinRx: this.remoteMinRx,
      remoteMinTx: this.remoteMinTx,
      remoteDetectMult: this.remoteDetectMult,
      txInterval: this.txInterval(),
      detectionTime: this.detectionTime(),
      pollActive: this.pollActive,
    };
  }

  /** Packets to send now, oldest first; emptied by the call. */
  takePackets(): BfdPacket[] {
    return this.out.splice(0);
  }

  /** State changes since the last call; emptied by the call. */
  takeChanges(): BfdStateChange[] {
    return this.changes.splice(0);
  }

  /** When `tick` must run next (ms, the clock `now` is on). */
  nextDeadline(): number | undefined {
    const times = [this.nextTx, this.detectAt].filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Fires whatever is due at `now`: the detection timer, then the periodic transmission. */
  tick(now: number): void {
    if (this.detectAt !== undefined && now >= this.detectAt) {
      this.detectAt = undefined;
      // 6.8.4: detection time passed without a packet.
      if (this.state === 'init' || this.state === 'up')
        this.moveTo('down', BfdDiag.ControlDetectionTimeExpired, now);
      // 6.8.1: RemoteDiscr goes back to zero after a detection time of silence.
      this.remoteDiscr = 0;
      this.remoteState = 'down';
      this.remoteMinRx = 1;
      if (this.pollActive) this.pollActive = false;
    }
    if (this.nextTx !== undefined && now >= this.nextTx) {
      this.transmit(false);
      this.scheduleTx(now);
    }
  }

  /**
   * A packet for this session (the caller demultiplexed it by Your Discriminator or by
   * the source address, 6.8.6, and checked the TTL). Applies the reception rules.
   */
  receive(packet: BfdPacket, now: number): void {
    if (packet.yourDiscriminator !== 0 && packet.yourDiscriminator !== this.localDiscr) return;
    this.remoteDiscr = packet.myDiscriminator;
    this.remoteState = STATE_NAMES[packet.state] ?? 'down';
    this.remoteDiag = packet.diag;
    const rxChanged = packet.requiredMinRx !== this.remoteMinRx;
    this.remoteMinRx = packet.requiredMinRx;
    this.remoteMinTx = packet.desiredMinTx;
    this.remoteDetectMult = packet.detectMult;
    // 6.5: a Final ends our Poll Sequence; the new timers take effect now.
    if (packet.final && this.pollActive) {
      this.pollActive = false;
      this.activeTx = this.advertisedTx();
      this.activeRx = this.configured.requiredMinRx;
    }
    this.detectAt = now + this.detectionTime() / 1000;
    if (this.state === 'admin-down') return;
    const remote = packet.state;
    if (remote === BfdState.AdminDown) {
      if (this.state !== 'down') this.moveTo('down', BfdDiag.NeighborSignaledSessionDown, now);
    } else if (this.state === 'down') {
      if (remote === BfdState.Down) this.moveTo('init', BfdDiag.None, now);
      else if (remote === BfdState.Init) this.moveTo('up', BfdDiag.None, now);
    } else if (this.state === 'init') {
      if (remote === BfdState.Init || remote === BfdState.Up) this.moveTo('up', BfdDiag.None, now);
    } else if (remote === BfdState.Down) {
      this.moveTo('down', BfdDiag.NeighborSignaledSessionDown, now);
    }
    // 6.8.7: answer a Poll with a Final at once, outside the periodic schedule.
    if (packet.poll) {
      this.sendFinal = true;
      this.transmit(false);
    }
    // A new Required Min RX from the remote (0 stops us, 6.8.7): the schedule follows it.
    if (rxChanged) this.scheduleTx(now);
  }

  /**
   * New configured timers (a reload). While Up they are negotiated with a Poll Sequence
   * (6.8.3): a slower transmit rate or a shorter detection applies once the Final arrives.
   */
  setTimers(timers: BfdTimers, now: number): void {
    const previous = this.configured;
    this.configured = timers;
    if (this.state !== 'up') {
      this.activeTx = this.advertisedTx();
      this.activeRx = timers.requiredMinRx;
      return;
    }
    // Faster sending and a longer detection can apply at once; the others wait (6.8.3).
    if (timers.desiredMinTx < previous.desiredMinTx) this.activeTx = timers.desiredMinTx;
    if (timers.requiredMinRx > previous.requiredMinRx) this.activeRx = timers.requiredMinRx;
    this.startPoll(now);
  }

  /** 6.8.16: AdminDown with diag 7, said once now; the session then stays silent. */
  adminDown(now: number): void {
    this.moveTo('admin-down', BfdDiag.AdministrativelyDown, now);
    this.transmit(false);
    this.nextTx = undefined;
    this.detectAt = undefined;
  }

  // ---- internals ------------------------------------------------------------

  private moveTo(to: BfdStateName, diag: number, now: number): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.localDiag = diag;
    this.changes.push({ from, to, diag, remoteState: this.remoteState });
    if (to === 'up') {
      // 6.8.3: from the slow 1 s rate to the configured one by a Poll Sequence.
      this.activeTx = Math.min(this.activeTx, this.configured.desiredMinTx);
      this.startPoll(now);
    } else if (from === 'up') {
      this.pollActive = false;
      this.activeTx = this.advertisedTx();
      this.activeRx = this.configured.requiredMinRx;
    }
    // 6.8.7: a state change is sent without waiting for the next interval.
    if (to !== 'admin-down') {
      this.transmit(false);
      this.scheduleTx(now);
    }
  }

  private startPoll(now: number): void {
    this.pollActive = true;
    this.transmit(true);
    this.scheduleTx(now);
  }

  /** The Desired Min TX we advertise: at least 1 s while not Up (6.8.3). */
  private advertisedTx(): number {
    return this.state === 'up'
      ? this.configured.desiredMinTx
      : Math.max(this.configured.desiredMinTx, SLOW_TX_US);
  }

  /** 6.8.7: the larger of our Desired Min TX in use and the remote's Required Min RX. */
  private txInterval(): number {
    const ours = this.state === 'up' ? this.activeTx : this.advertisedTx();
    return Math.max(ours, this.remoteMinRx);
  }

  /** 6.8.4: the remote's Detect Mult times the larger of our Required Min RX and its Desired Min TX. */
  private detectionTime(): number {
    const mult = this.remoteDetectMult === 0 ? this.configured.detectMult : this.remoteDetectMult;
    return mult * Math.max(this.activeRx, this.remoteMinTx);
  }

  private scheduleTx(now: number): void {
    // 6.8.7: a Required Min RX of zero from the remote: send no periodic packets.
    if (this.remoteMinRx === 0 || this.state === 'admin-down') {
      this.nextTx = undefined;
      return;
    }
    // Jitter: 75-100% of the interval, 75-90% when our Detect Mult is 1.
    const spread = this.configured.detectMult === 1 ? 0.15 : 0.25;
    const factor = 1 - spread * this.random() - (this.configured.detectMult === 1 ? 0.1 : 0);
    this.nextTx = now + (this.txInterval() * factor) / 1000;
  }

  private transmit(poll: boolean): void {
    const final = this.sendFinal;
    this.sendFinal = false;
    const state =
      this.state === 'admin-down'
        ? BfdState.AdminDown
        : this.state === 'down'
          ? BfdState.Down
          : this.state === 'init'
            ? BfdState.Init
            : BfdState.Up;
    this.out.push({
      version: BFD_VERSION,
      diag: this.localDiag,
      state,
      // 6.5: P and F are never both set; a Final waits for no Poll.
      poll: !final && (poll || this.pollActive),
      final,
      controlPlaneIndependent: false,
      demand: false,
      detectMult: this.configured.detectMult,
      myDiscriminator: this.localDiscr,
      yourDiscriminator: this.remoteDiscr,
      desiredMinTx: this.advertisedTx(),
      requiredMinRx: this.configured.requiredMinRx,
      requiredMinEchoRx: 0,
    });
  }
}
