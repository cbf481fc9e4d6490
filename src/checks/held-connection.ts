/**
 * `watch = true` on a tcp or http check: one TCP connection to the service is held
 * open between runs, so the kernel tells us when the service goes (its socket closes:
 * FIN or RST reaches us at once) instead of the next poll.
 *
 * - The connection is opened after a passing run and held, reading and discarding
 *   whatever the service sends.
 * - When the service closes or resets it, the check is woken (trigger `watch`). That
 *   run first connects again: refused means nothing listens any more, the service is
 *   gone, and with `fail_fast` (the default with `watch`) the check is down at once,
 *   skipping `fall`. Connected, the ordinary probe runs, and if it passes the new
 *   connection is the one held: a service that closes idle connections costs one run
 *   per close, never a failure.
 * - A held connection that lived under half a second is not held again by the run its
 *   close woke, only by the next interval run: a service that drops connections at
 *   once costs at most one extra run per interval, never a busy loop.
 * - Polled failures (a refused connect on an interval run) count `fall` as always.
 */
import net from 'node:net';
import { z } from 'zod';
import type { CheckResult, HealthCheck } from './types.js';
import { elapsedMs, fail, joinHostPort, monotonicNow, onAbort } from './util.js';
import { errorReason } from '../util/index.js';

/** The keys tcp and http share for it. */
export const watchKeys = {
  watch: z.boolean({ error: 'watch must be true or false' }).default(false),
  fail_fast: z.boolean({ error: 'fail_fast must be true or false' }).optional(),
};

export interface WatchSpec {
  readonly watch?: boolean;
  readonly fail_fast?: boolean;
}

/** fail_fast means something only with an event to prove the service gone. */
export function refineWatch(spec: WatchSpec, ctx: z.RefinementCtx): void {
  if (spec.fail_fast === true && spec.watch !== true) {
    ctx.addIssue({
      code: 'custom',
      path: ['fail_fast'],
      message:
        'fail_fast needs watch = true (only the held connection dropping can prove the service gone)',
    });
  }
}

/** Held connections shorter than this are held again only by interval runs. */
export const SHORT_LIFE_MS = 500;

type Connected = { readonly ok: true; readonly socket: net.Socket } | ConnectFailure;
interface ConnectFailure {
  readonly ok: false;
  readonly error: unknown;
  readonly refused: boolean;
}

function connect(host: string, port: number, signal: AbortSignal): Promise<Connected> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let detach = (): void => undefined;
    const done = (value: Connected): void => {
      detach();
      socket.removeAllListeners('connect');
      socket.removeAllListeners('error');
      resolve(value);
    };
    detach = onAbort(signal, () => {
      socket.destroy();
      done({ ok: false, error: new Error('aborted'), refused: false });
    });
    socket.once('connect', () => done({ ok: true, socket }));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      done({ ok: false, error, refused: error.code === 'ECONNREFUSED' });
    });
  });
}

/** Wraps a tcp or http check so it holds a connection to host:port between runs. */
export function withHeldConnection(
  check: HealthCheck,
  host: string,
  port: number,
  failFast: boolean,
): HealthCheck {
  const target = joinHostPort(host, port);
  let wake: (() => void) | undefined;
  let held: net.Socket | undefined;
  let heldSince = 0;
  /** The held connection dropped; the next run answers it. */
  let dropped = false;
  let lastLifeMs = Number.POSITIVE_INFINITY;

  const release = (): void => {
    const socket = held;
    held = undefined;
    socket?.destroy();
  };

  const hold = (socket: net.Socket): void => {
    release();
    held = socket;
    heldSince = monotonicNow();
    socket.setNoDelay(true);
    socket.on('data', () => undefined); // read and drop: a full buffer must not stall it
    // The first of them is the event ('close' comes a tick after 'end' or 'error').
    const gone = (): void => {
      if (held !== socket) return; // ours to close, or already told
      held = undefined;
      lastLifeMs = monotonicNow() - heldSince;
      dropped = true;
      socket.destroy();
      wake?.();
    };
    socket.on('end', gone);
    socket.on('error', gone);
    socket.on('close', gone);
  };

  const open = (): void => {
    if (held !== undefined || wake === undefined) return;
    const socket = net.connect({ host, port });
    hold(socket);
    heldSince = monotonicNow();
    socket.once('connect', () => {
      heldSince = monotonicNow();
    });
  };

  return {
    ...check,
    run: async (signal: AbortSignal): Promise<CheckResult> => {
      const answersDrop = dropped;
      dropped = false;
      // Held again only if the last one lived long enough (no busy loop).
      const mayHold = !answersDrop || lastLifeMs >= SHORT_LIFE_MS;
      if (answersDrop && held === undefined) {
        const start = monotonicNow();
        const again = await connect(host, port, signal);
        if (!again.ok) {
          const reason = `${target} ${again.refused ? 'refused the connection' : `cannot be reached (${errorReason(again.error)})`} after the held connection dropped`;
          const result = fail(reason, elapsedMs(start), again.error);
          return again.refused && failFast ? { ...result, failFast: true } : result;
        }
        if (mayHold) hold(again.socket);
        else again.socket.destroy();
      }
      const result = await check.run(signal);
      if (result.ok && mayHold) open();
      return result;
    },
    watch: (callback: () => void): (() => void) => {
      wake = callback;
      return () => {
        wake = undefined;
        dropped = false;
        release();
      };
    },
    close: (): void => {
      wake = undefined;
      release();
      check.close?.();
    },
  };
}
