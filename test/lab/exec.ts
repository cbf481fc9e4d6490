/** Running commands for the lab: argv only (no shell), bounded in time, output captured. */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LabCommandError } from './errors.js';

export interface RunOptions {
  /** Kill the command after this long (default 20 s). */
  timeoutMs?: number;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Text written to the command's stdin. */
  input?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('run: empty argv'));
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 256 * 1024 * 1024,
        env: options.env ?? process.env,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr, exitCode: 0 });
          return;
        }
        const code = typeof error.code === 'number' ? error.code : null;
        if (error.killed) {
          reject(
            new LabCommandError(argv, code, stdout, stderr, `killed after ${timeoutMs} ms`, {
              cause: error,
            }),
          );
        } else if (code !== null && options.allowFailure) {
          resolve({ stdout, stderr, exitCode: code });
        } else {
          if (code !== null)
            reject(new LabCommandError(argv, code, stdout, stderr, `exit code ${code}`));
          else
            reject(
              new LabCommandError(argv, code, stdout, stderr, error.message, { cause: error }),
            );
        }
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Full path of an executable: absolute paths are checked as given, bare names searched on PATH and the sbin dirs. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin']
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, name));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}
