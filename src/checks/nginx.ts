/**
 * nginx: nginx's stub_status page as a responsiveness probe. Passes when the
 * page answers 200 with a body in the stub_status format within
 * `max_response_ms` (default 1000); the reason carries the connection counts.
 *
 *   Active connections: 291
 *   server accepts handled requests
 *    16630948 16630948 31070465
 *   Reading: 6 Writing: 179 Waiting: 106
 *
 * (ngx_http_stub_status_module.) A slow answer fails even though nginx is up:
 * an overloaded node should shed its anycast traffic.
 */
import { z } from 'zod';
import { httpRequest } from './http-client.js';
import { url } from './schema.js';
import type { CheckCommon, CheckResult, CheckType, HealthCheck } from './types.js';
import { type Now, elapsedMs, fail, formatMs, monotonicNow, pass, quote } from './util.js';
import { errorReason } from '../util/index.js';

export interface NginxSpec {
  readonly url: string;
  readonly max_response_ms: number;
}

export interface NginxOptions {
  /** Monotonic milliseconds, to time the response. */
  readonly now?: Now;
}

export const nginxSchema = z.strictObject({
  url: url(['http', 'https']),
  max_response_ms: z
    .number({ error: 'max_response_ms must be a number of milliseconds' })
    .positive({ error: 'max_response_ms must be positive' })
    .default(1000),
});

export interface StubStatus {
  readonly active: number;
  readonly accepts: number;
  readonly handled: number;
  readonly requests: number;
  readonly reading: number;
  readonly writing: number;
  readonly waiting: number;
}

const stubStatusPattern =
  /^Active connections:\s*(\d+)\s*\nserver accepts handled requests\s*\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\nReading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)\s*$/;

export function parseStubStatus(text: string): StubStatus | undefined {
  const match = stubStatusPattern.exec(text.replace(/\r\n/g, '\n').trim());
  if (match === null) return undefined;
  const [active, accepts, handled, requests, reading, writing, waiting] = match
    .slice(1)
    .map(Number);
  if (
    active === undefined ||
    accepts === undefined ||
    handled === undefined ||
    requests === undefined ||
    reading === undefined ||
    writing === undefined ||
    waiting === undefined
  ) {
    return undefined;
  }
  return { active, accepts, handled, requests, reading, writing, waiting };
}

export function createNginxCheck(
  spec: NginxSpec,
  common: CheckCommon,
  options: NginxOptions = {},
): HealthCheck {
  const now = options.now ?? monotonicNow;
  const target = new URL(spec.url);
  return {
    ...common,
    type: 'nginx',
    async run(signal: AbortSignal): Promise<CheckResult> {
      const start = now();
      let response;
      try {
        response = await httpRequest({ url: target, signal, maxBodyBytes: 64 * 1024 });
      } catch (error) {
        return fail(`stub_status ${spec.url}: ${errorReason(error)}`, elapsedMs(start, now), error);
      }
      const duration = elapsedMs(start, now);
      const took = formatMs(duration);
      if (response.status !== 200) {
        return fail(`stub_status answered HTTP ${response.status} after ${took}`, duration);
      }
      const text = response.body.toString('utf8');
      const status = parseStubStatus(text);
      if (status === undefined) {
        return fail(`not a stub_status page: ${quote(text)}`, duration);
      }
      const counts = `active connections ${status.active} (reading ${status.reading}, writing ${status.writing}, waiting ${status.waiting})`;
      if (duration > spec.max_response_ms) {
        return fail(
          `stub_status took ${took} (max ${spec.max_response_ms} ms); ${counts}`,
          duration,
        );
      }
      return pass(`${counts} in ${took}`, duration);
    },
  };
}

export const nginxCheck: CheckType<NginxSpec> = {
  type: 'nginx',
  schema: nginxSchema,
  defaultName: (spec) => `nginx ${spec.url}`,
  create: (spec, common) => createNginxCheck(spec, common),
};
