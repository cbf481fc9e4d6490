/**
 * The pipe pair between ExaBGP and its API process: commands go out on our stdout, one
 * per line; with exabgp.api.ack each is answered on our stdin by "done" or "error" after
 * its output, in order (commands.ts). This keeps the order straight and the pipes moving:
 *
 * - Stdin is always read, so ExaBGP, which writes to it blocking, never stalls on us.
 * - At most WINDOW commands wait for an answer; a full stdout (write() false) waits for
 *   'drain' before the next line, so nothing piles up in memory when ExaBGP stops reading.
 * - No answer for `timeoutMs` while commands wait fails them; answers that still come for
 *   them later are dropped (counted as orphans), so they are not taken for newer ones.
 * - EOF on stdin, EPIPE (or any error) on stdout, or ExaBGP's "shutdown" line close the
 *   channel for good: every waiting command fails and `onClosed` is told once.
 * Timers run on the injected clock.
 */
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock/index.js';
import { errorCode, errorMessage } from '../../util/index.js';
import { AnnouncerFailure } from '../errors.js';
import { classifyLine } from './commands.js';

export const WINDOW = 256;

export interface Answer {
  readonly command: string;
  readonly ok: boolean;
  /** Lines ExaBGP wrote before the answer (show commands). */
  readonly output: readonly string[];
}

export interface ChannelOptions {
  readonly input: Readable;
  readonly output: Writable;
  readonly ack: boolean;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Once, when the channel closes; `shutdown` is true after ExaBGP's "shutdown" line. */
  readonly onClosed: (reason: string, shutdown: boolean) => void;
}

interface Pending {
  readonly command: string;
  readonly output: string[];
  readonly resolve: (answer: Answer) => void;
  readonly reject: (error: Error) => void;
}

export class ExabgpChannel {
  /** Why the channel is closed, once it is. */
  closedReason: string | undefined;
  private readonly pending: Pending[] = [];
  private orphans = 0;
  private lastInputAt: number;
  private timer: TimerHandle | undefined;
  private buffer = '';
  private waiters: (() => void)[] = [];
  private readonly onData = (chunk: string | Buffer): void => {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let at: number;
    while ((at = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 1);
      this.onLine(line);
    }
  };
  private readonly onEnd = (): void =>
    this.close('ExaBGP closed our stdin (it stopped or was killed)', false);
  private readonly onInputError = (error: Error): void =>
    this.close(`cannot read from ExaBGP: ${describeError(error)}`, false);
  private readonly onOutputError = (error: Error): void =>
    this.close(`cannot write to ExaBGP: ${describeError(error)}`, false);
  private readonly onDrain = (): void => this.wake();

  constructor(private readonly options: ChannelOptions) {
    this.lastInputAt = options.clock.now();
    options.input.setEncoding('utf8');
    options.input.on('data', this.onData);
    options.input.on('end', this.onEnd);
    options.input.on('error', this.onInputError);
    options.output.on('error', this.onOutputError);
    options.output.on('drain', this.onDrain);
    // A channel before this one (an announcer replaced on reload) paused it.
    options.input.resume();
  }

  /**
   * Sends the commands in order and resolves with one answer each (without ack: each
   * counts as done once written). Rejects with ANNOUNCER_DAEMON_UNREACHABLE when the
   * channel closes or ExaBGP stays silent for `timeoutMs`.
   */
  async send(commands: readonly string[]): Promise<Answer[]> {
    this.ensureOpen();
    const { ack, clock, timeoutMs } = this.options;
    // Answers of commands that timed out come within seconds or never: forget them.
    if (this.pending.length === 0 && clock.now() - this.lastInputAt >= timeoutMs) this.orphans = 0;
    const answers: Promise<Answer>[] = [];
    for (const command of commands) {
      if (ack) {
        while (this.pending.length >= WINDOW) {
          await this.next();
          this.ensureOpen();
        }
        const answer = new Promise<Answer>((resolve, reject) =>
          this.pending.push({ command, output: [], resolve, reject }),
        );
        answer.catch(() => undefined);
        answers.push(answer);
        if (this.pending.length === 1) this.arm();
      }
      await this.write(command);
    }
    if (!ack) return commands.map((command) => ({ command, ok: true, output: [] }));
    return Promise.all(answers);
  }

  /** Stops listening (the announcer is replaced or stopped); waiting commands fail. */
  detach(): void {
    this.close('the ExaBGP announcer stopped', false, false);
    const { input, output } = this.options;
    input.off('data', this.onData);
    input.off('end', this.onEnd);
    input.off('error', this.onInputError);
    output.off('error', this.onOutputError);
    output.off('drain', this.onDrain);
    input.pause();
  }

  private ensureOpen(): void {
    if (this.closedReason !== undefined)
      throw new AnnouncerFailure('ANNOUNCER_DAEMON_UNREACHABLE', `ExaBGP: ${this.closedReason}`);
  }

  private async write(command: string): Promise<void> {
    this.ensureOpen();
    if (this.options.output.write(`${command}\n`)) return;
    // ExaBGP is not reading as fast as we write: wait for room (or the end).
    while (this.options.output.writableNeedDrain && this.closedReason === undefined)
      await this.next();
    this.ensureOpen();
  }

  /** Resolves at the next answer, drain, timeout or close. */
  private next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private arm(): void {
    const { clock, timeoutMs } = this.options;
    if (this.timer !== undefined) clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.timeout();
    }, timeoutMs);
  }

  private timeout(): void {
    const waiting = this.pending.splice(0);
    if (waiting.length === 0) return;
    this.orphans += waiting.length;
    const seconds = this.options.timeoutMs / 1000;
    const error = new AnnouncerFailure(
      'ANNOUNCER_DAEMON_UNREACHABLE',
      `ExaBGP answered none of ${waiting.length} command(s) for ${seconds} s (the first: \`${waiting[0]?.command ?? ''}\`): is its exabgp.api.ack false? then set ack = false in [announcers.exabgp]`,
    );
    for (const p of waiting) p.reject(error);
    this.wake();
  }

  private onLine(line: string): void {
    this.lastInputAt = this.options.clock.now();
    const input = classifyLine(line);
    switch (input.kind) {
      case 'answer': {
        if (this.orphans > 0) {
          this.orphans -= 1;
          return;
        }
        const p = this.pending.shift();
        if (p === undefined) {
          this.options.logger.debug(
            { event: 'exabgp.unexpected_answer', line },
            'ExaBGP answered a command we did not send',
          );
          return;
        }
        p.resolve({ command: p.command, ok: input.ok, output: p.output });
        this.arm();
        this.wake();
        return;
      }
      case 'shutdown':
        this.close('ExaBGP is shutting down', true);
        return;
      case 'event':
        if (input.text !== '')
          this.options.logger.debug({ event: 'exabgp.event', line: input.text }, 'ExaBGP event');
        return;
      case 'output':
        if (this.orphans === 0) this.pending[0]?.output.push(input.text);
        return;
    }
  }

  private close(reason: string, shutdown: boolean, notify = true): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const error = new AnnouncerFailure('ANNOUNCER_DAEMON_UNREACHABLE', `ExaBGP: ${reason}`);
    for (const p of this.pending.splice(0)) p.reject(error);
    this.wake();
    if (notify) this.options.onClosed(reason, shutdown);
  }
}

function describeError(error: Error): string {
  const code = errorCode(error);
  return code === undefined ? errorMessage(error) : `${code} (${errorMessage(error)})`;
}
