/**
 * tcp: connects to host:port; optionally writes `send` and waits until what
 * comes back contains `expect`. Without `expect` a completed connect passes.
 * At most 64 KiB of the reply is searched. `watch = true` holds a connection open
 * between runs (held-connection.ts).
 */
import net from 'node:net';
import { z } from 'zod';
import { refineWatch, watchKeys, withHeldConnection } from './held-connection.js';
import { host, port } from './schema.js';
import type { CheckCommon, CheckResult, CheckType, HealthCheck } from './types.js';
import {
  HeadBuffer,
  elapsedMs,
  fail,
  formatMs,
  joinHostPort,
  monotonicNow,
  onAbort,
  pass,
  quote,
} from './util.js';
import { errorReason } from '../util/index.js';

export interface TcpSpec {
  readonly host: string;
  readonly port: number;
  readonly send?: string;
  readonly expect?: string;
  /** Hold a connection open between runs; its drop runs the check at once. */
  readonly watch?: boolean;
  /** Default: `watch`. */
  readonly fail_fast?: boolean;
}

export const tcpSchema = z
  .strictObject({
    host,
    port,
    send: z.string({ error: 'send must be a string' }).optional(),
    expect: z
      .string({ error: 'expect must be a string' })
      .min(1, { error: 'expect must not be empty' })
      .optional(),
    ...watchKeys,
  })
  .superRefine(refineWatch);

const replyLimit = 64 * 1024;

export function createTcpCheck(spec: TcpSpec, common: CheckCommon): HealthCheck {
  const probe = createTcpProbe(spec, common);
  return spec.watch === true
    ? withHeldConnection(probe, spec.host, spec.port, spec.fail_fast ?? true)
    : probe;
}

function createTcpProbe(spec: TcpSpec, common: CheckCommon): HealthCheck {
  const target = joinHostPort(spec.host, spec.port);
  return {
    ...common,
    type: 'tcp',
    run(signal: AbortSignal): Promise<CheckResult> {
      return new Promise<CheckResult>((resolve) => {
        const start = monotonicNow();
        let settled = false;
        let detach = (): void => undefined;
        const reply = new HeadBuffer(replyLimit);
        const socket = net.connect({ host: spec.host, port: spec.port });
        const finish = (ok: boolean, reason: string, cause?: unknown): void => {
          if (settled) return;
          settled = true;
          detach();
          socket.destroy();
          const duration = elapsedMs(start);
          resolve(ok ? pass(reason, duration) : fail(reason, duration, cause));
        };
        detach = onAbort(signal, () => finish(false, `aborted (${target})`));
        socket.on('connect', () => {
          const connected = formatMs(elapsedMs(start));
          if (spec.send !== undefined && spec.send !== '') socket.write(spec.send);
          if (spec.expect === undefined) {
            if (spec.send === undefined || spec.send === '') {
              finish(true, `connected to ${target} in ${connected}`);
            } else {
              // Pass once the bytes are handed to the kernel.
              socket.end(() => finish(true, `connected to ${target} and sent in ${connected}`));
            }
          }
        });
        socket.on('data', (chunk: Buffer) => {
          if (spec.expect === undefined) return;
          const full = !reply.push(chunk);
          const text = reply.bytes().toString('utf8');
          if (text.includes(spec.expect)) {
            finish(
              true,
              `${target} replied with ${quote(spec.expect)} in ${formatMs(elapsedMs(start))}`,
            );
          } else if (full) {
            finish(false, `no ${quote(spec.expect)} in the first 64 KiB from ${target}`);
          }
        });
        socket.on('end', () => {
          if (spec.expect === undefined) return;
          const text = reply.bytes().toString('utf8');
          finish(
            false,
            `${target} closed the connection without sending ${quote(spec.expect)} (got ${text === '' ? 'nothing' : quote(text)})`,
          );
        });
        socket.on('error', (error) => finish(false, errorReason(error), error));
        socket.on('close', () => finish(false, `connection to ${target} closed`));
      });
    },
  };
}

export const tcpCheck: CheckType<TcpSpec> = {
  type: 'tcp',
  schema: tcpSchema,
  defaultName: (spec) => `tcp ${joinHostPort(spec.host, spec.port)}`,
  create: (spec, common) => createTcpCheck(spec, common),
};
