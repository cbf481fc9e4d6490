/**
 * The `[announcers.gobgp]` table. Every key has a default, so `prefixes.gobgp = [...]`
 * alone drives the gobgpd on this host through its gRPC API at its default address
 * (gobgpd's `--api-hosts` default, 127.0.0.1:50051).
 *
 * `gobgp` (the path of the gobgp CLI) is gone: the announcer no longer runs the CLI, and
 * an old config naming it is told so rather than having the key silently ignored.
 */
import { z } from 'zod';
import {
  ipAddress,
  type IssueList,
  type KeyPath,
  parseHostPort,
  seconds,
  validate,
} from '../../validation/index.js';
import { joinHostPort } from '../../util/index.js';

/** Where gobgpd's gRPC API listens: TCP, or a unix socket (`unix:///path`). */
export type GobgpApi =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly target: string };

export interface GobgpSettings {
  readonly api: GobgpApi;
  /** How long one gRPC call may take, ms. */
  readonly timeoutMs: number;
  /** Re-read gobgpd's RIB this often and repair it, ms (0: only on changes). */
  readonly resyncMs: number;
  /** Next hops to put on routes; unset lets gobgpd use its own address on each session. */
  readonly nextHop: { readonly ipv4?: string; readonly ipv6?: string };
}

export const DEFAULT_API = '127.0.0.1:50051';
export const DEFAULT_TIMEOUT_S = 10;
export const DEFAULT_RESYNC_S = 30;

const UNIX_TARGET = /^unix:\/\/\/\S+$/;

const schema = z.strictObject({
  api: z
    .string()
    .refine(
      (v) => UNIX_TARGET.test(v) || parseHostPort(v) !== undefined,
      'must be gobgpd\'s API address as in its --api-hosts ("127.0.0.1:50051", "[::1]:50051") or "unix:///path/to/socket"',
    )
    .default(DEFAULT_API),
  timeout: seconds({ max: 300 }).default(DEFAULT_TIMEOUT_S),
  resync_interval: seconds({ zero: true, max: 3600 }).default(DEFAULT_RESYNC_S),
  next_hop: z
    .strictObject({ ipv4: ipAddress(4).optional(), ipv6: ipAddress(6).optional() })
    .optional(),
});

export function parseApi(text: string): GobgpApi {
  if (UNIX_TARGET.test(text)) return { kind: 'unix', target: text };
  const hostPort = parseHostPort(text);
  if (hostPort === undefined) throw new Error(`not a gobgpd API address: ${text}`);
  return { kind: 'tcp', ...hostPort };
}

export function describeApi(api: GobgpApi): string {
  if (api.kind === 'unix') return api.target;
  return joinHostPort(api.host, api.port);
}

export function parseGobgpSettings(
  raw: unknown,
  path: KeyPath,
  issues: IssueList,
): GobgpSettings | undefined {
  if (typeof raw === 'object' && raw !== null && 'gobgp' in raw) {
    issues.add(
      [...path, 'gobgp'],
      "is no longer used: the GoBGP announcer talks to gobgpd's gRPC API itself (set api to gobgpd's --api-hosts address) and never runs the gobgp CLI; remove this key",
    );
    const { gobgp: _gone, ...rest } = raw as Record<string, unknown>;
    validate(schema, rest, path, issues);
    return undefined;
  }
  const table = validate(schema, raw, path, issues);
  if (table === undefined) return undefined;
  return {
    api: parseApi(table.api),
    timeoutMs: Math.round(table.timeout * 1000),
    resyncMs: Math.round(table.resync_interval * 1000),
    nextHop: {
      ...(table.next_hop?.ipv4 === undefined ? {} : { ipv4: table.next_hop.ipv4 }),
      ...(table.next_hop?.ipv6 === undefined ? {} : { ipv6: table.next_hop.ipv6 }),
    },
  };
}

/** One line for `check-config`: the API it talks to, next hops, timers. */
export function describeGobgpSettings(settings: GobgpSettings): string {
  const hops = [settings.nextHop.ipv4, settings.nextHop.ipv6].filter((h) => h !== undefined);
  return [
    `gRPC API ${describeApi(settings.api)}`,
    hops.length === 0 ? "next hop gobgpd's own" : `next hop ${hops.join(', ')}`,
    `timeout ${settings.timeoutMs / 1000} s`,
    settings.resyncMs === 0 ? 'no periodic resync' : `resync every ${settings.resyncMs / 1000} s`,
  ].join(', ');
}
