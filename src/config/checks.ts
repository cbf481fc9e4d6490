/**
 * A service's `checks`: a table of check types, each an array of items.
 *
 * An item is a table of the common keys (the check's name, interval, timeout,
 * interval_while_changing, rise, fall) plus its type's own keys, which that type's strict schema checks.
 * Where a type's own keys include `name` (dns: the query name; cabourotte: the
 * Cabourotte check), the check's name is `check_name` instead. A bare string
 * item is accepted only by types with `fromString` (cabourotte, as anycastd).
 */
import type { z } from 'zod';
import {
  didYouMean,
  formatPath,
  type IssueList,
  isTable,
  type KeyPath,
  schemaKeys,
  validate,
} from '../validation/index.js';
import { CHECK_COMMON_KEYS, checkCommonSchema } from './schema.js';
import type { CheckConfig } from './types.js';

/** Default seconds between runs (as anycastd). */
export const DEFAULT_INTERVAL = 5;
/** Default timeout: this many seconds, or the interval if that is shorter. */
export const DEFAULT_TIMEOUT = 2;

/**
 * What the configuration needs of a check type. Every `CheckType<Spec>` (src/checks) is one;
 * `defaultName` is only ever called with what `schema` produced.
 */
export interface ConfigCheckType {
  readonly type: string;
  readonly schema: z.ZodType;
  readonly fromString?: (text: string) => unknown;
  readonly defaultName: (spec: never) => string;
}

/** The check types to accept, by type name. */
export type CheckTypeRegistry =
  | ReadonlyMap<string, ConfigCheckType>
  | Iterable<ConfigCheckType>
  | Readonly<Record<string, ConfigCheckType>>;

export function registryMap(registry: CheckTypeRegistry): ReadonlyMap<string, ConfigCheckType> {
  if (registry instanceof Map) return registry as ReadonlyMap<string, ConfigCheckType>;
  const list: Iterable<ConfigCheckType> =
    Symbol.iterator in registry ? (registry as Iterable<ConfigCheckType>) : Object.values(registry);
  return new Map([...list].map((t) => [t.type, t]));
}

/** True where the type's own keys include `name`, so the check's name is `check_name`. */
export function claimsName(type: ConfigCheckType): boolean {
  return schemaKeys(type.schema).has('name');
}

export function buildChecks(
  raw: unknown,
  path: KeyPath,
  registry: ReadonlyMap<string, ConfigCheckType>,
  issues: IssueList,
): CheckConfig[] {
  if (raw === undefined) return [];
  if (!isTable(raw)) {
    issues.add(path, 'must be a table of check types, e.g. checks.http = [{ url = "…" }]');
    return [];
  }
  const out: CheckConfig[] = [];
  const names = new Map<string, KeyPath>();
  for (const [typeName, items] of Object.entries(raw)) {
    const typePath = [...path, typeName];
    const type = registry.get(typeName);
    if (type === undefined) {
      issues.add(
        typePath,
        `unknown check type${didYouMean(typeName, registry.keys())}; known: ${[...registry.keys()].sort().join(', ')}`,
      );
      continue;
    }
    if (!Array.isArray(items)) {
      issues.add(
        typePath,
        `must be an array of ${typeName} checks, e.g. checks.${typeName} = [{ … }]`,
      );
      continue;
    }
    items.forEach((item, i) => {
      const check = buildCheck(item, [...typePath, i], type, registry, issues);
      if (check === undefined) return;
      const first = names.get(check.config.name);
      if (first !== undefined) {
        issues.add(
          check.namePath,
          `check name "${check.config.name}" is already used by ${formatPath(first)}; names must be unique within a service (set ${check.nameKey})`,
        );
        return;
      }
      names.set(check.config.name, check.namePath);
      out.push(check.config);
    });
  }
  return out;
}

interface BuiltCheck {
  readonly config: CheckConfig;
  /** Where the name came from (the item itself when it was derived). */
  readonly namePath: KeyPath;
  /** The key that sets this check's name. */
  readonly nameKey: 'name' | 'check_name';
}

function buildCheck(
  item: unknown,
  path: KeyPath,
  type: ConfigCheckType,
  registry: ReadonlyMap<string, ConfigCheckType>,
  issues: IssueList,
): BuiltCheck | undefined {
  const nameKey = claimsName(type) ? 'check_name' : 'name';
  let specInput: unknown;
  const common: Record<string, unknown> = {};
  if (typeof item === 'string') {
    if (type.fromString === undefined) {
      const withStrings = [...registry.values()]
        .filter((t) => t.fromString !== undefined)
        .map((t) => t.type);
      issues.add(
        path,
        `must be a table of ${type.type} settings; only ${withStrings.length > 0 ? withStrings.join(', ') : 'no'} check items may be a bare string (the name of an existing check)`,
      );
      return undefined;
    }
    specInput = type.fromString(item);
  } else if (isTable(item)) {
    const spec: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item)) {
      if ((CHECK_COMMON_KEYS as readonly string[]).includes(key) || key === nameKey)
        common[key] = value;
      else if (key === 'check_name') {
        issues.add(
          [...path, key],
          `check_name is only for check types whose own settings use name (${typesClaimingName(registry)}); set this check's name with name`,
        );
      } else spec[key] = value;
    }
    specInput = spec;
  } else {
    issues.add(
      path,
      `must be a table of ${type.type} settings${type.fromString ? ' or a string' : ''}`,
    );
    return undefined;
  }
  const parsedCommon = validate(checkCommonSchema, common, path, issues);
  const spec = validate(type.schema, specInput, path, issues, {
    extraKeys: [...CHECK_COMMON_KEYS, nameKey],
  });
  if (parsedCommon === undefined || spec === undefined) return undefined;
  const interval = parsedCommon.interval ?? DEFAULT_INTERVAL;
  const timeout = parsedCommon.timeout ?? Math.min(DEFAULT_TIMEOUT, interval);
  // A timeout longer than the interval is fine: runs never overlap (src/checks/scheduler.ts).
  const whileChanging = parsedCommon.interval_while_changing;
  if (whileChanging !== undefined && whileChanging > interval) {
    issues.add(
      [...path, 'interval_while_changing'],
      `must not be longer than the interval (${interval} s): it is the faster interval while the check is changing state`,
    );
    return undefined;
  }
  const given = nameKey === 'name' ? parsedCommon.name : parsedCommon.check_name;
  const name = given ?? type.defaultName(spec as never);
  return {
    config: {
      type: type.type,
      name,
      interval,
      timeout,
      ...(whileChanging === undefined ? {} : { intervalWhileChanging: whileChanging }),
      ...(parsedCommon.rise === undefined ? {} : { rise: parsedCommon.rise }),
      ...(parsedCommon.fall === undefined ? {} : { fall: parsedCommon.fall }),
      spec,
    },
    namePath: given === undefined ? path : [...path, nameKey],
    nameKey,
  };
}

function typesClaimingName(registry: ReadonlyMap<string, ConfigCheckType>): string {
  const list = [...registry.values()].filter(claimsName).map((t) => t.type);
  return list.length > 0 ? list.join(', ') : 'none here';
}
