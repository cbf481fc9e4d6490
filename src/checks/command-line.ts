/**
 * Splits a command line into argv the way a POSIX shell splits words (quotes,
 * backslash escapes), so `command = "check-dns --name 'a b'"` means what an
 * operator expects, but without running a shell.
 *
 * Because no shell runs, anything a shell would treat as an operator or an
 * expansion (| & ; < > ( ) $ ` and a word-leading #) is refused when unquoted
 * rather than passed on literally with a different meaning. Globs (* ? [ ]) and
 * a leading ~ are not expanded: they reach the program as written.
 */

export type SplitResult =
  { readonly ok: true; readonly argv: string[] } | { readonly ok: false; readonly error: string };

const operators = new Set(['|', '&', ';', '<', '>', '(', ')']);
const whitespace = new Set([' ', '\t', '\n', '\r']);
/** Characters a backslash escapes inside double quotes (POSIX 2.2.3). */
const doubleQuoteEscapes = new Set(['\\', '"', '$', '`', '\n']);

const useShell = 'commands run without a shell; quote it, or use ["sh", "-c", "..."]';

export function splitCommand(text: string): SplitResult {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] ?? '';
    if (whitespace.has(c)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { ok: false, error: `unterminated single quote at column ${i + 1}` };
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      const start = i;
      i++;
      let closed = false;
      while (i < n) {
        const d = text[i] ?? '';
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < n && doubleQuoteEscapes.has(text[i + 1] ?? '')) {
          const next = text[i + 1] ?? '';
          if (next !== '\n') word += next; // backslash-newline is a line continuation
          i += 2;
          continue;
        }
        if (d === '$' || d === '`') {
          return {
            ok: false,
            error: `"${d}" at column ${i + 1} would be expanded by a shell, but commands run without a shell; write \\${d} or use single quotes, or use ["sh", "-c", "..."]`,
          };
        }
        word += d;
        i++;
      }
      if (!closed) return { ok: false, error: `unterminated double quote at column ${start + 1}` };
      inWord = true;
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= n) return { ok: false, error: 'command line ends with a lone backslash' };
      const next = text[i + 1] ?? '';
      if (next !== '\n') {
        word += next;
        inWord = true;
      }
      i += 2;
      continue;
    }
    if (operators.has(c) || c === '$' || c === '`') {
      return {
        ok: false,
        error: `unquoted "${c}" at column ${i + 1} is shell syntax, but ${useShell}`,
      };
    }
    if (c === '#' && !inWord) {
      return {
        ok: false,
        error: `unquoted "#" at column ${i + 1} starts a shell comment, but ${useShell}`,
      };
    }
    word += c;
    inWord = true;
    i++;
  }
  if (inWord) argv.push(word);
  return { ok: true, argv };
}

/** Quotes argv for display (and so that splitCommand(joinCommand(argv)) gives argv back). */
export function joinCommand(argv: readonly string[]): string {
  return argv
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}
