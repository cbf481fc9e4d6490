/**
 * Finding ExaBGP healthcheck command lines: in an exabgp.conf (`process NAME { run …; }`
 * blocks, ExaBGP 3.4 and 4.x syntax) or on our own command line.
 *
 * exabgp.conf is read only as far as needed: `#` comments to the end of the line, quoted
 * strings ("…" or '…') that may hold `;`, `{` or `}`, and `process NAME {` blocks at any
 * depth (4.x puts them at the top level, 3.4 inside `group`). A `run` value is split
 * into argv with shlex's rules (ExaBGP runs it without a shell, its tokenizer keeping
 * quoted words whole). A healthcheck line is one whose argv has the word `healthcheck`
 * (`python3 -m exabgp healthcheck …`, `exabgp healthcheck …`, `exabgp --run healthcheck
 * …`) or a program named healthcheck or healthcheck.py (`/etc/exabgp/processes/
 * healthcheck.py …`); its options are the words after it.
 */
import { basename } from 'node:path';
import { ShlexError, shlexSplit } from './shlex.js';

export interface HealthcheckLine {
  /** "exabgp.conf:12" or "command line". */
  readonly where: string;
  /** The process's name in exabgp.conf. */
  readonly process?: string;
  /** The run line as written (for the output's comments). */
  readonly text: string;
  /** The healthcheck's options: the words after the healthcheck program. */
  readonly args: readonly string[];
}

export interface FoundLines {
  readonly lines: readonly HealthcheckLine[];
  /** Processes that run something else, or whose run line cannot be read. */
  readonly others: readonly { readonly where: string; readonly message: string }[];
}

/** Index of the healthcheck program in argv, or -1. */
export function healthcheckIndex(argv: readonly string[]): number {
  return argv.findIndex(
    (word) => word === 'healthcheck' || /^healthcheck(?:\.py)?$/.test(basename(word)),
  );
}

/**
 * The options of a healthcheck given on our command line: the options alone
 * (`--cmd … --ip …`), a whole command (`python3 -m exabgp healthcheck --cmd …`), or a
 * run line as one argument (`"run /usr/bin/healthcheck.py --cmd '…';"`).
 * Undefined when it is none of these.
 */
export function argsFromCommandLine(words: readonly string[]): readonly string[] | undefined {
  let argv = [...words];
  if (argv.length === 1 && /\s/.test(argv[0] ?? '')) {
    let text = (argv[0] ?? '').trim();
    if (text.startsWith('run ')) text = text.slice(4);
    if (text.endsWith(';')) text = text.slice(0, -1);
    argv = shlexSplit(text);
  }
  if (argv.length === 0 || argv[0]?.startsWith('-') === true) return argv;
  const at = healthcheckIndex(argv);
  return at < 0 ? undefined : argv.slice(at + 1);
}

interface Token {
  readonly text: string;
  readonly line: number;
  /** A quoted string (never a keyword or brace). */
  readonly quoted: boolean;
}

/** exabgp.conf's words, braces and semicolons, with line numbers; comments dropped. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      tokens.push({ text: c, line, quoted: false });
      i++;
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      const stop = end < 0 ? text.length : end;
      const body = text.slice(i + 1, stop);
      tokens.push({ text: `${c}${body}${c}`, line, quoted: true });
      line += body.split('\n').length - 1;
      i = stop + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s{};#"']/.test(text[j] ?? '')) j++;
      // A quote inside a word (--cmd="a b") belongs to it, as shlex reads it.
      while (j < text.length && (text[j] === '"' || text[j] === "'")) {
        const end = text.indexOf(text[j] ?? '', j + 1);
        j = end < 0 ? text.length : end + 1;
        while (j < text.length && !/[\s{};#"']/.test(text[j] ?? '')) j++;
      }
      tokens.push({ text: text.slice(i, j), line, quoted: false });
      i = j;
    }
  }
  return tokens;
}

/** Every `process NAME { … run …; … }` of an exabgp.conf whose run line is a healthcheck. */
export function findHealthcheckLines(path: string, text: string): FoundLines {
  const tokens = tokenize(text);
  const lines: HealthcheckLine[] = [];
  const others: { where: string; message: string }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const name = tokens[i + 1];
    if (token?.text !== 'process' || token.quoted || name === undefined) continue;
    if (tokens[i + 2]?.text !== '{') continue;
    let depth = 0;
    let j = i + 2;
    for (; j < tokens.length; j++) {
      const t = tokens[j];
      if (t === undefined || t.quoted) continue;
      if (t.text === '{') depth++;
      else if (t.text === '}') {
        depth--;
        if (depth === 0) break;
      } else if (depth === 1 && t.text === 'run') {
        let k = j + 1;
        while (k < tokens.length && (tokens[k]?.quoted === true || tokens[k]?.text !== ';')) k++;
        const words = tokens.slice(j + 1, k).map((w) => w.text);
        const where = `${path}:${t.line}`;
        const runText = words.join(' ');
        let argv: string[];
        try {
          argv = shlexSplit(runText);
          // The whole command quoted as one word: its words are inside.
          if (argv.length === 1 && /\s/.test(argv[0] ?? '')) argv = shlexSplit(argv[0] ?? '');
        } catch (error) {
          if (!(error instanceof ShlexError)) throw error;
          others.push({
            where,
            message: `process ${name.text}: cannot split its run line: ${error.message}`,
          });
          j = k;
          continue;
        }
        const at = healthcheckIndex(argv);
        if (at < 0)
          others.push({
            where,
            message: `process ${name.text} runs ${argv[0] ?? 'nothing'}, not ExaBGP's healthcheck: left as it is`,
          });
        else
          lines.push({
            where,
            process: name.text,
            text: `run ${runText};`,
            args: argv.slice(at + 1),
          });
        j = k;
      }
    }
    i = j;
  }
  return { lines, others };
}
