/** "Did you mean …?" for misspelt keys and names. */

/** Levenshtein distance, with a transposition of neighbours counting as one edit. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    const row = d[i]!;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The closest candidate, if it is close enough to be a likely typo: at most a
 * third of the word's length in edits (at least one), compared case-insensitively.
 * A candidate that differs only in "-" versus "_", or that the word extends or
 * cuts short (three letters at least), always counts.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const folded = word.toLowerCase();
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const other = candidate.toLowerCase();
    const sameButSeparators = other.replaceAll('-', '_') === folded.replaceAll('-', '_');
    // "warning" for "warn": a known word the typed one merely extends (or cuts short).
    const extension =
      Math.min(other.length, folded.length) >= 3 &&
      (folded.startsWith(other) || other.startsWith(folded));
    const distance = sameButSeparators ? 0 : extension ? 1 : editDistance(folded, other);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** " (did you mean 'rise'?)" or "". */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}
