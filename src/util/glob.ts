/**
 * `*` globs, case-insensitive and anchored: `*error*` matches `http_error_ratio`. `*` stands for
 * any run of characters (none included); every other character stands for itself (there is no
 * escape: a literal `*` cannot be matched on its own). Shared by the correlator's signal kinds,
 * remediation hook matching and detect's suppressions, which run in the detect and log hot loops.
 *
 * Matching is linear, never backtracking: the pattern is split on `*` once, the first part must
 * be a prefix of the name, the last a suffix, and the parts between are found left to right
 * with `indexOf`, each as early as it can be (taking the earliest place for a part never costs
 * a later one its match). Both sides are compared lower-cased (`String#toLowerCase`). The split,
 * lower-cased parts are cached (bounded, so patterns from the API cannot grow it without end).
 */
const MAX_CACHED = 2000;
const compiled = new Map<string, Glob>();

export interface Glob {
  /** Whether `name` matches, case-insensitively. */
  test(name: string): boolean;
  /**
   * The same for a name already lower-cased with `toLowerCase()`: a caller that matches one
   * name against many globs lowers it once.
   */
  testLower(lowered: string): boolean;
}

/** Whether `name` (lower-cased) matches the lower-cased `parts` of a pattern split on `*`. */
function matchParts(parts: readonly string[], name: string): boolean {
  const first = parts[0] ?? '';
  if (parts.length === 1) return name === first;
  const last = parts[parts.length - 1] ?? '';
  // The prefix and the suffix may not overlap: together they need this many characters.
  if (first.length + last.length > name.length) return false;
  if (!name.startsWith(first) || !name.endsWith(last)) return false;
  const end = name.length - last.length;
  let at = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    if (part === '') continue;
    const found = name.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/** `pattern` compiled: its lower-cased parts between `*`s, cached. */
export function glob(pattern: string): Glob {
  let g = compiled.get(pattern);
  if (!g) {
    const parts = pattern.toLowerCase().split('*');
    g = {
      test: (name) => matchParts(parts, name.toLowerCase()),
      testLower: (lowered) => matchParts(parts, lowered),
    };
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, g);
  }
  return g;
}

/** A `*` glob, case-insensitive, anchored. */
export function globMatches(pattern: string, name: string): boolean {
  return glob(pattern).test(name);
}
