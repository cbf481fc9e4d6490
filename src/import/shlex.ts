/**
 * Python's shlex.split(s) (POSIX mode, no comments), which anycast-healthchecker applies
 * to check_cmd and bird_reconfigure_cmd before running them without a shell: words split
 * at whitespace; '…' literal; "…" with backslash escaping only `"` and `\`; outside
 * quotes a backslash takes the next character literally; quoted parts join the word they
 * touch. Nothing else is special: `|`, `;`, `&`, `$`, `#` reach the program as written.
 */

export class ShlexError extends Error {
  readonly kind = 'import.shlex_syntax';
  constructor(message: string) {
    super(message);
    this.name = 'ShlexError';
  }
}

export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShlexError('No closing quotation');
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      for (;;) {
        if (i >= text.length) throw new ShlexError('No closing quotation');
        const d = text[i] ?? '';
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < text.length) {
          const e = text[i + 1] ?? '';
          word += e === '"' || e === '\\' ? e : `\\${e}`;
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new ShlexError('No escaped character');
      word += text[i + 1] ?? '';
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
