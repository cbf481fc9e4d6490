/**
 * anycast-guard under ExaBGP with a configuration it cannot use. Exiting would be worse
 * than waiting: ExaBGP starts its API process again at once and, after more than 5 deaths
 * in about a minute, exits itself and drops every session on the host. So the process
 * stays, announces nothing, and waits for a fixed file (SIGHUP, as for any reload).
 *
 * Meanwhile this holds the pipes: it reads our stdin (ExaBGP writes blocking, and says
 * "shutdown" before it stops), withdraws what the state file says an earlier process
 * announced (a crashed run's routes stay in ExaBGP), and hands the pipes over to the
 * announcer once a configuration loads, after the answers to its withdrawals, so none is
 * taken for the announcer's own commands.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { classifyLine, withdrawLine } from './commands.js';

/**
 * Whether ExaBGP started this process: its parent runs `exabgp`, or, when the parent
 * cannot be read (a wrapper that did not exec), the configuration text names the ExaBGP
 * announcer and stdout is not a terminal.
 */
export function startedByExabgp(
  configText: string | undefined,
  parentCommand: () => string | undefined = readParentCommand,
  stdoutIsTty = process.stdout.isTTY === true,
): boolean {
  if (stdoutIsTty) return false;
  // `/usr/sbin/exabgp conf`, `python3 /usr/sbin/exabgp conf` or `python3 -m exabgp conf`.
  const argv = (parentCommand() ?? '').split('\0').slice(0, 3);
  if (argv.some((arg) => basename(arg) === 'exabgp')) return true;
  return configText !== undefined && /\bexabgp\b/.test(configText);
}

/** The parent's argv, NUL-separated (/proc/PPID/cmdline). */
function readParentCommand(): string | undefined {
  try {
    return readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

export interface ExabgpHoldOptions {
  readonly input: Readable;
  readonly output: Writable;
  /** Once: ExaBGP said "shutdown" (true) or closed our stdin (false). */
  readonly onGone: (shutdown: boolean) => void;
}

export class ExabgpHold {
  /** Withdrawals written whose "done" / "error" has not come yet (with ack). */
  private unanswered = 0;
  private buffer = '';
  private gone = false;
  private waiters: (() => void)[] = [];

  private readonly onData = (chunk: string): void => {
    this.buffer += chunk;
    let at: number;
    while ((at = this.buffer.indexOf('\n')) >= 0) {
      const line = classifyLine(this.buffer.slice(0, at));
      this.buffer = this.buffer.slice(at + 1);
      if (line.kind === 'shutdown') this.leave(true);
      else if (line.kind === 'answer' && this.unanswered > 0) {
        this.unanswered--;
        if (this.unanswered === 0) this.wake();
      }
    }
  };
  private readonly onEnd = (): void => this.leave(false);

  constructor(private readonly options: ExabgpHoldOptions) {
    options.input.setEncoding('utf8');
    options.input.on('data', this.onData);
    options.input.on('end', this.onEnd);
    options.input.on('error', this.onEnd);
    options.output.on('error', this.onEnd);
    options.input.resume();
  }

  /** Writes a withdrawal for each prefix (ExaBGP takes one for a route it does not have). */
  withdraw(prefixes: Iterable<string>): number {
    let n = 0;
    for (const prefix of prefixes) {
      this.options.output.write(`${withdrawLine(prefix)}\n`);
      n++;
    }
    this.unanswered += n;
    return n;
  }

  /**
   * Gives the pipes back: with ack, first waits (at most `timeoutMs`) for the answers to
   * the withdrawals, so the announcer's channel never reads them as its own.
   */
  async release(ack: boolean, timeoutMs: number): Promise<void> {
    if (ack && this.unanswered > 0 && !this.gone) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const { input, output } = this.options;
    input.off('data', this.onData);
    input.off('end', this.onEnd);
    input.off('error', this.onEnd);
    output.off('error', this.onEnd);
    input.pause();
  }

  private leave(shutdown: boolean): void {
    if (this.gone) return;
    this.gone = true;
    this.wake();
    this.options.onGone(shutdown);
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
