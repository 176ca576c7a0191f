/**
 * The `*` glob (src/util/glob.ts) every caller shares: suppressions in the detect and log hot
 * loops, the correlator's signal kinds and remediation hook matching. It matches in linear
 * time: a pattern from the API with many stars cannot stall a worker (a backtracking regular
 * expression took 22 s for the pattern below on 60 `a`s).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { glob, globMatches } from '../../src/util/glob.js';

/** The plain definition, by recursion over both strings (exponential, for small inputs only). */
function reference(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  const at = (i: number, j: number): boolean => {
    if (i === p.length) return j === n.length;
    if (p[i] === '*') return at(i + 1, j) || (j < n.length && at(i, j + 1));
    return j < n.length && p[i] === n[j] && at(i + 1, j + 1);
  };
  return at(0, 0);
}

describe('glob', () => {
  it.each([
    ['*error*', 'http_error_ratio', true],
    ['*ERROR*', 'HTTP_Error_Ratio', true],
    ['http_*_ratio', 'http_error_ratio', true],
    ['http_*_ratio', 'http_ratio', false],
    ['*_rps', 'api_rps', true],
    ['*_rps', 'api_rps_total', false],
    ['log_*', 'log_new_template', true],
    ['log_new_template', 'log_new_template', true],
    ['log_new_template', 'log_new_templates', false],
    ['http_error_ratio{*path="/login"*}', 'http_error_ratio{path="/login",service="auth"}', true],
    ['http_error_ratio{*path="/login"*}', 'http_error_ratio{path="/logout",service="auth"}', false],
    ['*', '', true],
    ['**', 'anything', true],
    ['', '', true],
    ['', 'x', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['ab*bc', 'abc', false],
    ['ab*bc', 'abbc', true],
    ['*a*b*', 'ba', false],
    ['x.y', 'xzy', false],
    ['(a|b)', '(a|b)', true],
    ['a+?', 'a+?', true],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(globMatches(pattern, name)).toBe(expected);
    expect(glob(pattern).testLower(name.toLowerCase())).toBe(expected);
  });

  it('answers a pattern that makes a regular expression backtrack at once', () => {
    const pattern = '*a*a*a*a*a*a*a*b';
    expect(globMatches(pattern, 'a'.repeat(60))).toBe(false);
    expect(globMatches(pattern, `${'a'.repeat(60)}b`)).toBe(true);
  });

  it('agrees with the plain definition on random small patterns and names', () => {
    const alphabet = fc.constantFrom('a', 'b', 'A', '*', '_', '.');
    const text = fc.constantFrom('a', 'b', 'A', 'B', '_', '.', '*');
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: text, maxLength: 10 }),
        (pattern, name) => {
          expect(globMatches(pattern, name)).toBe(reference(pattern, name));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
