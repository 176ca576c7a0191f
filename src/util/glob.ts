/**
 * `*` globs, case-insensitive and anchored: `*error*` matches `http_error_ratio`. Every other
 * character stands for itself. Shared by the correlator's signal kinds, remediation hook matching
 * and detect's suppressions; compiled patterns are cached (bounded, so patterns from the API
 * cannot grow it without end).
 */
const MAX_CACHED = 2000;
const compiled = new Map<string, RegExp>();

/** The anchored, case-insensitive regular expression of `pattern`. */
export function globRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 'i');
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** A `*` glob, case-insensitive, anchored. */
export function globMatches(pattern: string, name: string): boolean {
  return globRegExp(pattern).test(name);
}
