/**
 * INI files as Python's configparser reads them with its defaults (ConfigParser(),
 * Python 3: Lib/configparser.py), the parts anycast-healthchecker's files rely on:
 *
 * - `[section]` headers (case-sensitive; `[DEFAULT]` holds defaults for every section);
 *   `key = value` or `key: value`, split at the first `=` or `:`; keys are lowercased;
 *   key and value are stripped.
 * - Full-line comments start with `#` or `;` (after optional indentation). There are no
 *   inline comments: `check_cmd = curl http://x/#a` keeps `#a`.
 * - A line indented deeper than its option's line continues the value (joined with
 *   "\n"); empty lines inside a value are kept, trailing ones dropped; comment lines in
 *   between are skipped.
 * - Strict: a section or an option twice in one file is an error; across files (read one
 *   after another, as configparser.read does) later values replace earlier ones.
 * - BasicInterpolation when a value is read: `%%` is `%`, `%(name)s` is another option
 *   of the same section (or DEFAULT); any other `%` is an error.
 * - getboolean's words (1/yes/true/on, 0/no/false/off), int() and float() for numbers.
 *
 * Known gaps: valueless options (allow_no_value) and custom delimiters are not needed by
 * anycast-healthchecker and are errors here as in configparser's defaults.
 */

export class IniError extends Error {
  readonly code = 'INI_SYNTAX';
  readonly kind = 'import.ini_syntax';
  constructor(
    readonly source: string,
    readonly line: number | undefined,
    message: string,
  ) {
    super(`${source}${line === undefined ? '' : `:${line}`}: ${message}`);
    this.name = 'IniError';
  }
}

/** One option as written: its raw value (before interpolation) and where. */
export interface IniValue {
  readonly value: string;
  readonly source: string;
  readonly line: number;
}

export class IniDocument {
  /** Section name → option (lowercased) → value; DEFAULT is kept apart. */
  readonly sections = new Map<string, Map<string, IniValue>>();
  readonly defaults = new Map<string, IniValue>();
  /** Where each section was first written. */
  readonly origins = new Map<string, { source: string; line: number }>();
  /**
   * Sections (DEFAULT aside) a later file writes again, where it does: configparser merges
   * them, later values winning, so the result hangs on the order of the files.
   */
  readonly repeats = new Map<string, { source: string; line: number }[]>();

  /** Reads one more file into the document (configparser.read of several files, in order). */
  read(text: string, source: string): void {
    const added = new Set<string>();
    let current: Map<string, IniValue> | undefined;
    let sectionName: string | undefined;
    let option: { name: string; lines: string[]; line: number } | undefined;
    let indent = Number.MAX_SAFE_INTEGER;
    const flush = (): void => {
      if (option === undefined || current === undefined) return;
      current.set(option.name, {
        value: option.lines.join('\n').trimEnd(),
        source,
        line: option.line,
      });
    };
    const lines = text.split(/\r?\n/);
    lines.forEach((raw, index) => {
      const lineNo = index + 1;
      const stripped = raw.trim();
      const isComment = stripped.startsWith('#') || stripped.startsWith(';');
      if (stripped === '' || isComment) {
        // An empty line (not a comment) inside a value is part of it.
        if (!isComment && option !== undefined) option.lines.push('');
        return;
      }
      const lineIndent = raw.length - raw.trimStart().length;
      if (option !== undefined && lineIndent > indent) {
        option.lines.push(stripped);
        return;
      }
      flush();
      option = undefined;
      indent = lineIndent;
      const header = /^\[(.+)\]/.exec(stripped);
      if (header !== null) {
        const name = header[1] ?? '';
        if (added.has(name)) throw new IniError(source, lineNo, `section [${name}] appears twice`);
        added.add(name);
        sectionName = name;
        if (name === 'DEFAULT') current = this.defaults;
        else {
          current = this.sections.get(name);
          if (current === undefined) {
            current = new Map();
            this.sections.set(name, current);
            this.origins.set(name, { source, line: lineNo });
          } else
            this.repeats.set(name, [...(this.repeats.get(name) ?? []), { source, line: lineNo }]);
        }
        return;
      }
      if (current === undefined)
        throw new IniError(source, lineNo, `"${stripped}" comes before any [section] header`);
      const match = /^(.*?)\s*([=:])\s*(.*)$/.exec(stripped);
      const key = match?.[1]?.trimEnd().toLowerCase() ?? '';
      if (match === null || key === '')
        throw new IniError(
          source,
          lineNo,
          `"${stripped}" is not "key = value" (or "key: value") in [${sectionName ?? ''}]`,
        );
      const id = `${sectionName ?? ''}\u0000${key}`;
      if (added.has(id))
        throw new IniError(source, lineNo, `option ${key} appears twice in [${sectionName ?? ''}]`);
      added.add(id);
      option = { name: key, lines: [(match[3] ?? '').trim()], line: lineNo };
    });
    flush();
  }
}

/** A lookup chain for one section: its own options, then its fallbacks, in order. */
export type IniChain = readonly ReadonlyMap<string, IniValue>[];

export function lookup(chain: IniChain, key: string): IniValue | undefined {
  for (const map of chain) {
    const value = map.get(key);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** configparser's BasicInterpolation of one value within its section's chain. */
export function interpolate(chain: IniChain, value: IniValue, depth = 0): string {
  if (depth > 10)
    throw new IniError(
      value.source,
      value.line,
      'interpolation nested more than 10 deep (a %(name)s loop?)',
    );
  let out = '';
  const text = value.value;
  for (let i = 0; i < text.length;) {
    const at = text.indexOf('%', i);
    if (at < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, at);
    const next = text[at + 1];
    if (next === '%') {
      out += '%';
      i = at + 2;
      continue;
    }
    if (next === '(') {
      const ref = /^%\(([^)]+)\)s/.exec(text.slice(at));
      if (ref === null)
        throw new IniError(
          value.source,
          value.line,
          `bad interpolation reference at "${text.slice(at)}" (write %% for a literal %)`,
        );
      const name = (ref[1] ?? '').toLowerCase();
      const target = lookup(chain, name);
      if (target === undefined)
        throw new IniError(
          value.source,
          value.line,
          `%(${name})s refers to an option that is not set (write %% for a literal %)`,
        );
      out += interpolate(chain, target, depth + 1);
      i = at + ref[0].length;
      continue;
    }
    throw new IniError(
      value.source,
      value.line,
      `"%" must be followed by "%" or "(", found "${text.slice(at)}" (configparser interpolation: write %% for a literal %)`,
    );
  }
  return out;
}

const BOOLEANS: Readonly<Record<string, boolean>> = {
  '1': true,
  yes: true,
  true: true,
  on: true,
  '0': false,
  no: false,
  false: false,
  off: false,
};

/** configparser.getboolean; undefined when the text is not one of its words. */
export function parseIniBoolean(text: string): boolean | undefined {
  return BOOLEANS[text.toLowerCase()];
}

/** Python int() of a string: sign, digits, single underscores between digits. */
export function parseIniInt(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

/** Python float() of a string (finite values only: inf and nan have no use here). */
export function parseIniFloat(text: string): number | undefined {
  const t = text.trim();
  const digits = String.raw`\d+(?:_\d+)*`;
  const re = new RegExp(
    `^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`,
  );
  if (!re.test(t)) return undefined;
  const n = Number(t.replace(/_/g, ''));
  return Number.isFinite(n) ? n : undefined;
}
