/**
 * Writing the few TOML value shapes the importer emits (TOML 1.0): basic strings,
 * numbers, booleans, arrays and inline tables of those, and keys (bare when they can
 * be, quoted otherwise). Written by hand so the output can carry comments.
 */

export type TomlValue =
  string | number | boolean | readonly TomlValue[] | { readonly [key: string]: TomlValue };

/** A basic string: `"`, `\` and control characters escaped (TOML 1.0, "Basic strings"). */
export function tomlString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

export function tomlValue(value: TomlValue): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as TOML`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${(value as readonly TomlValue[]).map(tomlValue).join(', ')}]`;
  const entries = Object.entries(value as { readonly [key: string]: TomlValue });
  return entries.length === 0
    ? '{}'
    : `{ ${entries.map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`).join(', ')} }`;
}

/** `# text` lines, each line of `text` commented. */
export function tomlComment(text: string, indent = ''): string {
  return text
    .split('\n')
    .map((line) => `${indent}#${line === '' ? '' : ` ${line}`}`)
    .join('\n');
}
