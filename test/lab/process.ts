/**
 * An arbitrary long-lived process, inside a lab namespace (`ip netns exec NS argv…`, which
 * execs argv, so the child's pid is the program's) or, without a namespace, on the host
 * (benchmarks that need no root). stdout is kept line by line in memory and copied to
 * `<dir>/<name>.stdout`; stderr goes to `<dir>/<name>.stderr`. The lab stops it on
 * teardown (SIGTERM, then SIGKILL) and kills it synchronously at process exit.
 *
 *   const p = await lab.spawn(node, ['node', 'dist/src/cli/main.js', 'run', '--config', path]);
 *   await p.waitForJson((e) => e.event === 'route.announced', { what: 'announced' });
 *   p.signal('SIGTERM');
 *   const { code } = await p.waitForExit();
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WaitTimeout } from './errors.js';
import type { Namespace, Owned } from './host.js';
import { isAlive, waitForExit } from './wait.js';

export interface ProcessOptions {
  /** Names the log files and the process in messages ([a-z0-9-]). */
  name: string;
  argv: readonly string[];
  /** Set over the parent's environment. */
  env?: Record<string, string>;
  /** Pipe stdin so `write()` works (default: stdin is /dev/null). */
  stdin?: boolean;
  cwd?: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Epoch ms the parent saw the exit. */
  at: number;
}

/** One stdout line with the epoch ms the parent read it. */
export interface OutputLine {
  at: number;
  text: string;
}

export type JsonRecord = Record<string, unknown>;

export class LabProcess implements Owned {
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** Every stdout line so far, oldest first. */
  readonly lines: OutputLine[] = [];
  private child: ChildProcess | undefined;
  private exitInfo: ProcessExit | undefined;
  private exitPromise: Promise<ProcessExit> | undefined;
  private readonly listeners = new Set<() => void>();
  private stdoutCopy: WriteStream | undefined;

  constructor(
    /** Directory for the log files. */
    readonly dir: string,
    /** Namespace to run in; undefined runs on the host. */
    readonly ns: Namespace | undefined,
    readonly options: ProcessOptions,
  ) {
    mkdirSync(dir, { recursive: true });
    this.stdoutPath = join(dir, `${options.name}.stdout`);
    this.stderrPath = join(dir, `${options.name}.stderr`);
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How it exited, once it has. */
  get exited(): ProcessExit | undefined {
    return this.exitInfo;
  }

  /** Spawns the process; resolves once it runs (not once it is ready: wait for a line). */
  async start(): Promise<void> {
    if (this.child && !this.exitInfo) throw new Error(`${this.name} already running`);
    this.exitInfo = undefined;
    this.lines.length = 0;
    const argv = this.ns
      ? ['ip', 'netns', 'exec', this.ns.netns, ...this.options.argv]
      : [...this.options.argv];
    const [file, ...args] = argv;
    if (file === undefined) throw new Error(`${this.name}: empty argv`);
    const errFd = openSync(this.stderrPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        stdio: [this.options.stdin ? 'pipe' : 'ignore', 'pipe', errFd],
        env: { ...process.env, ...this.options.env },
        ...(this.options.cwd === undefined ? {} : { cwd: this.options.cwd }),
      });
    } finally {
      closeSync(errFd);
    }
    this.child = child;
    const copy = createWriteStream(this.stdoutPath, { flags: 'a' });
    this.stdoutCopy = copy;
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (text) => {
      copy.write(`${text}\n`);
      this.lines.push({ at: Date.now(), text });
      this.notify();
    });
    const closed = new Promise<void>((resolve) => lines.once('close', resolve));
    child.stdin?.on('error', () => {
      // EPIPE after the child died: the exit handler reports it.
    });
    this.exitPromise = new Promise<ProcessExit>((resolve) => {
      child.once('exit', (code, signal) => {
        const at = Date.now();
        // Let the last stdout lines arrive before reporting the exit (bounded: a
        // grandchild may hold the pipe open).
        const late = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
        void Promise.race([closed, late]).then(() => {
          this.exitInfo = { code, signal, at };
          copy.end();
          this.notify();
          resolve(this.exitInfo);
        });
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) =>
        reject(new Error(`${this.name}: cannot start ${file}: ${error.message}`, { cause: error })),
      );
    });
  }

  /** Writes to the child's stdin (needs `stdin: true`). */
  write(text: string): void {
    const stdin = this.child?.stdin;
    if (!stdin || this.exitInfo) throw new Error(`${this.name}: not running with a stdin pipe`);
    stdin.write(text);
  }

  /** Sends a signal; false when the process is gone. */
  signal(signal: NodeJS.Signals): boolean {
    const pid = this.child?.pid;
    if (pid === undefined || this.exitInfo) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Parsed JSON stdout lines (lines that are not JSON objects are skipped). */
  json(): JsonRecord[] {
    return this.lines.flatMap((line) => {
      const parsed = parseJsonLine(line.text);
      return parsed === undefined ? [] : [parsed];
    });
  }

  /**
   * Resolves with the first stdout line at index `from` or later that `match` accepts
   * (lines already seen count); rejects on timeout or when the process exits first.
   */
  waitForLine(
    match: (text: string) => boolean,
    options: { what: string; timeoutMs?: number; from?: number },
  ): Promise<OutputLine> {
    const from = options.from ?? 0;
    return this.waitUntil(
      () => this.lines.find((line, i) => i >= from && match(line.text)),
      options.what,
      options.timeoutMs ?? 15_000,
    );
  }

  /** Like waitForLine for JSON lines; resolves with the parsed record. */
  async waitForJson(
    match: (record: JsonRecord) => boolean,
    options: { what: string; timeoutMs?: number; from?: number },
  ): Promise<JsonRecord> {
    const line = await this.waitForLine((text) => {
      const parsed = parseJsonLine(text);
      return parsed !== undefined && match(parsed);
    }, options);
    return parseJsonLine(line.text) as JsonRecord;
  }

  /** Waits for the process to exit by itself; rejects after timeoutMs. */
  async waitForExit(timeoutMs = 15_000): Promise<ProcessExit> {
    const exit = this.exitPromise;
    if (!exit) throw new Error(`${this.name} never started`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WaitTimeout(`${this.name} to exit`, timeoutMs, this.tail())),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  pids(): number[] {
    const pid = this.child?.pid;
    return pid !== undefined && !this.exitInfo && isAlive(pid) ? [pid] : [];
  }

  /** SIGTERM, up to graceMs, then SIGKILL. */
  async stop(graceMs = 5000): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined || this.exitInfo) return;
    this.signal('SIGTERM');
    if (!(await waitForExit(pid, graceMs))) {
      this.signal('SIGKILL');
      await waitForExit(pid, 5000);
    }
    await this.exitPromise;
  }

  /** Everything the process wrote to stdout so far. */
  stdout(): string {
    return this.lines.map((line) => `${line.text}\n`).join('');
  }

  stderr(): string {
    try {
      return readFileSync(this.stderrPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** The last lines of stdout and stderr, for error messages. */
  tail(chars = 2000): string {
    const out = this.stdout().slice(-chars);
    const err = this.stderr().slice(-chars);
    return `${this.name} stdout: ${out || '(none)'}\n${this.name} stderr: ${err || '(none)'}`;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private waitUntil<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = probe();
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (this.exitInfo) {
          done();
          const how = this.exitInfo.signal ?? `code ${this.exitInfo.code}`;
          reject(
            new Error(`${this.name} exited (${how}) while waiting for ${what}\n${this.tail()}`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new WaitTimeout(what, timeoutMs, this.tail()));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }
}

export function parseJsonLine(text: string): JsonRecord | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as JsonRecord)
      : undefined;
  } catch {
    return undefined;
  }
}
