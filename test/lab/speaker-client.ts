/**
 * Parent side of speaker-process.ts: spawns our speaker inside a lab namespace
 * (`ip netns exec NS node dist/test/lab/speaker-process.js CONFIG.json`), sends JSON-line
 * commands, collects JSON-line events, and kills the child on teardown.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type {
  AnnounceAttributes,
  PeerOptions,
  PeerStatus,
  ReceivedRoute,
} from '../../src/bgp/index.js';
import { WaitTimeout, describe } from './errors.js';
import type { LabHost, Namespace, Owned } from './host.js';
import type {
  SpeakerCommand,
  SpeakerEvent,
  SpeakerOp,
  SpeakerProcessConfig,
  SpeakerResults,
} from './speaker-protocol.js';
import { isAlive, waitForExit } from './wait.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type CommandBody<O extends SpeakerOp> = DistributiveOmit<
  Extract<SpeakerCommand, { op: O }>,
  'id' | 'op'
>;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  op: string;
}

export interface PeerStateEvent {
  at: number;
  status: PeerStatus;
}

export interface SpeakerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Peak RSS the child reported on exit (VmHWM), kB; undefined when it was killed. */
  vmHwmKb?: number;
  at?: number;
}

const SCRIPT = fileURLToPath(new URL('./speaker-process.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/**
 * The node flags the daemon runs with: those of the CLI's `#!/usr/bin/env -S node …`
 * line (src/cli/main.ts), so an `asDaemon` speaker's heap is sized as the daemon's is.
 */
export function daemonNodeFlags(): string[] {
  const first = readFileSync(CLI, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\/usr\/bin\/env (?:-S )?node\b(.*)$/.exec(first);
  if (match === null) throw new Error(`${CLI}: the first line is not "#!/usr/bin/env -S node …"`);
  return (match[1] ?? '').split(' ').filter((flag) => flag !== '');
}

export class SpeakerProcess implements Owned {
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  /** Every peer-state event, oldest first. */
  readonly peerStates: PeerStateEvent[] = [];
  /** Child-side errors reported as events. */
  readonly errors: string[] = [];
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<() => void>();
  private exitInfo: SpeakerExit | undefined;
  private exitPromise: Promise<SpeakerExit> | undefined;
  private exitEvent: { at: number; vmHwmKb: number } | undefined;

  constructor(
    private readonly host: LabHost,
    readonly ns: Namespace,
    readonly name: string,
    readonly config: SpeakerProcessConfig,
  ) {
    this.dir = join(host.dir, `speaker-${name}`);
    mkdirSync(this.dir, { recursive: true });
    this.configPath = join(this.dir, 'config.json');
    this.logPath = join(this.dir, 'speaker.log');
    writeFileSync(this.configPath, JSON.stringify(config, null, 2));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get exited(): SpeakerExit | undefined {
    return this.exitInfo;
  }

  async start(): Promise<void> {
    if (this.child && !this.exitInfo) throw new Error(`speaker ${this.name} already running`);
    this.exitInfo = undefined;
    this.exitEvent = undefined;
    const logFd = openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        'ip',
        [
          'netns',
          'exec',
          this.ns.netns,
          process.execPath,
          ...(this.config.asDaemon === true ? daemonNodeFlags() : ['--enable-source-maps']),
          SCRIPT,
          this.configPath,
        ],
        {
          stdio: ['pipe', 'pipe', logFd],
        },
      );
    } finally {
      closeSync(logFd);
    }
    this.child = child;
    this.exitPromise = new Promise<SpeakerExit>((resolve) => {
      child.once('exit', (code, signal) => {
        const info: SpeakerExit = { code, signal };
        if (this.exitEvent) Object.assign(info, this.exitEvent);
        this.exitInfo = info;
        const why = new Error(
          `speaker ${this.name} exited (${signal ?? `code ${code}`}): ${this.logTail()}`,
        );
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(why);
          this.pending.delete(id);
        }
        this.notify();
        resolve(info);
      });
    });
    child.stdin?.on('error', () => {
      // EPIPE after the child died: surfaced through the exit handler.
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => this.onLine(line));
    await this.waitForEvent((e) => e.event === 'ready', {
      what: `speaker ${this.name} ready`,
      timeoutMs: 20_000,
    });
  }

  private readonly seen: SpeakerEvent[] = [];

  private onLine(line: string): void {
    let event: SpeakerEvent;
    try {
      event = JSON.parse(line) as SpeakerEvent;
    } catch {
      this.errors.push(`unparsable line from child: ${line.slice(0, 200)}`);
      return;
    }
    switch (event.event) {
      case 'reply': {
        const p = this.pending.get(event.id);
        if (!p) break;
        this.pending.delete(event.id);
        clearTimeout(p.timer);
        if (event.ok) p.resolve(event.result);
        else
          p.reject(
            Object.assign(new Error(`speaker ${this.name}: ${p.op}: ${event.error.message}`), {
              code: event.error.code,
            }),
          );
        break;
      }
      case 'peer-state':
        this.peerStates.push({ at: event.at, status: event.status });
        break;
      case 'error':
        this.errors.push(event.message);
        break;
      case 'exit':
        this.exitEvent = { at: event.at, vmHwmKb: event.vmHwmKb };
        break;
      default:
        break;
    }
    if (event.event !== 'reply') this.seen.push(event);
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /**
   * Resolves with `probe()`'s first defined value, re-checked whenever the child says
   * something; rejects on timeout (naming `what` and `last()`) or when the child exits.
   */
  private waitUntil<T>(
    probe: () => T | undefined,
    what: string,
    timeoutMs: number,
    last: () => unknown,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = probe();
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (this.exitInfo) {
          done();
          reject(
            new Error(`speaker ${this.name} exited while waiting for ${what}: ${this.logTail()}`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new WaitTimeout(what, timeoutMs, last()));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves with the first event (past or future) matching `match`. */
  waitForEvent(
    match: (event: SpeakerEvent) => boolean,
    options: { what: string; timeoutMs?: number },
  ): Promise<SpeakerEvent> {
    return this.waitUntil(
      () => this.seen.find(match),
      options.what,
      options.timeoutMs ?? 15_000,
      () => this.seen.at(-1),
    );
  }

  /**
   * Waits for a peer-state event for `peer` (name or address) with state `state`
   * (default established) at index `afterIndex` of peerStates or later; returns it.
   */
  waitForPeerState(
    peer: string,
    options: { state?: PeerStatus['state']; timeoutMs?: number; afterIndex?: number } = {},
  ): Promise<PeerStateEvent> {
    const state = options.state ?? 'established';
    const after = options.afterIndex ?? 0;
    return this.waitUntil(
      () =>
        this.peerStates.find(
          (e, i) =>
            i >= after &&
            e.status.state === state &&
            (e.status.name === peer || e.status.address === peer),
        ),
      `speaker ${this.name}: peer ${peer} ${state}`,
      options.timeoutMs ?? 15_000,
      () =>
        this.peerStates.map(
          (e) =>
            `${e.status.state}${e.status.lastErrorReceived ? ` (received ${describe(e.status.lastErrorReceived)})` : ''}${e.status.lastDownReason ? ` (${e.status.lastDownReason})` : ''}`,
        ),
    );
  }

  request<O extends SpeakerOp>(
    op: O,
    body: CommandBody<O>,
    timeoutMs = 120_000,
  ): Promise<SpeakerResults[O]> {
    const child = this.child;
    if (!child?.stdin || this.exitInfo)
      return Promise.reject(new Error(`speaker ${this.name} is not running`));
    const id = this.nextId++;
    const command = { ...body, id, op } as SpeakerCommand;
    return new Promise<SpeakerResults[O]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`speaker ${this.name}: no reply to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer, op });
      child.stdin?.write(`${JSON.stringify(command)}\n`);
    });
  }

  announce(prefixes: string[], attributes?: AnnounceAttributes): Promise<{ count: number }> {
    return this.request('announce', attributes ? { prefixes, attributes } : { prefixes });
  }

  withdraw(prefixes: string[]): Promise<{ count: number }> {
    return this.request('withdraw', { prefixes });
  }

  announceRange(
    start: string,
    count: number,
    attributes?: AnnounceAttributes,
  ): Promise<SpeakerResults['announce-range']> {
    return this.request(
      'announce-range',
      attributes ? { start, count, attributes } : { start, count },
    );
  }

  async status(): Promise<SpeakerResults['status']> {
    return this.request('status', {});
  }

  async peerStatus(peer: string): Promise<PeerStatus> {
    const { peers } = await this.status();
    const found = peers.find((p) => p.name === peer || p.address === peer);
    if (!found) throw new Error(`speaker ${this.name}: no peer ${peer}`);
    return found;
  }

  /** Changes one peer's `bfd` on the running speaker, as a reload would. */
  setBfd(address: string, bfd?: PeerOptions['bfd']): Promise<{ at: number }> {
    return this.request('set-bfd', { address, ...(bfd === undefined ? {} : { bfd }) });
  }

  flushed(): Promise<{ at: number }> {
    return this.request('flushed', {});
  }

  receivedRoutes(): Promise<ReceivedRoute[]> {
    return this.request('received-routes', {});
  }

  /** Clean stop: withdraw all, Cease with `message`, and wait for the child to exit. */
  async shutdown(message?: string, timeoutMs = 15_000): Promise<SpeakerExit> {
    const exit = this.exitPromise;
    if (!exit) throw new Error(`speaker ${this.name} never started`);
    if (!this.exitInfo)
      await this.request('stop', message === undefined ? {} : { message }, timeoutMs);
    const timer = new Promise<undefined>((resolve) =>
      setTimeout(resolve, timeoutMs, undefined).unref(),
    );
    const info = await Promise.race([exit, timer]);
    if (!info) throw new Error(`speaker ${this.name} did not exit within ${timeoutMs} ms of stop`);
    return info;
  }

  /** Kills the child (SIGKILL: no Cease) and waits for it to go. */
  async kill(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined || this.exitInfo) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    await this.exitPromise;
    await waitForExit(pid, 5000);
  }

  pids(): number[] {
    const pid = this.child?.pid;
    return pid !== undefined && !this.exitInfo && isAlive(pid) ? [pid] : [];
  }

  /** Teardown: a short clean stop, else kill. */
  async stop(): Promise<void> {
    if (!this.child || this.exitInfo) return;
    try {
      await this.shutdown('lab teardown', 5000);
    } catch {
      await this.kill();
    }
  }

  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  private logTail(): string {
    return this.log().slice(-2000);
  }
}
