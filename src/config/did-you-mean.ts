/**
 * "Did you mean" for misspelt config keys and names: the known name within edit distance 2,
 * or the one that differs only in case and underscores (`bodyLimitBytes` for
 * `body_limit_bytes`).
 */

/** Levenshtein distance, giving up (returning max + 1) once it exceeds `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    prev = row;
  }
  return prev[b.length] ?? max + 1;
}

const folded = (s: string): string => s.toLowerCase().replaceAll('_', '');

/** The known name `word` most likely meant, or undefined. */
export function closest(word: string, known: readonly string[]): string | undefined {
  const sameLetters = known.find((k) => folded(k) === folded(word));
  if (sameLetters !== undefined) return sameLetters;
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(word, k, 2);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean "x"?)`, or nothing. */
export function didYouMean(word: string, known: readonly string[]): string {
  const match = closest(word, known);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}
