/**
 * zod schemas for the fixed parts of the file, one per TOML table, as the
 * operator writes them (snake_case). Strict: an unknown key is an error.
 * The parts whose shape depends on something else (the announcers under
 * `prefixes`, the check types under `checks`) are checked in code beside this.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseCommunity, parseLargeCommunity } from '../bgp/index.js';
import { LOG_LEVELS } from '../log/index.js';
import {
  asn,
  count,
  ipAddress,
  linkLocalAddress,
  nonEmpty,
  parseHostPort,
  seconds,
  uint32,
  wholeNumber,
} from '../validation/index.js';

/** RFC 4271 section 4.2: 0, or 3 to 65535 seconds. */
export const holdTime = z.custom<number>(
  (v) => typeof v === 'number' && Number.isInteger(v) && (v === 0 || (v >= 3 && v <= 65535)),
  'must be 0 or a whole number of seconds from 3 to 65535 (RFC 4271 4.2)',
);

function parsedBy(parse: (text: string) => unknown): z.ZodType<string> {
  return z.string().superRefine((value, ctx) => {
    try {
      parse(value);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  });
}

export const community = parsedBy(parseCommunity);
export const largeCommunity = parsedBy(parseLargeCommunity);

export const logSchema = z.strictObject({ level: z.enum(LOG_LEVELS).optional() });

export const apiSchema = z.strictObject({
  listen: z
    .union([
      z.literal(false),
      z.string().refine((v) => parseHostPort(v) !== undefined, {
        message: 'must be "HOST:PORT" with an IP address, e.g. "127.0.0.1:9180" or "[::1]:9180"',
      }),
    ])
    .describe('"HOST:PORT" (e.g. "127.0.0.1:9180" or "[::1]:9180") or false')
    .optional(),
  socket: z
    .union([z.literal(false), z.string().startsWith('/', 'must be an absolute path')])
    .describe('an absolute path or false')
    .optional(),
  token_file: z.string().startsWith('/', 'must be an absolute path').optional(),
  state_dir: z.string().startsWith('/', 'must be an absolute path').optional(),
});

export const bgpSchema = z.strictObject({
  asn,
  router_id: z.string().superRefine((value, ctx) => {
    if (isIP(value) !== 4 || value === '0.0.0.0')
      ctx.addIssue({ code: 'custom', message: 'must be a non-zero IPv4 address (dotted quad)' });
  }),
  hold_time: holdTime.optional(),
  listen: z
    .strictObject({ host: ipAddress().optional(), port: wholeNumber(0, 65535).optional() })
    .optional(),
  /** Each peer is checked on its own with peerSchema, so one bad peer hides nothing else. */
  peers: z.array(z.unknown()).optional(),
});

export const FAMILIES = ['ipv4', 'ipv6'] as const;

export const peerSchema = z.strictObject({
  address: ipAddress(),
  asn,
  name: nonEmpty.optional(),
  port: wholeNumber(1, 65535).optional(),
  local_address: ipAddress().optional(),
  passive: z.boolean().optional(),
  hold_time: holdTime.optional(),
  connect_retry: seconds({ max: 3600 }).optional(),
  max_connect_retry: seconds({ max: 3600 }).optional(),
  families: z.array(z.enum(FAMILIES)).min(1).optional(),
  next_hop: z
    .union([
      ipAddress(),
      z.strictObject({
        ipv4: ipAddress(4).optional(),
        ipv6: ipAddress(6).optional(),
        ipv6_link_local: linkLocalAddress.optional(),
      }),
    ])
    .describe('an IP address or a table { ipv4 = "…", ipv6 = "…", ipv6_link_local = "…" }')
    .optional(),
  communities: z.array(community).optional(),
  large_communities: z.array(largeCommunity).optional(),
  med: uint32.optional(),
  prepend: wholeNumber(0, 32).optional(),
  local_pref: uint32.optional(),
});
export type RawPeer = z.infer<typeof peerSchema>;

export const degradeSchema = z.strictObject({
  med: uint32.optional(),
  prepend: wholeNumber(0, 32).optional(),
  communities: z.array(community).optional(),
  large_communities: z.array(largeCommunity).optional(),
});

export const serviceSchema = z.strictObject({
  /** Checked in code (prefixes.ts): an array, or a table of announcers. */
  prefixes: z.unknown().optional(),
  /** Checked in code (checks.ts): a table of check types. */
  checks: z.unknown().optional(),
  rise: count.optional(),
  fall: count.optional(),
  hold_down: seconds({ zero: true }).optional(),
  policy: z
    .union([z.enum(['all', 'any']), z.strictObject({ quorum: wholeNumber(1, 1000) })])
    .describe('"all", "any" or a table { quorum = N }')
    .optional(),
  down: z
    .union([z.literal('withdraw'), degradeSchema])
    .describe(
      '"withdraw" or a table of degraded attributes { med = …, prepend = …, communities = […], large_communities = […] }',
    )
    .optional(),
  on_change: z.array(z.string()).min(1).optional(),
  on_change_timeout: seconds({ max: 3600 }).optional(),
  announce: z.enum(['healthy', 'always']).optional(),
  /** Checked in code (src/addresses/config-check.ts): addresses, devices, sharing. */
  addresses: z.array(z.string()).optional(),
  device: z.string().min(1).optional(),
  address_management: z.enum(['auto', 'on', 'off']).optional(),
  withdraw_address_when_down: z.boolean().optional(),
});
export type RawService = z.infer<typeof serviceSchema>;

/** Keys every check item accepts, whatever its type (the identity key is name or check_name). */
export const checkCommonSchema = z.strictObject({
  name: nonEmpty.optional(),
  check_name: nonEmpty.optional(),
  interval: seconds().optional(),
  timeout: seconds().optional(),
  rise: count.optional(),
  fall: count.optional(),
});
export const CHECK_COMMON_KEYS = ['interval', 'timeout', 'rise', 'fall'] as const;
