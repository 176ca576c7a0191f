/**
 * Operations on a template's tokens (masked tokens and `<*>` wildcards) for the template miner
 * (log-templates.ts): the key a token routes by in the parse tree, the most specific token
 * covering two, and a template's canonical (length-free) key.
 */
import { WILDCARD } from './log-tokenizer.js';

export const hasWildcard = (t: string): boolean => t.includes(WILDCARD);

/** End of a `key=` / `key:` prefix (index after the separator), or -1. */
function keyEnd(t: string): number {
  for (let i = 1; i < t.length - 1; i++) {
    const c = t.charCodeAt(i);
    if (c === 61 || c === 58) return t.startsWith(WILDCARD) ? -1 : i + 1;
    if (c === 60 /* < */) return -1;
  }
  return -1;
}

/** The tree routes a token by its key (`key=`) if it has one, a variable to the wildcard child. */
export function routeKey(t: string): string {
  const end = keyEnd(t);
  if (end > 0) return t.slice(0, end);
  return hasWildcard(t) ? WILDCARD : t;
}

/** The most specific token covering both: itself when equal, `key=<*>` when keys agree, else `<*>`. */
export function generalize(a: string, b: string): string {
  if (a === b || a === WILDCARD) return a;
  const end = keyEnd(a);
  if (end > 0 && b.length > end && b.startsWith(a.slice(0, end))) return a.slice(0, end) + WILDCARD;
  return WILDCARD;
}

/** The template's tokens with runs of wildcard-only tokens collapsed: its length-free identity. */
export function canonicalKey(tokens: readonly string[]): string {
  let key = '';
  let lastWild = false;
  for (const t of tokens) {
    const wild = t === WILDCARD;
    if (wild && lastWild) continue;
    key += key.length === 0 ? t : ' ' + t;
    lastWild = wild;
  }
  return key;
}
