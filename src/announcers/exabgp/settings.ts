/**
 * The `[announcers.exabgp]` table. Every key has a default: `prefixes.exabgp = [...]` alone
 * makes `anycast-guard run` an ExaBGP API process announcing with `next-hop self`.
 */
import { z } from 'zod';
import {
  asn,
  ipAddress,
  type IssueList,
  type KeyPath,
  seconds,
  validate,
} from '../../validation/index.js';

/** "self", or an address of the route's family. */
export type NextHop = string;

export interface ExabgpSettings {
  /** How anycast-guard reaches ExaBGP: as its API process (ExaBGP runs us). The only mode. */
  readonly mode: 'process';
  readonly nextHop: { readonly ipv4: NextHop; readonly ipv6: NextHop };
  /** ExaBGP answers each command with "done" or "error" (exabgp.api.ack, default true). */
  readonly ack: boolean;
  /** How long ExaBGP may stay silent while commands wait for their answer, ms. */
  readonly timeoutMs: number;
  /** Our AS for `prepend`; unset: read from ExaBGP (`show neighbor configuration`). */
  readonly asn?: number;
}

export const DEFAULT_TIMEOUT_S = 10;

const nextHop = z.union([z.literal('self'), ipAddress()]);

const schema = z.strictObject({
  mode: z.literal('process').default('process'),
  next_hop: z
    .union([
      nextHop,
      z.strictObject({
        ipv4: z.union([z.literal('self'), ipAddress(4)]).optional(),
        ipv6: z.union([z.literal('self'), ipAddress(6)]).optional(),
      }),
    ])
    .default('self'),
  ack: z.boolean().default(true),
  timeout: seconds({ max: 300 }).default(DEFAULT_TIMEOUT_S),
  asn: asn.optional(),
});

export function parseExabgpSettings(
  raw: unknown,
  path: KeyPath,
  issues: IssueList,
): ExabgpSettings | undefined {
  const table = validate(schema, raw, path, issues);
  if (table === undefined) return undefined;
  const hop = table.next_hop;
  let hops: { ipv4: NextHop; ipv6: NextHop };
  if (typeof hop === 'string') {
    if (hop !== 'self' && hop.includes(':') === false) hops = { ipv4: hop, ipv6: 'self' };
    else if (hop !== 'self') hops = { ipv4: 'self', ipv6: hop };
    else hops = { ipv4: 'self', ipv6: 'self' };
  } else hops = { ipv4: hop.ipv4 ?? 'self', ipv6: hop.ipv6 ?? 'self' };
  return {
    mode: table.mode,
    nextHop: hops,
    ack: table.ack,
    timeoutMs: Math.round(table.timeout * 1000),
    ...(table.asn === undefined ? {} : { asn: table.asn }),
  };
}

/** One line for `check-config`: the mode, next hops, acks, timeout and the AS for prepend. */
export function describeExabgpSettings(settings: ExabgpSettings): string {
  const { ipv4, ipv6 } = settings.nextHop;
  return [
    "as ExaBGP's API process",
    ipv4 === ipv6 ? `next hop ${ipv4}` : `next hop ${ipv4} (IPv4), ${ipv6} (IPv6)`,
    settings.ack ? 'acks on' : 'acks off',
    `timeout ${settings.timeoutMs / 1000} s`,
    settings.asn === undefined
      ? 'AS for prepend read from ExaBGP'
      : `AS ${settings.asn} for prepend`,
  ].join(', ');
}
