/**
 * What the main thread and the BFD worker say to each other (structured-cloned, so
 * plain data only).
 */
import type { DropReason } from './engine.js';
import type { BfdSessionView, BfdStateChange, BfdTimers } from './session.js';

export type ToWorker =
  | {
      readonly type: 'add';
      readonly id: string;
      readonly peer: string;
      readonly localAddress?: string;
      readonly timers: BfdTimers;
    }
  | { readonly type: 'update'; readonly id: string; readonly timers: BfdTimers }
  | { readonly type: 'remove'; readonly id: string }
  | { readonly type: 'stop' };

export type ToMain =
  /** The nice value the worker runs at, and why not the one it asked for. */
  | { readonly type: 'ready'; readonly nice: number; readonly niceProblem: string | undefined }
  | { readonly type: 'stopped' }
  | {
      readonly type: 'state';
      readonly id: string;
      readonly view: BfdSessionView;
      readonly changes: readonly BfdStateChange[];
    }
  /** A session could not be set up (its socket); it does not run. */
  | { readonly type: 'error'; readonly id: string; readonly message: string }
  /** Sending fails (message), or works again (undefined). */
  | { readonly type: 'send-error'; readonly id: string; readonly message: string | undefined }
  | { readonly type: 'dropped'; readonly counts: Partial<Record<DropReason, number>> }
  /** The worker woke `ms` after a timer was due: the host did not run it. */
  | { readonly type: 'late'; readonly ms: number };
