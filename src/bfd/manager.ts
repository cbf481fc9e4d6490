/**
 * The main thread's side of BFD: starts the worker (worker.ts) on the first session,
 * sends it sessions to add, change and remove, and keeps what it reports: each
 * session's state for status and metrics, and whether it holds its BGP session down
 * (RFC 5882, see `holdsDown`). A worker that dies takes every session Down with it and
 * is started again.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { MessageChannel } from 'node:worker_threads';
import type { Logger } from 'pino';
import { closeFd, openWakeup, signalWakeup, sockoptSupport } from '../sockopt/index.js';
import { BfdDiag, diagName, type BfdStateName } from './codec.js';
import { BFD_PORT, type DropReason } from './engine.js';
import { applyChanges, holdsBgpDown as gateHolds, INITIAL_GATE, type GateCounts } from './gate.js';
import type { ToMain, ToWorker } from './messages.js';
import { toMicros, type BfdOptions } from './options.js';
import type { BfdSessionView, BfdStateChange, BfdTimers } from './session.js';
import type { WorkerData } from './worker.js';

/** One peer's BFD as status, the API and metrics show it. Times in milliseconds. */
export interface BfdPeerStatus {
  readonly state: BfdStateName;
  readonly remoteState: BfdStateName;
  /** The router has sent us a packet in the last detection time. */
  readonly answering: boolean;
  readonly required: boolean;
  /** BGP is held down until BFD is Up again. */
  readonly holdsBgpDown: boolean;
  readonly localDiscriminator: number;
  readonly remoteDiscriminator: number;
  /** Configured: Desired Min TX, Required Min RX, Detect Mult. */
  readonly minTxMs: number;
  readonly minRxMs: number;
  readonly multiplier: number;
  /** Agreed: the interval we send at, the one we expect packets at, the detection time. */
  readonly txIntervalMs: number;
  readonly rxIntervalMs: number;
  readonly detectionTimeMs: number;
  readonly remoteMultiplier: number;
  /** The last diagnostic other than none: why the session last went down. */
  readonly lastDiagnostic?: string;
  /** Epoch ms of the last state change. */
  readonly since: number;
  readonly transitions: number;
  /** Times the session went from Up to Down. */
  readonly flaps: number;
  /** The session's socket could not be set up, or sending fails. */
  readonly error?: string;
}

export interface BfdSessionSpec {
  readonly peer: string;
  readonly localAddress?: string;
  readonly options: BfdOptions;
}

export interface BfdManagerOptions {
  readonly logger: Logger;
  /** Port of control packets; 3784 (RFC 5881). Tests that run two speakers on one host change it. */
  readonly port?: number;
  readonly now?: () => number;
}

interface Tracked {
  spec: BfdSessionSpec;
  view: BfdSessionView | undefined;
  since: number;
  /** Transitions, flaps and whether it holds BGP down (gate.ts). */
  gate: GateCounts;
  error: string | undefined;
}

export interface BfdManagerEvents {
  /** A session's status changed; `gateChanged` when its hold on BGP did. */
  change: [id: string, status: BfdPeerStatus, gateChanged: boolean];
}

const RESTART_DELAY_MS = 1000;

export class BfdManager extends EventEmitter<BfdManagerEvents> {
  private readonly log: Logger;
  private readonly port: number;
  private readonly now: () => number;
  private readonly sessions = new Map<string, Tracked>();
  private worker: Worker | undefined;
  private channel: MessageChannel | undefined;
  private wakeFd: number | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private drops: Partial<Record<DropReason, number>> = {};
  /** Times the worker woke more than 50 ms after a timer, and the worst. */
  lateCount = 0;
  lateMaxMs = 0;

  constructor(options: BfdManagerOptions) {
    super();
    this.log = options.logger;
    this.port = options.port ?? BFD_PORT;
    this.now = options.now ?? Date.now;
  }

  /** Packets dropped so far, by reason (TTL, malformed, authentication, unknown session). */
  get dropped(): Partial<Record<DropReason, number>> {
    return this.drops;
  }

  add(id: string, spec: BfdSessionSpec): void {
    this.sessions.set(id, {
      spec,
      view: undefined,
      since: this.now(),
      gate: INITIAL_GATE,
      error: undefined,
    });
    this.ensureWorker();
    this.sendAdd(id, spec);
  }

  /** New timers for a running session: negotiated by a Poll Sequence, BGP untouched. */
  update(id: string, spec: BfdSessionSpec): void {
    const tracked = this.sessions.get(id);
    if (tracked === undefined) {
      this.add(id, spec);
      return;
    }
    const sameTransport =
      tracked.spec.peer === spec.peer && tracked.spec.localAddress === spec.localAddress;
    tracked.spec = spec;
    if (!sameTransport) {
      this.sendAdd(id, spec);
      return;
    }
    this.post({ type: 'update', id, timers: timersOf(spec.options) });
    this.emit('change', id, this.statusOf(tracked), false);
  }

  remove(id: string): void {
    if (!this.sessions.delete(id)) return;
    this.post({ type: 'remove', id });
  }

  status(id: string): BfdPeerStatus | undefined {
    const tracked = this.sessions.get(id);
    return tracked === undefined ? undefined : this.statusOf(tracked);
  }

  /** Whether BFD holds this peer's BGP session down (RFC 5882 section 3.2). */
  holdsDown(id: string): boolean {
    const tracked = this.sessions.get(id);
    return tracked !== undefined && holdsBgpDown(tracked);
  }

  /** Says AdminDown on every session (so routers do not count a failure) and ends the worker. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.sessions.clear();
    const worker = this.worker;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.post({ type: 'stop' });
    const timeout = setTimeout(() => void worker.terminate(), 2000);
    await exited;
    clearTimeout(timeout);
  }

  // ---- worker ---------------------------------------------------------------

  private ensureWorker(): void {
    if (this.worker !== undefined || this.stopping) return;
    const support = sockoptSupport();
    if (!support.ok) {
      for (const [id, tracked] of this.sessions) {
        tracked.error = `BFD needs socket options: ${support.reason}`;
        this.emit('change', id, this.statusOf(tracked), false);
      }
      this.log.error({ event: 'bfd.unavailable', reason: support.reason }, 'BFD cannot run');
      return;
    }
    this.wakeFd ??= openWakeup();
    const channel = new MessageChannel();
    const data: WorkerData = { port: channel.port2, wakeFd: this.wakeFd, bfdPort: this.port };
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: data,
      transferList: [channel.port2],
      name: 'bfd',
    });
    this.worker = worker;
    this.channel = channel;
    channel.port1.on('message', (message: ToMain) => this.onMessage(message));
    worker.on('error', (error) =>
      this.log.error({ event: 'bfd.worker_failed', err: error.message }, 'BFD worker failed'),
    );
    worker.once('exit', (code) => {
      channel.port1.close();
      if (this.worker === worker) {
        this.worker = undefined;
        this.channel = undefined;
      }
      if (this.stopping) {
        if (this.wakeFd !== undefined) closeFd(this.wakeFd);
        this.wakeFd = undefined;
        return;
      }
      this.log.error({ event: 'bfd.worker_exited', code }, 'BFD worker exited: restarting it');
      this.workerLost();
    });
  }

  /** Every session is Down (nobody is watching the peers); the worker comes back shortly. */
  private workerLost(): void {
    for (const [id, tracked] of this.sessions) {
      const before = holdsBgpDown(tracked);
      if (tracked.view?.state === 'up') {
        tracked.gate = applyChanges(tracked.gate, [
          { from: 'up', to: 'down', diag: BfdDiag.None, remoteState: tracked.view.remoteState },
        ]);
        tracked.since = this.now();
      }
      tracked.view = undefined;
      this.emit('change', id, this.statusOf(tracked), before !== holdsBgpDown(tracked));
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.sessions.size === 0) return;
      this.ensureWorker();
      for (const [id, tracked] of this.sessions) this.sendAdd(id, tracked.spec);
    }, RESTART_DELAY_MS);
  }

  private sendAdd(id: string, spec: BfdSessionSpec): void {
    this.post({
      type: 'add',
      id,
      peer: spec.peer,
      ...(spec.localAddress === undefined ? {} : { localAddress: spec.localAddress }),
      timers: timersOf(spec.options),
    });
  }

  private post(message: ToWorker): void {
    if (this.channel === undefined || this.wakeFd === undefined) return;
    this.channel.port1.postMessage(message);
    signalWakeup(this.wakeFd);
  }

  private onMessage(message: ToMain): void {
    switch (message.type) {
      case 'ready':
        this.log.info(
          { event: 'bfd.worker_started', nice: message.nice, niceProblem: message.niceProblem },
          'BFD worker started',
        );
        return;
      case 'stopped':
        return;
      case 'late':
        this.lateCount++;
        this.lateMaxMs = Math.max(this.lateMaxMs, message.ms);
        this.log.warn(
          { event: 'bfd.worker_late', lateMs: message.ms },
          'the BFD worker ran late: the host did not schedule it',
        );
        return;
      case 'dropped':
        this.drops = message.counts;
        if ((message.counts.ttl ?? 0) > 0)
          this.log.debug(
            { event: 'bfd.packets_dropped', counts: message.counts },
            'BFD packets dropped',
          );
        return;
      case 'error':
      case 'send-error': {
        const tracked = this.sessions.get(message.id);
        if (tracked === undefined) return;
        tracked.error = message.message;
        if (message.message !== undefined)
          this.log.warn(
            { event: 'bfd.session_error', peer: tracked.spec.peer, err: message.message },
            'BFD session cannot send',
          );
        this.emit('change', message.id, this.statusOf(tracked), false);
        return;
      }
      case 'state':
        this.onState(message.id, message.view, message.changes);
        return;
    }
  }

  private onState(id: string, view: BfdSessionView, changes: readonly BfdStateChange[]): void {
    const tracked = this.sessions.get(id);
    if (tracked === undefined) return;
    const before = holdsBgpDown(tracked);
    tracked.view = view;
    tracked.gate = applyChanges(tracked.gate, changes);
    if (changes.length > 0) tracked.since = this.now();
    for (const change of changes) {
      this.log.info(
        {
          event: 'bfd.state_changed',
          peer: tracked.spec.peer,
          from: change.from,
          to: change.to,
          diag: diagName(change.diag),
          remoteState: change.remoteState,
        },
        `BFD session ${change.to}`,
      );
    }
    this.emit('change', id, this.statusOf(tracked), before !== holdsBgpDown(tracked));
  }

  private statusOf(tracked: Tracked): BfdPeerStatus {
    const view = tracked.view;
    const options = tracked.spec.options;
    const rxInterval =
      view === undefined || view.remoteDetectMult === 0
        ? 0
        : view.detectionTime / view.remoteDetectMult;
    return {
      state: view?.state ?? 'down',
      remoteState: view?.remoteState ?? 'down',
      answering: view !== undefined && view.remoteDiscr !== 0,
      required: options.required,
      holdsBgpDown: holdsBgpDown(tracked),
      localDiscriminator: view?.localDiscr ?? 0,
      remoteDiscriminator: view?.remoteDiscr ?? 0,
      minTxMs: options.minTx * 1000,
      minRxMs: options.minRx * 1000,
      multiplier: options.multiplier,
      txIntervalMs: (view?.txInterval ?? 0) / 1000,
      rxIntervalMs: rxInterval / 1000,
      detectionTimeMs:
        view === undefined || view.remoteDetectMult === 0 ? 0 : view.detectionTime / 1000,
      remoteMultiplier: view?.remoteDetectMult ?? 0,
      ...(tracked.gate.lastDiag === BfdDiag.None
        ? {}
        : { lastDiagnostic: diagName(tracked.gate.lastDiag) }),
      since: tracked.since,
      transitions: tracked.gate.transitions,
      flaps: tracked.gate.flaps,
      ...(tracked.error === undefined ? {} : { error: tracked.error }),
    };
  }
}

function holdsBgpDown(tracked: Tracked): boolean {
  return gateHolds(tracked.gate, tracked.view?.state, tracked.spec.options.required);
}

function timersOf(options: BfdOptions): BfdTimers {
  return {
    desiredMinTx: toMicros(options.minTx),
    requiredMinRx: toMicros(options.minRx),
    detectMult: options.multiplier,
  };
}
