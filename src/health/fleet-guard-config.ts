/**
 * `[services.NAME] fleet_guard = { min_announcing | min_fraction, when_directors_unreachable }`
 * (docs/fleet-guard.md): checked here, where the guard's rules live; the config loader
 * calls it for each service.
 */
import { z } from 'zod';
import { type IssueList, type KeyPath, validate, wholeNumber } from '../validation/index.js';
import type { FleetGuardSettings } from './settings.js';

const schema = z.strictObject({
  min_announcing: wholeNumber(1, 1_000_000).optional(),
  min_fraction: z
    .custom<number>(
      (v) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 1,
      'must be a number above 0, at most 1 (a share of the nodes listing the service)',
    )
    .optional(),
  when_directors_unreachable: z.enum(['withdraw', 'hold']).optional(),
});

export interface FleetGuardContext {
  /** The config has a [directors] section: the guard asks them. */
  readonly hasDirectors: boolean;
  readonly announce: 'healthy' | 'always';
}

/** `raw` is the value of `fleet_guard`; `path` its key path. Undefined when absent or bad. */
export function buildFleetGuard(
  raw: unknown,
  path: KeyPath,
  issues: IssueList,
  context: FleetGuardContext,
): FleetGuardSettings | undefined {
  if (raw === undefined) return undefined;
  const before = issues.count;
  const table = validate(
    schema.describe('a table { min_announcing = N } or { min_fraction = F }'),
    raw,
    path,
    issues,
  );
  if (!context.hasDirectors)
    issues.add(
      path,
      'needs a [directors] section (the directors count the nodes announcing the service and hand out withdrawal permits)',
    );
  if (context.announce === 'always')
    issues.add(
      path,
      'has nothing to guard with announce = "always": the service is never withdrawn',
    );
  if (table === undefined) return undefined;
  const { min_announcing: count, min_fraction: fraction } = table;
  if (count !== undefined && fraction !== undefined)
    issues.add(path, 'sets both min_announcing and min_fraction: choose one');
  else if (count === undefined && fraction === undefined)
    issues.add(
      path,
      'sets no minimum: add min_announcing = N (nodes) or min_fraction = F (a share of the nodes listing the service)',
    );
  if (issues.count > before) return undefined;
  const minimum =
    count !== undefined ? { announcing: count } : fraction !== undefined ? { fraction } : undefined;
  if (minimum === undefined) return undefined;
  return {
    minimum,
    whenDirectorsUnreachable: table.when_directors_unreachable ?? 'withdraw',
  };
}
