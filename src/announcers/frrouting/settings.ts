/**
 * The `[announcers.frrouting]` table. Every key has a default, so a config that only
 * writes `prefixes.frrouting = [...]` (anycastd's) drives the FRR on this host through
 * /usr/bin/vtysh.
 */
import { z } from 'zod';
import { type IssueList, type KeyPath, seconds, validate } from '../../validation/index.js';

export interface FrroutingSettings {
  /** Path of vtysh (default /usr/bin/vtysh, as anycastd). */
  readonly vtysh: string;
  /** FRR pathspace (`vtysh -N NAME`); unset for FRR's default paths. */
  readonly pathspace?: string;
  /** How long one vtysh run may take, ms. */
  readonly timeoutMs: number;
  /** Re-read FRR's configuration this often and repair it, ms (0: only on changes). */
  readonly resyncMs: number;
}

export const DEFAULT_VTYSH = '/usr/bin/vtysh';
export const DEFAULT_TIMEOUT_S = 10;
export const DEFAULT_RESYNC_S = 30;

const schema = z.strictObject({
  vtysh: z
    .string()
    .refine((v) => v.startsWith('/'), 'must be an absolute path to vtysh')
    .default(DEFAULT_VTYSH),
  pathspace: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be an FRR pathspace name (letters, digits, . _ -)')
    .optional(),
  timeout: seconds({ max: 300 }).default(DEFAULT_TIMEOUT_S),
  resync_interval: seconds({ zero: true, max: 3600 }).default(DEFAULT_RESYNC_S),
});

export function parseFrroutingSettings(
  raw: unknown,
  path: KeyPath,
  issues: IssueList,
): FrroutingSettings | undefined {
  const table = validate(schema, raw, path, issues);
  if (table === undefined) return undefined;
  return {
    vtysh: table.vtysh,
    ...(table.pathspace === undefined ? {} : { pathspace: table.pathspace }),
    timeoutMs: Math.round(table.timeout * 1000),
    resyncMs: Math.round(table.resync_interval * 1000),
  };
}

/** One line for `check-config`: what runs, where, and how often it repairs FRR. */
export function describeFrroutingSettings(settings: FrroutingSettings): string {
  const vtysh =
    settings.pathspace === undefined
      ? settings.vtysh
      : `${settings.vtysh} -N ${settings.pathspace}`;
  return `${vtysh}, timeout ${settings.timeoutMs / 1000} s, ${describeResync(settings.resyncMs)}`;
}

function describeResync(ms: number): string {
  return ms === 0 ? 'no periodic resync' : `resync every ${ms / 1000} s`;
}
