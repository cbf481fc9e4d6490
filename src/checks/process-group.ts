/**
 * Ending an exec check's processes for good, and knowing when they are gone.
 *
 * An exec check runs as the leader of its own process group. Ending a run sends
 * the group SIGTERM, then SIGKILL after a grace, and then waits until no live
 * member is left, so a stop can await it before the daemon exits (a timer the
 * exiting process never runs kills nothing).
 *
 * What is and is not cleaned up (docs/operations.md says the same):
 * - every process still in the check's group: yes;
 * - a descendant that left the group (setsid, setpgid) while its parent chain
 *   still leads to the check's leader at the moment the run ends: yes, found by
 *   parent pid in /proc and signalled with the group;
 * - a process that left the group and whose parent chain was already broken
 *   (double fork, or the leader exited first, as a daemonizing check does): no.
 *   Nothing links it back to the check without a cgroup per run.
 *
 * "Gone" means no member but zombies: where PID 1 does not reap orphans (some
 * containers), killed grandchildren stay zombies and kill(-pgid, 0) keeps
 * succeeding, so a live group is confirmed by reading /proc.
 */
import { readdir, readFile } from 'node:fs/promises';

export interface EndOptions {
  /** Milliseconds between SIGTERM and SIGKILL. */
  readonly graceMs: number;
  /** Milliseconds to wait for the group to be gone after SIGKILL. Default 2000. */
  readonly confirmMs?: number;
  /** Look for descendants that left the group (a /proc scan). Default true; pointless once the leader is gone. */
  readonly descendants?: boolean;
}

interface ProcStat {
  readonly pid: number;
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
}

const POLL_MS = 50;

/** Every ending in progress, so a stop can await them all. */
export class ProcessGroups {
  private readonly pending = new Set<Promise<boolean>>();

  /**
   * SIGTERM to the group led by `pgid` (and to descendants that left it), SIGKILL
   * after the grace, then waits until none is alive. Resolves false if some
   * survived the confirmation wait.
   */
  end(pgid: number, options: EndOptions): Promise<boolean> {
    const ending = endGroup(pgid, options);
    this.pending.add(ending);
    void ending.finally(() => this.pending.delete(ending));
    return ending;
  }

  /** Resolves once every ending in progress is over; the count of groups that survived. */
  async settled(): Promise<number> {
    const results = await Promise.all([...this.pending]);
    return results.filter((gone) => !gone).length;
  }
}

/** The daemon's one registry: exec checks end their groups through it, the scheduler awaits it. */
export const checkProcessGroups = new ProcessGroups();

async function endGroup(pgid: number, options: EndOptions): Promise<boolean> {
  // Found before any signal: once the leader dies, its children are reparented and lost.
  const strays =
    options.descendants === false
      ? []
      : (await descendants(pgid)).filter((p) => p.pgrp !== pgid).map((p) => p.pid);
  signal(pgid, strays, 'SIGTERM');
  if (options.graceMs > 0 && (await waitGone(pgid, strays, options.graceMs))) return true;
  signal(pgid, strays, 'SIGKILL');
  return waitGone(pgid, strays, options.confirmMs ?? 2000);
}

function signal(pgid: number, strays: readonly number[], sig: NodeJS.Signals): void {
  for (const target of [-pgid, ...strays]) {
    try {
      process.kill(target, sig);
    } catch {
      // ESRCH: already gone.
    }
  }
}

async function waitGone(pgid: number, strays: readonly number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!(await alive(pgid, strays))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** True while a process of the group, or one of the strays, is alive and not a zombie. */
async function alive(pgid: number, strays: readonly number[]): Promise<boolean> {
  if (strays.length === 0 && !exists(-pgid)) return false;
  const wanted = new Set(strays);
  return (await processes()).some(
    (p) => (p.pgrp === pgid || wanted.has(p.pid)) && p.state !== 'Z' && p.state !== 'X',
  );
}

function exists(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Every process whose parent chain leads to `root` (not `root` itself). */
async function descendants(root: number): Promise<ProcStat[]> {
  const all = await processes();
  const children = new Map<number, ProcStat[]>();
  for (const p of all) {
    const list = children.get(p.ppid);
    if (list === undefined) children.set(p.ppid, [p]);
    else list.push(p);
  }
  const out: ProcStat[] = [];
  const queue = [root];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** Every process in /proc; [] where there is no /proc. */
async function processes(): Promise<ProcStat[]> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return [];
  }
  const stats = await Promise.all(
    names.filter((name) => /^\d+$/.test(name)).map((name) => readStat(Number(name))),
  );
  return stats.filter((s): s is ProcStat => s !== undefined);
}

async function readStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited meanwhile
  }
  // The command name is in parentheses and may hold spaces or ')': fields follow the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, ppid, pgrp] = fields;
  if (state === undefined || ppid === undefined || pgrp === undefined) return undefined;
  return { pid, state, ppid: Number(ppid), pgrp: Number(pgrp) };
}
