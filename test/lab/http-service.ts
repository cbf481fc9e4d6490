/**
 * Parent side of http-service-process.ts: a real HTTP service in a lab namespace (or on
 * the host's loopback) that a test can break and mend, learning the exact moment (epoch
 * ms, CLOCK_REALTIME) it did so.
 *
 *   const web = await lab.startHttpService(node, { port: 8080 });
 *   const { at } = await web.break('refuse');   // from `at` on, every check fails
 *   await web.mend();
 */
import { fileURLToPath } from 'node:url';
import type { Namespace, Owned } from './host.js';
import type {
  BreakMode,
  HttpServiceCommand,
  HttpServiceEvent,
  HttpServiceStats,
} from './http-service-protocol.js';
import { LabProcess, parseJsonLine } from './process.js';

export type { BreakMode, HttpServiceStats } from './http-service-protocol.js';

const SCRIPT = fileURLToPath(new URL('./http-service-process.js', import.meta.url));

export interface HttpServiceOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port (see `port` after start). */
  port?: number;
  name?: string;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class HttpService implements Owned {
  readonly process: LabProcess;
  readonly host: string;
  private boundPort: number | undefined;
  private nextId = 1;

  constructor(dir: string, ns: Namespace | undefined, options: HttpServiceOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.process = new LabProcess(dir, ns, {
      name: options.name ?? 'http-service',
      argv: [
        process.execPath,
        '--enable-source-maps',
        SCRIPT,
        this.host,
        String(options.port ?? 0),
      ],
      stdin: true,
    });
  }

  /** The port it listens on (after start). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error(`${this.process.name} not started`);
    return this.boundPort;
  }

  /** http://HOST:PORT/health */
  get url(): string {
    return `http://${this.host}:${this.port}/health`;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  async start(): Promise<void> {
    await this.process.start();
    const ready = await this.process.waitForJson((e) => e.event === 'ready', {
      what: `${this.process.name} ready`,
    });
    this.boundPort = Number(ready.port);
  }

  /** Breaks the service; resolves with the epoch ms from which checks fail. */
  async break(mode: BreakMode = 'refuse'): Promise<{ at: number; stats: HttpServiceStats }> {
    return this.request({ op: 'break', mode });
  }

  /** Mends it; resolves with the epoch ms from which checks pass (listening again). */
  async mend(): Promise<{ at: number; stats: HttpServiceStats }> {
    return this.request({ op: 'mend' });
  }

  async stats(): Promise<HttpServiceStats> {
    return (await this.request({ op: 'stats' })).stats;
  }

  pids(): number[] {
    return this.process.pids();
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }

  private async request(
    command: DistributiveOmit<HttpServiceCommand, 'id'>,
  ): Promise<{ at: number; stats: HttpServiceStats }> {
    const id = this.nextId++;
    const from = this.process.lines.length;
    this.process.write(`${JSON.stringify({ ...command, id })}\n`);
    const line = await this.process.waitForLine(
      (text) => {
        const event = parseJsonLine(text) as HttpServiceEvent | undefined;
        return event?.event === 'reply' && event.id === id;
      },
      { what: `${this.process.name}: reply to ${command.op}`, from, timeoutMs: 10_000 },
    );
    const reply = parseJsonLine(line.text) as HttpServiceEvent;
    if (reply.event !== 'reply') throw new Error('unreachable');
    if (!reply.ok) throw new Error(`${this.process.name}: ${command.op}: ${reply.error}`);
    return { at: reply.at, stats: reply.result };
  }
}
