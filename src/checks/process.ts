/**
 * process: up while a process exists, found by its pidfile (`pidfile = "/run/named/named.pid"`)
 * or by name (`name = "named"`: its comm, its argv[0], or its whole command line joined by
 * spaces, exactly). Its exit is noticed at once: the check holds a pidfd for each process
 * it found (sockopt/pidfd.ts), one worker thread waits on them, and an exit wakes the
 * check (trigger `watch`). With `fail_fast` (the default) that run, finding no process,
 * counts the check down at once; a run on the interval that finds none counts `fall`.
 *
 * - A pidfd names one process, so a pid reused after an exit is never taken for ours.
 *   A pidfile can still name a pid reused before we first looked: a process that
 *   started after the pidfile was last written (more than a second after, the
 *   precision of the kernel's boot time) is not the one the pidfile meant.
 * - Each run reads the pidfile again: rewritten (a restart), the new pid is watched and
 *   the old one forgotten. Absent, empty or naming no live process: failed.
 * - By name, /proc is scanned only while no watched process is alive, and not on the
 *   run an exit woke (the next interval run finds a restarted process).
 * - A zombie (exited, not yet reaped by its parent) counts as gone.
 */
import { readFileSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { z } from 'zod';
import { absolutePath } from './schema.js';
import type { CheckCommon, CheckResult, CheckType, HealthCheck } from './types.js';
import { elapsedMs, fail, monotonicNow, pass, quote } from './util.js';
import {
  SockoptCallError,
  closePidfd,
  openPidfd,
  pidfdExited,
  pidfdWatcher,
} from '../sockopt/index.js';
import type { PidfdWatcher } from '../sockopt/index.js';
import { errorReason } from '../util/index.js';

export interface ProcessSpec {
  readonly pidfile?: string;
  readonly name?: string;
  /** Default true: the watched process exiting counts the check down at once. */
  readonly fail_fast: boolean;
}

export const processSchema = z
  .strictObject({
    pidfile: absolutePath('pidfile').optional(),
    name: z
      .string({ error: 'name must be a string' })
      .min(1, { error: 'name must not be empty' })
      .optional(),
    fail_fast: z.boolean({ error: 'fail_fast must be true or false' }).default(true),
  })
  .superRefine((spec, ctx) => {
    if ((spec.pidfile === undefined) === (spec.name === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'a process check needs exactly one of pidfile or name',
      });
    }
  });

/** Where the process table is read; tests may point elsewhere. */
export interface ProcessCheckOptions {
  readonly watcher?: PidfdWatcher;
  readonly proc?: string;
}

interface Watched {
  readonly pid: number;
  exited: boolean;
  /** Stops watching and closes the pidfd. */
  readonly unwatch: () => void;
}

const DAEMON_ERRNOS: ReadonlySet<number> = new Set([
  constants.errno.EMFILE,
  constants.errno.ENFILE,
  constants.errno.ENOMEM,
]);

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/<pid>/stat's start time

export function createProcessCheck(
  spec: ProcessSpec,
  common: CheckCommon,
  options: ProcessCheckOptions = {},
): HealthCheck {
  const watcher = options.watcher ?? pidfdWatcher;
  const proc = options.proc ?? '/proc';
  const what =
    spec.pidfile === undefined
      ? `process ${quote(spec.name ?? '')}`
      : `the process of ${spec.pidfile}`;
  const watched = new Map<number, Watched>();
  let wake: (() => void) | undefined;
  let exitSeen = false;

  const forget = (entry: Watched): void => {
    watched.delete(entry.pid);
    entry.unwatch();
  };
  const forgetAll = (): void => {
    for (const entry of [...watched.values()]) forget(entry);
  };

  /** A pidfd for a live (not zombie) process, or undefined. */
  const liveFd = (pid: number): number | undefined => {
    const fd = openPidfd(pid);
    if (fd === undefined) return undefined;
    if (pidfdExited(fd)) {
      closePidfd(fd);
      return undefined;
    }
    return fd;
  };

  /** Holds the process while watched; without a watch (one-shot runs) only looks. */
  const adopt = (pid: number): boolean => {
    const known = watched.get(pid);
    if (known !== undefined && !known.exited) return true;
    if (known !== undefined) forget(known);
    const fd = liveFd(pid);
    if (fd === undefined) return false;
    if (wake === undefined) {
      closePidfd(fd);
      return true;
    }
    const entry: Watched = {
      pid,
      exited: false,
      unwatch: watcher.watch(fd, () => {
        entry.exited = true;
        exitSeen = true;
        wake?.();
      }),
    };
    watched.set(pid, entry);
    return true;
  };

  const alive = (): number[] => [...watched.values()].filter((e) => !e.exited).map((e) => e.pid);

  return {
    ...common,
    type: 'process',
    async run(): Promise<CheckResult> {
      const start = monotonicNow();
      const answersExit = exitSeen;
      exitSeen = false;
      const gone = (reason: string): CheckResult => {
        const result = fail(reason, elapsedMs(start));
        return answersExit && spec.fail_fast ? { ...result, failFast: true } : result;
      };
      try {
        const exited = new Set<number>();
        for (const entry of [...watched.values()])
          if (entry.exited) {
            exited.add(entry.pid);
            forget(entry);
          }
        if (spec.pidfile !== undefined) {
          // After an exit the pidfile is read at once, without the four thread-pool
          // round trips of an async read (each a wait for a CPU on a loaded host): a
          // pidfile is a few bytes, usually on tmpfs.
          const found = answersExit
            ? pidFromFileNow(spec.pidfile)
            : await pidFromFile(spec.pidfile);
          if (typeof found === 'string') {
            forgetAll();
            return gone(found);
          }
          for (const entry of [...watched.values()]) if (entry.pid !== found.pid) forget(entry);
          // The pidfile still names the process whose exit woke us: gone, no more to ask.
          if (exited.has(found.pid)) return gone(`${what} (pid ${found.pid}) exited`);
          if (watched.get(found.pid)?.exited !== false) {
            const started = await startedAt(proc, found.pid);
            if (started !== undefined && started > (await mtimeMs(spec.pidfile)) + 1500)
              return gone(
                `pid ${found.pid} of ${spec.pidfile} belongs to a process started after the file was written (the pid was reused)`,
              );
          }
          if (!adopt(found.pid)) return gone(`${what} (pid ${found.pid}) is not running`);
          return pass(`${what} is running (pid ${found.pid})`, elapsedMs(start));
        }
        // Watched: scan only while none is alive. One-shot: adopt() only looks.
        const pids =
          wake === undefined
            ? (await pidsByName(proc, spec.name ?? '')).filter((pid) => adopt(pid))
            : alive();
        // After an exit with none left, gone at once: a scan of /proc takes tens of
        // ms on a busy host, and a restarted process is found by the next interval run.
        if (pids.length === 0 && wake !== undefined && !answersExit) {
          for (const pid of await pidsByName(proc, spec.name ?? '')) adopt(pid);
          pids.push(...alive());
        }
        if (pids.length === 0) return gone(`no ${what} is running`);
        return pass(`${what} is running (pid ${pids.join(', ')})`, elapsedMs(start));
      } catch (error) {
        const reason = `cannot tell whether ${what} runs: ${errorReason(error)}`;
        // Out of descriptors for a pidfd: the daemon's own want, not the service's.
        if (error instanceof SockoptCallError && DAEMON_ERRNOS.has(error.errno))
          return { ok: false, reason, durationMs: elapsedMs(start), fault: 'daemon' };
        return fail(reason, elapsedMs(start), error);
      }
    },
    watch(callback: () => void): () => void {
      wake = callback;
      return () => {
        wake = undefined;
        exitSeen = false;
        forgetAll();
      };
    },
    close(): void {
      wake = undefined;
      forgetAll();
    },
  };
}

/** When a pidfile was last written (epoch ms); +∞ when gone meanwhile (no verdict). */
async function mtimeMs(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.mtimeMs,
    () => Number.POSITIVE_INFINITY,
  );
}

/** The pid in a pidfile, or why there is none. */
async function pidFromFile(path: string): Promise<{ pid: number } | string> {
  try {
    return parsePidfile(path, await readFile(path, 'utf8'));
  } catch (error) {
    return absent(path, error);
  }
}

/** The same, read synchronously. */
function pidFromFileNow(path: string): { pid: number } | string {
  try {
    return parsePidfile(path, readFileSync(path, 'utf8'));
  } catch (error) {
    return absent(path, error);
  }
}

function absent(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return `pidfile ${path} is absent`;
  throw error;
}

function parsePidfile(path: string, text: string): { pid: number } | string {
  const match = /^\s*(\d+)\s*$/.exec(text);
  const pid = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  if (!Number.isSafeInteger(pid) || pid < 1)
    return `pidfile ${path} holds no pid (${quote(text.slice(0, 40))})`;
  return { pid };
}

let bootTimeMs: number | undefined;

/** Epoch ms the process started, from /proc; undefined when it cannot be read. */
async function startedAt(proc: string, pid: number): Promise<number | undefined> {
  try {
    if (bootTimeMs === undefined) {
      const stats = await readFile(`${proc}/stat`, 'utf8');
      const btime = /^btime (\d+)$/m.exec(stats)?.[1];
      if (btime === undefined) return undefined;
      bootTimeMs = Number(btime) * 1000;
    }
    const stat = await readFile(`${proc}/${pid}/stat`, 'utf8');
    // Fields after the parenthesised comm (which may hold spaces): state is field 3,
    // starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    if (!Number.isFinite(ticks)) return undefined;
    return bootTimeMs + (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Pids whose comm, argv[0] or whole command line is exactly `name` (not this process). */
export async function pidsByName(proc: string, name: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const [comm, cmdline] = await Promise.all([
        readFile(`${proc}/${entry}/comm`, 'utf8'),
        readFile(`${proc}/${entry}/cmdline`, 'utf8'),
      ]);
      const argv = cmdline.split('\0');
      if (argv.at(-1) === '') argv.pop();
      if (comm.replace(/\n$/, '') === name || argv[0] === name || argv.join(' ') === name)
        pids.push(pid);
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return pids;
}

export const processCheck: CheckType<ProcessSpec> = {
  type: 'process',
  schema: processSchema,
  defaultName: (spec) =>
    spec.pidfile === undefined ? `process ${spec.name ?? ''}` : `process ${spec.pidfile}`,
  create: (spec, common) => createProcessCheck(spec, common),
};
