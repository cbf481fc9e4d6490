/**
 * zod schemas for the fixed parts of the file, one per TOML table, as the
 * operator writes them (snake_case). Strict: an unknown key is an error.
 * The parts whose shape depends on something else (the announcers under
 * `prefixes`, the check types under `checks`) are checked in code beside this.
 */
import { z } from 'zod';
import { degradeKeys } from '../bgp/index.js';
import { LOG_LEVELS } from '../log/index.js';
import { duration } from './duration.js';
import {
  count,
  nonEmpty,
  parseHostPort,
  seconds,
  uint32,
  wholeNumber,
} from '../validation/index.js';

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

/** A degraded service's attributes (down = { … }): the peer's attribute keys, less LOCAL_PREF. */
export const degradeSchema = z.strictObject(degradeKeys);

/** A service's attributes while up (up = { … }): a degraded table's keys, plus LOCAL_PREF. */
export const upSchema = z.strictObject({ ...degradeKeys, local_pref: uint32.optional() });

/** [daemon]: how the node process itself behaves. */
export const daemonSchema = z.strictObject({
  /** Seconds of graceful drain (RFC 8326) on SIGTERM before withdrawing; 0 = none. */
  stop_grace: seconds({ zero: true, max: 3600 }).optional(),
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
  up: upSchema
    .describe(
      'a table of attributes while up { med = …, prepend = …, local_pref = …, communities = […], large_communities = […] }',
    )
    .optional(),
  on_change: z.array(z.string()).min(1).optional(),
  on_change_timeout: seconds({ max: 3600 }).optional(),
  announce: z.enum(['healthy', 'always']).optional(),
  /** 0.0.0.0/0 and ::/0 may be among the prefixes (refused otherwise). */
  allow_default_route: z.boolean().optional(),
  /** Checked in code (src/addresses/config-check.ts): addresses, devices, sharing. */
  addresses: z.array(z.string()).optional(),
  device: z.string().min(1).optional(),
  address_management: z.enum(['auto', 'on', 'off']).optional(),
  withdraw_address_when_down: z.boolean().optional(),
  /** Checked in code (src/health/fleet-guard-config.ts): needs [directors]. */
  fleet_guard: z.unknown().optional(),
});

/** Keys every check item accepts, whatever its type (the identity key is name or check_name). */
export const checkCommonSchema = z.strictObject({
  name: nonEmpty.optional(),
  check_name: nonEmpty.optional(),
  // anycastd's files may write an ISO-8601 duration (interval = "PT1S").
  interval: duration().optional(),
  timeout: duration().optional(),
  interval_while_changing: duration().optional(),
  rise: count.optional(),
  fall: count.optional(),
});
export const CHECK_COMMON_KEYS = [
  'interval',
  'timeout',
  'interval_while_changing',
  'rise',
  'fall',
] as const;
