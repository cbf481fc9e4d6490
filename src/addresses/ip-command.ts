/**
 * Runs iproute2's `ip`: execFile with an argv (never a shell), a bounded time and
 * output, LC_ALL=C so error text is the kernel's English. The command prefix is
 * injectable: `['ip']` on a host, `['ip', '-n', NETNS]` to act inside a network
 * namespace, or a wrapper (`['setpriv', …, 'ip']`).
 */
import { runProcess } from '../process/index.js';
import { IpCommandError } from './errors.js';

/** Runs `ip ARGS…`; resolves with stdout on exit 0, rejects with IpCommandError otherwise. */
export type IpRunner = (args: readonly string[]) => Promise<string>;

export interface IpCommandOptions {
  /** argv that stands for `ip` (default ['ip']). */
  readonly command?: readonly string[];
  /** Kill the command after this long (default 10 s). */
  readonly timeoutMs?: number;
}

export function ipCommand(options: IpCommandOptions = {}): IpRunner {
  const command = options.command ?? ['ip'];
  const [file, ...prefix] = command;
  if (file === undefined || file === '') throw new Error('ipCommand: empty command');
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (args) => {
    const argv = [...command, ...args];
    const outcome = await runProcess(file, [...prefix, ...args], { timeoutMs });
    const { stdout, stderr } = outcome;
    switch (outcome.kind) {
      case 'spawn-error':
      case 'output-limit':
        throw new IpCommandError(argv, undefined, stderr, `cannot run ${file} (${outcome.code})`, {
          spawnError: outcome.code,
          cause: outcome.error,
        });
      case 'timeout':
        throw new IpCommandError(argv, undefined, stderr, `killed after ${timeoutMs} ms`, {
          cause: outcome.error,
        });
      case 'exit': {
        if (outcome.exitCode === 0) return stdout;
        const code = outcome.exitCode ?? undefined;
        throw new IpCommandError(argv, code, stderr, `exit code ${code ?? 'unknown'}`);
      }
    }
  };
}
