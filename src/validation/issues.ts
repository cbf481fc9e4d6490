/**
 * Key paths and the list of problems found while reading one file, and the
 * translation of zod's issues into messages in the file's own words ("must be
 * a whole number from 1 to 65535, got 70000"; "unknown key (did you mean 'rise'?)").
 */
import { TomlDate } from 'smol-toml';
import type { z } from 'zod';
import type { ConfigIssue } from './errors.js';
import { didYouMean } from './suggest.js';

/** How much of a long value a message shows. */
export const MAX_SHOWN_CHARACTERS = 64;
/** A message longer than this is cut (a safety net: values are cut before they get here). */
const MAX_MESSAGE_CHARACTERS = 1024;
/** Problems listed in one report; the rest are counted in one "and M more problems" line. */
export const MAX_LISTED_ISSUES = 50;

/** A long text cut for a message: its first characters, then "… (5242880 characters)". */
export function clip(text: string, max = MAX_SHOWN_CHARACTERS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/** Table keys and array indexes from the document root. */
export type KeyPath = readonly (string | number)[];

/** "services.dns.checks.http[0].timeout"; keys that are not bare TOML keys are quoted. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key =
        segment.length > MAX_SHOWN_CHARACTERS
          ? `${JSON.stringify(segment.slice(0, MAX_SHOWN_CHARACTERS))}… (${segment.length} characters)`
          : /^[A-Za-z0-9_-]+$/.test(segment)
            ? segment
            : JSON.stringify(segment);
      out += out === '' ? key : `.${key}`;
    }
  }
  return out;
}

/**
 * The problems found in one file. At most `limit` are kept; past that they are only
 * counted, so a file of 100,000 unknown keys yields 50 lines and "and 99950 more
 * problems", not 100,000 lines (or millions, as it once did). Past the limit a repeat
 * is counted too: telling it apart would cost the work the limit saves.
 */
export class IssueList {
  private readonly listed: ConfigIssue[] = [];
  private readonly seen = new Set<string>();
  private more = 0;

  constructor(private readonly limit = MAX_LISTED_ISSUES) {}

  /** Adds one problem; a second problem at the same path with the same text is dropped. */
  add(path: KeyPath, message: string): void {
    // Past the limit, only counted: not even formatted (100,000 of them cost nothing).
    if (this.listed.length >= this.limit) {
      this.more++;
      return;
    }
    const formatted = formatPath(path);
    const text = clip(message, MAX_MESSAGE_CHARACTERS);
    const key = `${formatted}\u0000${text}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.listed.push({ path: formatted, message: text });
  }

  /** Every problem found, those past the limit counted (not deduplicated). */
  get count(): number {
    return this.listed.length + this.more;
  }

  /** The problems to report: the first `limit`, then one line counting the rest. */
  get items(): readonly ConfigIssue[] {
    if (this.more === 0) return this.listed;
    const s = this.more === 1 ? '' : 's';
    return [...this.listed, { path: '', message: `and ${this.more} more problem${s}` }];
  }
}

/** A TOML table (not an array, not a date). */
export function isTable(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof TomlDate) &&
    !(value instanceof Date)
  );
}

/** How a TOML value reads in a message: strings quoted, numbers as written, the rest by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length > MAX_SHOWN_CHARACTERS
      ? `${JSON.stringify(value.slice(0, MAX_SHOWN_CHARACTERS))}… (${value.length} characters)`
      : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof TomlDate || value instanceof Date) return 'a date';
  if (isTable(value)) return 'a table';
  return String(value);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === 'number') value = value[segment];
    else if (isTable(value) && typeof segment === 'string') value = value[segment];
    else return undefined;
  }
  return value;
}

/** The parts of zod's schema definitions we walk: zod 4's `_zod.def` (its documented internals). */
interface LooseDef {
  readonly type: string;
  readonly shape?: Readonly<Record<string, z.core.$ZodType>>;
  readonly element?: z.core.$ZodType;
  readonly valueType?: z.core.$ZodType;
  readonly options?: readonly z.core.$ZodType[];
  readonly innerType?: z.core.$ZodType;
  readonly in?: z.core.$ZodType;
  readonly left?: z.core.$ZodType;
  readonly right?: z.core.$ZodType;
  readonly getter?: () => z.core.$ZodType;
}

function defOf(schema: z.core.$ZodType): LooseDef {
  return schema._zod.def;
}

/** The object schemas a value at `schema` may be checked against, through wrappers and unions. */
function objectShapes(
  schema: z.core.$ZodType,
  depth = 0,
): Readonly<Record<string, z.core.$ZodType>>[] {
  if (depth > 20) return [];
  const def = defOf(schema);
  const inner =
    def.innerType ?? def.in ?? (def.type === 'lazy' && def.getter ? def.getter() : undefined);
  if (def.type === 'object' && def.shape !== undefined) return [def.shape];
  if (inner !== undefined) return objectShapes(inner, depth + 1);
  if (def.options !== undefined) return def.options.flatMap((o) => objectShapes(o, depth + 1));
  if (def.left !== undefined && def.right !== undefined)
    return [...objectShapes(def.left, depth + 1), ...objectShapes(def.right, depth + 1)];
  return [];
}

/** The keys a table checked by `schema` may have (empty if it is not a table schema). */
export function schemaKeys(schema: z.core.$ZodType): Set<string> {
  return new Set(objectShapes(schema).flatMap((shape) => Object.keys(shape)));
}

/** The schema that checks the value at `path` below `schema`, as far as it can be followed. */
function schemaAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): z.core.$ZodType[] {
  let current: z.core.$ZodType[] = [schema];
  for (const segment of path) {
    const next: z.core.$ZodType[] = [];
    for (const s of current) {
      if (typeof segment === 'number') {
        const element = elementOf(s);
        if (element !== undefined) next.push(element);
      } else if (typeof segment === 'string') {
        for (const shape of objectShapes(s)) {
          const child = shape[segment];
          if (child !== undefined) next.push(child);
        }
        const record = recordValueOf(s);
        if (record !== undefined) next.push(record);
      }
    }
    current = next;
  }
  return current;
}

function unwrap(schema: z.core.$ZodType, depth = 0): z.core.$ZodType {
  const def = defOf(schema);
  const inner = def.innerType ?? def.in;
  return inner !== undefined && depth < 20 ? unwrap(inner, depth + 1) : schema;
}

/** A schema's description (`.describe()`), looking through optional and default wrappers. */
function describedBy(schema: z.core.$ZodType): string | undefined {
  let current: z.core.$ZodType | undefined = schema;
  for (let depth = 0; current !== undefined && depth < 20; depth++) {
    const description = (current as z.ZodType).description;
    if (description !== undefined) return description;
    current = defOf(current).innerType;
  }
  return undefined;
}

function elementOf(schema: z.core.$ZodType): z.core.$ZodType | undefined {
  const def = defOf(unwrap(schema));
  if (def.element !== undefined) return def.element;
  if (def.options !== undefined) return def.options.map(elementOf).find((e) => e !== undefined);
  return undefined;
}

function recordValueOf(schema: z.core.$ZodType): z.core.$ZodType | undefined {
  return defOf(unwrap(schema)).valueType;
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'an array',
  object: 'a table',
  record: 'a table',
};

export interface ValidateOptions {
  /** More keys that are valid at the top of this value (for "did you mean"). */
  readonly extraKeys?: Iterable<string>;
}

/**
 * Checks `value` with `schema`; on failure adds every problem under `base` and
 * returns undefined.
 */
export function validate<T>(
  schema: z.ZodType<T>,
  value: unknown,
  base: KeyPath,
  issues: IssueList,
  options: ValidateOptions = {},
): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const extraKeys = [...(options.extraKeys ?? [])];
  const seenPaths = new Set<string>();
  const report = (issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): void => {
    const path = [...prefix, ...issue.path];
    const at = (extra: readonly PropertyKey[] = []): KeyPath => [
      ...base,
      ...[...path, ...extra].map((p) => (typeof p === 'symbol' ? String(p) : p)),
    ];
    const actual = valueAt(value, path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = new Set(schemaAt(schema, path).flatMap((s) => [...schemaKeys(s)]));
        if (path.length === 0) for (const k of extraKeys) known.add(k);
        for (const key of issue.keys) issues.add(at([key]), `unknown key${didYouMean(key, known)}`);
        return;
      }
      case 'invalid_union': {
        // Report the branch that fits the value's kind (a table for a table, ...), if one does.
        const fitting = issue.errors.filter(
          (branch) =>
            !branch.some(
              (i) =>
                i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'),
            ),
        );
        const branch = fitting[0];
        if (branch !== undefined) {
          for (const i of branch) report(i, path);
          return;
        }
        const description = schemaAt(schema, path)
          .map(describedBy)
          .find((d) => d !== undefined);
        const message = !ZOD_DEFAULT.test(issue.message)
          ? issue.message
          : `must be ${description ?? 'another kind of value'}`;
        leaf(at(), actual === undefined ? 'is required' : message, actual);
        return;
      }
      default:
        break;
    }
    // One message per key: zod can report a value twice (e.g. int range and safe range).
    const key = formatPath(at());
    if (seenPaths.has(key)) return;
    seenPaths.add(key);
    const hint =
      issue.code === 'invalid_value' && typeof actual === 'string'
        ? didYouMean(actual, issue.values.map(String))
        : '';
    leaf(at(), leafMessage(issue, actual), actual, hint);
  };
  const leaf = (path: KeyPath, message: string, actual: unknown, hint = ''): void => {
    const shown = describeValue(actual);
    const got =
      actual === undefined ||
      Array.isArray(actual) ||
      isTable(actual) ||
      message.startsWith('is required') ||
      message.includes('got ') ||
      (typeof actual === 'string' && message.includes(shown))
        ? ''
        : `, got ${shown}`;
    issues.add(path, message + got + hint);
  };
  for (const issue of result.error.issues) report(issue, []);
  return undefined;
}

/** zod's own wording, which is rewritten; a schema's custom message is kept as written. */
const ZOD_DEFAULT =
  /^(Invalid (input|option|string|key|element|number|format|union)|Too small|Too big|Unrecognized key)/;

function leafMessage(issue: z.core.$ZodIssue, actual: unknown): string {
  if (actual === undefined) {
    if (issue.code === 'invalid_type') return 'is required';
    // A refinement that ran on a missing key: it is required, and says what it must be.
    if (issue.code === 'custom' && issue.message.startsWith('must '))
      return `is required and ${issue.message}`;
  }
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}`;
    case 'too_small':
      if (issue.origin === 'array')
        return `must list at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string')
        return issue.minimum === 1
          ? 'must not be empty'
          : `must be at least ${issue.minimum} characters`;
      return `must be ${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `must list at most ${issue.maximum} items`;
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`;
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      const list =
        values.length === 1
          ? values[0]!
          : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]!}`;
      return `must be ${list}`;
    }
    default:
      return issue.message;
  }
}
