/** What daemon controllers need from the lab that made them (kept apart to avoid import cycles). */
import type { RunOptions, RunResult } from './exec.js';

export interface Namespace {
  /** Short name given by the test ("router"). */
  readonly name: string;
  /** Full netns name, unique per run ("ag-4242-k3f9-router"). */
  readonly netns: string;
}

export interface LabHost {
  /** Per-run id, also the namespace prefix without the trailing dash ("ag-4242-k3f9"). */
  readonly id: string;
  /** Per-run temp directory (mode 0755 so the frr user can read its files). */
  readonly dir: string;
  /** Runs argv inside the namespace (`ip netns exec`). */
  exec(ns: Namespace, argv: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** A long-lived process the lab must be able to kill synchronously at process exit. */
export interface Owned {
  /** Process ids currently believed alive (read from pid files). */
  pids(): number[];
  /** Stops gracefully, then forcibly. */
  stop(): Promise<void>;
  /** Extra synchronous cleanup at process exit (run dirs etc.). */
  cleanupSync?(): void;
}
