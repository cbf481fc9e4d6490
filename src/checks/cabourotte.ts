/**
 * cabourotte: the latest result of a check run by Cabourotte, as anycastd reads
 * it: GET {url}/result/{name} answers 200 with the result as JSON
 *
 *   {"name": "...", "summary": "...", "success": true,
 *    "healthcheck-timestamp": 1695648161, "message": "success",
 *    "duration": 1, "source": "configuration", ...}
 *
 * (appclacks/cabourotte http/handler.go and healthcheck/result.go; gecio/anycastd
 * healthcheck/_cabourotte/result.py), or 404 {"message": "..."} when Cabourotte
 * holds no result of that name. The check passes when `success` is true.
 *
 * `max_age` (seconds, optional) also fails a result whose healthcheck-timestamp
 * (Unix seconds) is older: a stuck Cabourotte keeps serving its last verdict
 * until its own 120 s expiry.
 */
import { z } from 'zod';
import { httpRequest } from './http-client.js';
import { url } from './schema.js';
import type { CheckCommon, CheckResult, CheckType, HealthCheck } from './types.js';
import { elapsedMs, fail, formatMs, formatNumber, monotonicNow, pass, quote } from './util.js';
import { errorReason } from '../util/index.js';

export interface CabourotteSpec {
  readonly name: string;
  readonly url: string;
  readonly max_age?: number;
}

export interface CabourotteOptions {
  /** Wall clock, ms since the epoch, for max_age. Default Date.now. */
  readonly now?: () => number;
}

export const defaultCabourotteUrl = 'http://127.0.0.1:9013';

export const cabourotteSchema = z.strictObject({
  name: z
    .string({ error: 'name must be the name of a Cabourotte check' })
    .min(1, { error: 'name must not be empty' }),
  url: url(['http', 'https']).default(defaultCabourotteUrl),
  max_age: z
    .number({ error: 'max_age must be a number of seconds' })
    .positive({ error: 'max_age must be positive' })
    .optional(),
});

/** What Cabourotte answers at /result/{name}; only the fields used are required. */
const resultSchema = z.looseObject({
  name: z.string(),
  success: z.boolean(),
  message: z.string(),
  'healthcheck-timestamp': z.number().optional(),
  duration: z.number().optional(),
});

export function resultUrl(base: string, name: string): URL {
  return new URL(`${base.replace(/\/+$/, '')}/result/${encodeURIComponent(name)}`);
}

export function createCabourotteCheck(
  spec: CabourotteSpec,
  common: CheckCommon,
  options: CabourotteOptions = {},
): HealthCheck {
  const now = options.now ?? Date.now;
  const target = resultUrl(spec.url, spec.name);
  const label = `cabourotte ${JSON.stringify(spec.name)}`;
  return {
    ...common,
    type: 'cabourotte',
    async run(signal: AbortSignal): Promise<CheckResult> {
      const start = monotonicNow();
      let response;
      try {
        response = await httpRequest({
          url: target,
          signal,
          headers: { accept: 'application/json' },
          maxBodyBytes: 256 * 1024,
        });
      } catch (error) {
        return fail(`${label}: ${target.origin}: ${errorReason(error)}`, elapsedMs(start), error);
      }
      const duration = elapsedMs(start);
      const text = response.body.toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (response.status !== 200) {
        const message =
          typeof json === 'object' &&
          json !== null &&
          'message' in json &&
          typeof json.message === 'string'
            ? json.message
            : text;
        const what = response.status === 404 ? 'Cabourotte has no result for it' : 'request failed';
        return fail(`${label}: ${what} (HTTP ${response.status}: ${quote(message)})`, duration);
      }
      const parsed = resultSchema.safeParse(json);
      if (!parsed.success) {
        return fail(`${label}: not a Cabourotte result: ${quote(text)}`, duration);
      }
      const result = parsed.data;
      if (result.name !== spec.name) {
        return fail(`${label}: answer is for ${JSON.stringify(result.name)}`, duration);
      }
      const stamp = result['healthcheck-timestamp'];
      const age = stamp === undefined ? undefined : now() / 1000 - stamp;
      const ageText = age === undefined ? '' : `, ${formatNumber(Math.max(0, age), 0)} s old`;
      if (!result.success) {
        return fail(`${label} failed: ${result.message}${ageText}`, duration);
      }
      if (spec.max_age !== undefined) {
        if (age === undefined) {
          return fail(
            `${label}: result has no healthcheck-timestamp to compare with max_age`,
            duration,
          );
        }
        if (age > spec.max_age) {
          return fail(
            `${label}: result is stale (${formatNumber(age, 0)} s old, max_age ${spec.max_age} s)`,
            duration,
          );
        }
      }
      return pass(
        `${label}: ${result.message}${ageText} (asked in ${formatMs(duration)})`,
        duration,
      );
    },
  };
}

export const cabourotteCheck: CheckType<CabourotteSpec> = {
  type: 'cabourotte',
  schema: cabourotteSchema,
  fromString: (text) => ({ name: text }),
  defaultName: (spec) => `cabourotte ${spec.name}`,
  create: (spec, common) => createCabourotteCheck(spec, common),
};
