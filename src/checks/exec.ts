/**
 * exec: runs a command; exit status 0 passes (the contract of Nagios plugins,
 * anycast-healthchecker and ExaBGP's healthcheck).
 *
 * - `command` is an argv list, or a string split like a shell splits words
 *   (see command-line.ts) but run without a shell.
 * - The child starts detached, as the leader of its own process group. When the
 *   run is aborted (timeout, stop) the whole group gets SIGTERM, then SIGKILL
 *   after a short grace, so grandchildren die too; the ending is tracked in
 *   process-group.ts so a stop awaits it. When the leader exits, any members of
 *   its group still running are killed: a check must not leave processes behind,
 *   and they would hold its output pipes open.
 * - stdout and stderr are merged; the last 1 KiB is the failure reason.
 * - `env` adds to (or overrides) the daemon's environment; `cwd` must be absolute.
 *
 * - A spawn that fails for the daemon's own want of descriptors, memory or a process
 *   slot (EMFILE, ENFILE, ENOMEM, EAGAIN) is marked `fault: 'daemon'`: it says nothing
 *   of the service.
 *
 * Known gaps: a grandchild that calls setsid() and whose parent chain to the
 * check is broken (the leader exited, or a double fork) escapes (process-group.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { joinCommand, splitCommand } from './command-line.js';
import { checkProcessGroups, type ProcessGroups } from './process-group.js';
import { absolutePath, stringMap } from './schema.js';
import type { CheckCommon, CheckResult, CheckType, HealthCheck } from './types.js';
import {
  SPAWN_FAULT_CODES,
  TailBuffer,
  elapsedMs,
  fail,
  formatMs,
  monotonicNow,
  onAbort,
  pass,
} from './util.js';
import { errorReason } from '../util/index.js';

export interface ExecSpec {
  readonly command: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface ExecOptions {
  /** Milliseconds between SIGTERM and SIGKILL when a run is aborted. Default 1000. */
  readonly killGraceMs?: number;
  /** Bytes of output kept for the reason. Default 1024. */
  readonly outputLimit?: number;
  /** Where the endings of process groups are tracked; the scheduler awaits the same one. */
  readonly groups?: ProcessGroups;
}

const commandSchema = z
  .union([z.array(z.string({ error: 'command arguments must be strings' })), z.string()], {
    error: 'command must be a list of arguments or a command line string',
  })
  .transform((value, ctx): string[] => {
    let argv: string[];
    if (typeof value === 'string') {
      const split = splitCommand(value);
      if (!split.ok) {
        ctx.addIssue({ code: 'custom', message: split.error, input: value });
        return z.NEVER;
      }
      argv = split.argv;
    } else {
      argv = value;
    }
    if (argv.length === 0 || argv[0] === '') {
      ctx.addIssue({ code: 'custom', message: 'command must name a program', input: value });
      return z.NEVER;
    }
    return argv;
  });

export const execSchema = z.strictObject({
  command: commandSchema,
  env: stringMap('env')
    .refine((env) => Object.keys(env).every((key) => key !== '' && !key.includes('=')), {
      error: 'env names must be non-empty and must not contain "="',
    })
    .optional(),
  cwd: absolutePath('cwd').optional(),
});

export function createExecCheck(
  spec: ExecSpec,
  common: CheckCommon,
  options: ExecOptions = {},
): HealthCheck {
  const killGraceMs = options.killGraceMs ?? 1000;
  const outputLimit = options.outputLimit ?? 1024;
  const groups = options.groups ?? checkProcessGroups;
  const [file = '', ...args] = spec.command;
  const env = spec.env === undefined ? undefined : { ...process.env, ...spec.env };

  return {
    ...common,
    type: 'exec',
    run(signal: AbortSignal): Promise<CheckResult> {
      return new Promise<CheckResult>((resolve) => {
        const start = monotonicNow();
        let settled = false;
        let detach = (): void => undefined;
        const finish = (ok: boolean, reason: string, cause?: unknown): void => {
          if (settled) return;
          settled = true;
          detach();
          const duration = elapsedMs(start);
          resolve(ok ? pass(reason, duration) : fail(reason, duration, cause, SPAWN_FAULT_CODES));
        };
        if (signal.aborted) {
          finish(false, 'aborted before the command started');
          return;
        }

        let child: ChildProcess;
        try {
          child = spawn(file, args, {
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
            ...(env === undefined ? {} : { env }),
            ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
          });
        } catch (error) {
          finish(false, `cannot run ${JSON.stringify(file)}: ${errorReason(error)}`, error);
          return;
        }
        const pid = child.pid;

        const output = new TailBuffer(outputLimit);
        child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
        child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));

        detach = onAbort(signal, () => {
          if (pid !== undefined) void groups.end(pid, { graceMs: killGraceMs });
          finish(false, `aborted after ${formatMs(elapsedMs(start))}: process group ${pid} killed`);
        });

        child.on('error', (error: NodeJS.ErrnoException) => {
          if (pid !== undefined) {
            // An error after a successful spawn (a failed kill): the close event reports the outcome.
            return;
          }
          void describeSpawnError(file, spec.cwd, error).then((reason) =>
            finish(false, reason, error),
          );
        });
        child.on('exit', () => {
          if (pid !== undefined) void groups.end(pid, { graceMs: 0, descendants: false });
        });
        child.on('close', (code: number | null, sig: NodeJS.Signals | null) => {
          if (pid === undefined) return;
          const text = output.text();
          const took = formatMs(elapsedMs(start));
          if (code === 0) {
            finish(true, `exit 0 in ${took}`);
          } else {
            const status = code !== null ? `exit ${code}` : `killed by ${sig ?? 'a signal'}`;
            finish(false, `${status} after ${took}: ${text === '' ? '(no output)' : text}`);
          }
        });
      });
    },
  };
}

async function describeSpawnError(
  file: string,
  cwd: string | undefined,
  error: NodeJS.ErrnoException,
): Promise<string> {
  const what = `cannot run ${JSON.stringify(file)}`;
  if (error.code === 'ENOENT') {
    if (cwd !== undefined) {
      try {
        await stat(cwd);
      } catch {
        return `${what}: cwd ${JSON.stringify(cwd)} does not exist (ENOENT)`;
      }
    }
    return `${what}: no such file or directory (ENOENT)`;
  }
  if (error.code === 'EACCES') return `${what}: permission denied (EACCES)`;
  return `${what}: ${errorReason(error)}`;
}

export const execCheck: CheckType<ExecSpec> = {
  type: 'exec',
  schema: execSchema,
  defaultName: (spec) => `exec ${joinCommand(spec.command)}`,
  create: (spec, common) => createExecCheck(spec, common),
};
