/**
 * Runs iproute2's `ip`: execFile with an argv (never a shell), a bounded time and
 * output, LC_ALL=C so error text is the kernel's English. The command prefix is
 * injectable: `['ip']` on a host, `['ip', '-n', NETNS]` to act inside a network
 * namespace, or a wrapper (`['setpriv', …, 'ip']`).
 */
import { execFile } from 'node:child_process';
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
  return (args) => {
    const argv = [...command, ...args];
    return new Promise((resolve, reject) => {
      execFile(
        file,
        [...prefix, ...args],
        {
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: 64 * 1024 * 1024,
          env: { ...process.env, LC_ALL: 'C' },
        },
        (error, stdout, stderr) => {
          if (!error) {
            resolve(stdout);
            return;
          }
          if (typeof error.code === 'string') {
            reject(
              new IpCommandError(argv, undefined, stderr, `cannot run ${file} (${error.code})`, {
                spawnError: error.code,
                cause: error,
              }),
            );
          } else if (error.killed) {
            reject(
              new IpCommandError(argv, undefined, stderr, `killed after ${timeoutMs} ms`, {
                cause: error,
              }),
            );
          } else {
            const code = typeof error.code === 'number' ? error.code : undefined;
            reject(new IpCommandError(argv, code, stderr, `exit code ${code ?? 'unknown'}`));
          }
        },
      );
    });
  };
}
