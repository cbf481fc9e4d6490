/**
 * "Did you mean …?" for misspelt keys and names. Bounded: only words and candidates of
 * at most MAX_SUGGEST_LENGTH characters are compared, only against at most
 * MAX_SUGGEST_CANDIDATES candidates, and the distance stops counting past the limit,
 * so a 5 MB value or 100,000 unknown keys cost no more than short typos do.
 */

/** Longer words are not typos of a key: no suggestion (and no quadratic work). */
export const MAX_SUGGEST_LENGTH = 64;
/** A longer list of candidates is not a list an operator picks from by typing. */
export const MAX_SUGGEST_CANDIDATES = 256;

/**
 * Levenshtein distance, with a transposition of neighbours counting as one edit.
 * With `max`, any distance above it is returned as max + 1, and the work stops as
 * soon as every path is past it (rows of the table whose minimum exceeds it).
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const cols = b.length + 1;
  // Three rolling rows: two back for the transposition, one back, and this one.
  let before = new Array<number>(cols).fill(0);
  let previous = Array.from({ length: cols }, (_, j) => j);
  let current = new Array<number>(cols).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
      if (best < rowMin) rowMin = best;
    }
    if (rowMin > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  const distance = previous[b.length]!;
  return distance > max ? max + 1 : distance;
}

/**
 * The closest candidate, if it is close enough to be a likely typo: at most a
 * third of the word's length in edits (at least one), compared case-insensitively.
 * A candidate that differs only in "-" versus "_", or that the word extends or
 * cuts short (three letters at least), always counts.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > MAX_SUGGEST_LENGTH) return undefined;
  const folded = word.toLowerCase();
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  let compared = 0;
  for (const candidate of candidates) {
    if (++compared > MAX_SUGGEST_CANDIDATES) return undefined;
    if (candidate === word || candidate.length > MAX_SUGGEST_LENGTH) continue;
    const other = candidate.toLowerCase();
    const sameButSeparators = other.replaceAll('-', '_') === folded.replaceAll('-', '_');
    // "warning" for "warn": a known word the typed one merely extends (or cuts short).
    const extension =
      Math.min(other.length, folded.length) >= 3 &&
      (folded.startsWith(other) || other.startsWith(folded));
    const distance = sameButSeparators
      ? 0
      : extension
        ? 1
        : editDistance(folded, other, Math.min(limit, bestDistance));
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
