/**
 * Runs a routing daemon's control program (birdc, vtysh, gobgp): execFile with an argv
 * (never a shell), bounded time and output, LC_ALL=C so its messages are the English
 * ones the announcers read. Failures become AnnouncerFailure with a code and a message
 * naming the command; a non-zero exit is returned, not thrown, when the caller asks to
 * read the answer itself (birdc exits 0 even when BIRD refuses).
 */
import { runProcess } from '../process/index.js';
import { AnnouncerFailure } from './errors.js';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  /** Kill it after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Written to its stdin, then stdin is closed. */
  readonly input?: string;
  /** Resolve with a non-zero exit code instead of throwing ANNOUNCER_COMMAND_FAILED. */
  readonly allowFailure?: boolean;
}

/** Runs one command; tests and benchmarks substitute their own. */
export type CommandRunner = (
  argv: readonly string[],
  options?: CommandOptions,
) => Promise<CommandResult>;

const MAX_OUTPUT = 64 * 1024 * 1024;

export function describeArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** The first line of stderr (or stdout) worth quoting in a message. */
export function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 300);
}

export const runCommand: CommandRunner = async (argv, options = {}) => {
  const [file, ...args] = argv;
  if (file === undefined || file === '') throw new Error('runCommand: empty argv');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const shown = describeArgv(argv);
  const outcome = await runProcess(file, args, {
    timeoutMs,
    maxOutputBytes: MAX_OUTPUT,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  const { stdout, stderr } = outcome;
  switch (outcome.kind) {
    case 'spawn-error':
    case 'output-limit':
      if (outcome.code === 'ENOENT')
        throw new AnnouncerFailure(
          'ANNOUNCER_COMMAND_NOT_FOUND',
          `cannot run ${file}: not found (is it installed? set its path in [announcers])`,
          { cause: outcome.error },
        );
      throw new AnnouncerFailure(
        'ANNOUNCER_COMMAND_UNAVAILABLE',
        `cannot run ${file}: ${outcome.code}`,
        { cause: outcome.error },
      );
    case 'timeout':
      throw new AnnouncerFailure(
        'ANNOUNCER_COMMAND_TIMEOUT',
        `${shown}: killed after ${timeoutMs} ms without finishing`,
        { cause: outcome.error },
      );
    case 'exit': {
      const exitCode = outcome.exitCode ?? -1;
      if (exitCode === 0 || options.allowFailure === true) return { exitCode, stdout, stderr };
      throw new AnnouncerFailure(
        'ANNOUNCER_COMMAND_FAILED',
        `${shown}: exit code ${exitCode}: ${firstLine(stderr) || firstLine(stdout) || 'no output'}`,
        { cause: outcome.error },
      );
    }
  }
};
