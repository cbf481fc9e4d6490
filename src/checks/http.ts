/**
 * http: one request to a URL; passes on an expected status (default any 2xx)
 * and, when asked, a body containing a substring or matching a regex.
 *
 * A fresh connection per run (no keep-alive), no redirects followed unless
 * `follow_redirects` (then up to 10 hops). For https the chain and host name are
 * verified against the system roots or `ca_file`, with `server_name` as SNI and
 * as the name checked, unless `insecure_skip_verify`. The CA file is read on
 * every run so a rotated CA is picked up. Bodies beyond 1 MiB are cut.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { refineWatch, watchKeys, withHeldConnection } from './held-connection.js';
import { httpRequest } from './http-client.js';
import { absolutePath, serverName, stringMap, url, urlHost } from './schema.js';
import type { CheckCommon, CheckResult, CheckType, HealthCheck } from './types.js';
import { elapsedMs, fail, formatMs, monotonicNow, pass, quote } from './util.js';
import { errorReason } from '../util/index.js';

export type StatusRule =
  | { readonly kind: 'code'; readonly code: number }
  | { readonly kind: 'class'; readonly hundreds: number };

const statusError =
  'status must be an HTTP status code (100-599), a class like "2xx", or a list of them';
const statusItem = z.union([
  z
    .number({ error: statusError })
    .int({ error: statusError })
    .min(100, { error: statusError })
    .max(599, { error: statusError }),
  z.string({ error: statusError }).regex(/^[1-5]xx$/i, { error: statusError }),
]);

export const statusSchema = z
  .union([statusItem, z.array(statusItem).min(1)], { error: statusError })
  .default('2xx')
  .transform((value): StatusRule[] =>
    (Array.isArray(value) ? value : [value]).map((item) =>
      typeof item === 'number'
        ? { kind: 'code', code: item }
        : { kind: 'class', hundreds: Number(item[0]) },
    ),
  );

export function statusMatches(rules: readonly StatusRule[], status: number): boolean {
  return rules.some((rule) =>
    rule.kind === 'code' ? rule.code === status : Math.floor(status / 100) === rule.hundreds,
  );
}

export function describeStatus(rules: readonly StatusRule[]): string {
  return rules
    .map((rule) => (rule.kind === 'code' ? `${rule.code}` : `${rule.hundreds}xx`))
    .join(', ');
}

export interface HttpSpec {
  readonly url: string;
  readonly method: string;
  readonly status: readonly StatusRule[];
  readonly body?: string;
  readonly body_regex?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly ca_file?: string;
  readonly insecure_skip_verify: boolean;
  readonly server_name?: string;
  readonly follow_redirects: boolean;
  /** Hold a TCP connection to the URL's host and port between runs (held-connection.ts). */
  readonly watch?: boolean;
  /** Default: `watch`. */
  readonly fail_fast?: boolean;
}

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const httpSchema = z
  .strictObject({
    url: url(['http', 'https']),
    method: z
      .string({ error: 'method must be a string' })
      .regex(/^[A-Za-z]+$/, { error: 'method must be an HTTP method such as GET or HEAD' })
      .default('GET')
      .transform((method) => method.toUpperCase()),
    status: statusSchema,
    body: z
      .string({ error: 'body must be a string (a substring the body must contain)' })
      .optional(),
    body_regex: z
      .string({ error: 'body_regex must be a string' })
      .refine(
        (source) => {
          try {
            new RegExp(source);
            return true;
          } catch {
            return false;
          }
        },
        { error: 'body_regex is not a valid regular expression' },
      )
      .optional(),
    headers: stringMap('headers')
      .refine((headers) => Object.keys(headers).every((name) => headerName.test(name)), {
        error: 'headers names must be HTTP header names',
      })
      .optional(),
    ca_file: absolutePath('ca_file').optional(),
    insecure_skip_verify: z
      .boolean({ error: 'insecure_skip_verify must be true or false' })
      .default(false),
    server_name: serverName.optional(),
    follow_redirects: z.boolean({ error: 'follow_redirects must be true or false' }).default(false),
    ...watchKeys,
  })
  .superRefine((spec, ctx) => {
    refineWatch(spec, ctx);
    if (!spec.url.startsWith('https:')) {
      for (const key of ['ca_file', 'server_name'] as const) {
        if (spec[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${key} only applies to https URLs`,
          });
        }
      }
      if (spec.insecure_skip_verify) {
        ctx.addIssue({
          code: 'custom',
          path: ['insecure_skip_verify'],
          message: 'insecure_skip_verify only applies to https URLs',
        });
      }
    }
    if (spec.insecure_skip_verify && spec.ca_file !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ca_file'],
        message: 'ca_file has no effect with insecure_skip_verify = true; remove one of them',
      });
    }
  });

export function createHttpCheck(spec: HttpSpec, common: CheckCommon): HealthCheck {
  const probe = createHttpProbe(spec, common);
  if (spec.watch !== true) return probe;
  const parsed = new URL(spec.url);
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  return withHeldConnection(probe, urlHost(parsed), port, spec.fail_fast ?? true);
}

function createHttpProbe(spec: HttpSpec, common: CheckCommon): HealthCheck {
  const target = new URL(spec.url);
  const regex = spec.body_regex === undefined ? undefined : new RegExp(spec.body_regex);
  return {
    ...common,
    type: 'http',
    async run(signal: AbortSignal): Promise<CheckResult> {
      const start = monotonicNow();
      let ca: Buffer | undefined;
      if (spec.ca_file !== undefined) {
        try {
          ca = await readFile(spec.ca_file);
        } catch (error) {
          return fail(`cannot read ca_file: ${errorReason(error)}`, elapsedMs(start), error);
        }
      }
      let response;
      try {
        response = await httpRequest({
          url: target,
          method: spec.method,
          signal,
          maxRedirects: spec.follow_redirects ? 10 : 0,
          ...(spec.headers === undefined ? {} : { headers: spec.headers }),
          tls: {
            rejectUnauthorized: !spec.insecure_skip_verify,
            ...(ca === undefined ? {} : { ca }),
            ...(spec.server_name === undefined ? {} : { servername: spec.server_name }),
          },
        });
      } catch (error) {
        return fail(errorReason(error), elapsedMs(start), error);
      }
      const duration = elapsedMs(start);
      const took = formatMs(duration);
      const status = response.status;
      if (!statusMatches(spec.status, status)) {
        const location = response.headers.location;
        const redirect =
          location !== undefined && status >= 300 && status < 400
            ? ` (redirect to ${location} not followed)`
            : '';
        return fail(
          `HTTP ${status}${redirect}, expected ${describeStatus(spec.status)}, after ${took}`,
          duration,
        );
      }
      if (spec.body !== undefined || regex !== undefined) {
        const text = response.body.toString('utf8');
        if (spec.body !== undefined && !text.includes(spec.body)) {
          return fail(
            `HTTP ${status} but the body does not contain ${quote(spec.body)} (body: ${quote(text)})`,
            duration,
          );
        }
        if (regex !== undefined && !regex.test(text)) {
          return fail(
            `HTTP ${status} but the body does not match /${regex.source}/ (body: ${quote(text)})`,
            duration,
          );
        }
      }
      return pass(`HTTP ${status} in ${took}`, duration);
    },
  };
}

export const httpCheck: CheckType<HttpSpec> = {
  type: 'http',
  schema: httpSchema,
  defaultName: (spec) => `http ${spec.url}`,
  create: (spec, common) => createHttpCheck(spec, common),
};
