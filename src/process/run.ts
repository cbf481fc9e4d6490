/**
 * Runs one child process the way every control-program caller here needs it: execFile
 * with an argv (never a shell), killed with SIGKILL after a time limit, output capped,
 * LC_ALL=C so its messages are the English ones callers read. It never rejects: the
 * outcome says what happened, and each caller turns that into its own error class.
 */
import { execFile, type ExecFileException } from 'node:child_process';

export interface RunProcessOptions {
  /** Kill it (SIGKILL) after this long. Default 10 s. */
  readonly timeoutMs?: number;
  /** Written to its stdin, then stdin is closed. Without it stdin is closed at once. */
  readonly input?: string;
  /** Largest stdout or stderr kept before the child is killed. Default 64 MiB. */
  readonly maxOutputBytes?: number;
}

interface Output {
  readonly stdout: string;
  readonly stderr: string;
}

/** What became of one run; `error` is Node's own, for a `cause`. */
export type ProcessOutcome =
  /** It ran to an exit: a code, or a signal it got from someone else (exitCode null). */
  | (Output & {
      readonly kind: 'exit';
      readonly exitCode: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly error: ExecFileException | undefined;
    })
  /** It never started: `code` is the errno ("ENOENT", "EACCES"…). */
  | (Output & { readonly kind: 'spawn-error'; readonly code: string; readonly error: Error })
  /** It wrote more than maxOutputBytes and was killed. */
  | (Output & {
      readonly kind: 'output-limit';
      readonly code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
      readonly error: Error;
    })
  /** It ran past timeoutMs and was killed. */
  | (Output & { readonly kind: 'timeout'; readonly timeoutMs: number; readonly error: Error });

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export function runProcess(
  file: string,
  args: readonly string[],
  options: RunProcessOptions = {},
): Promise<ProcessOutcome> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        env: { ...process.env, LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ kind: 'exit', exitCode: 0, signal: null, stdout, stderr, error: undefined });
          return;
        }
        // A string code is Node's: an errno from spawning, or the output cap (which kills).
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
          resolve({ kind: 'output-limit', code, stdout, stderr, error });
        else if (typeof code === 'string')
          resolve({ kind: 'spawn-error', code, stdout, stderr, error });
        else if (error.killed === true)
          resolve({ kind: 'timeout', timeoutMs, stdout, stderr, error });
        else
          resolve({
            kind: 'exit',
            exitCode: typeof error.code === 'number' ? error.code : null,
            signal: error.signal ?? null,
            stdout,
            stderr,
            error,
          });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
