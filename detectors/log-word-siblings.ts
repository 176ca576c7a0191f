/**
 * Word siblings, for the template miner (log-templates.ts): messages that differ in one word
 * ("VM Started", "VM Paused") are separate templates until that place has shown `wordValues`
 * distinct words (user names); then they merge, the place a variable.
 */
import { generalize, hasWildcard } from './log-template-tokens.js';
import type { Cluster, TreeNode } from './log-template-tree.js';
import { WILDCARD } from './log-tokenizer.js';

/**
 * A template must keep some constant words: merging word siblings that leaves fewer than
 * MIN_CONSTANTS_SHARE of its tokens constant (say `<*> <*>` from `onStart <*>`, `onStop <*>`,
 * ...) would make event names variables.
 */
export const MIN_CONSTANTS_SHARE = 0.5;
function enoughConstants(tokens: readonly string[]): boolean {
  let constants = 0;
  for (const t of tokens) if (t !== WILDCARD) constants++;
  return constants >= 2 && constants >= MIN_CONSTANTS_SHARE * tokens.length;
}

/** Word siblings to merge: the group, the one they merge into, and its generalised tokens. */
export interface WordSiblingMerge {
  readonly group: Cluster[];
  readonly keep: Cluster;
  readonly tokens: string[];
}

/**
 * The clusters under `top` (the subtree of `fresh`'s token count) that differ from `fresh` in
 * exactly one constant word at one place, and agree elsewhere, once that place shows
 * `wordValues` distinct words and their merge keeps enough constants: the lowest such place's
 * group, with `fresh`, and its oldest cluster. Undefined when no place qualifies.
 */
export function wordSiblings(
  top: TreeNode,
  fresh: Cluster,
  wordValues: number,
): WordSiblingMerge | undefined {
  const n = fresh.tokens.length;
  const candidates: Cluster[] = [];
  const collect = (node: TreeNode): void => {
    for (const c of node.clusters) if (c !== fresh) candidates.push(c);
    for (const child of node.children.values()) collect(child);
  };
  collect(top);
  // One pass per candidate: the one place it differs from `fresh` in a constant word.
  const byPlace = new Map<number, { siblings: Cluster[]; values: Set<string> }>();
  for (const c of candidates) {
    let at = -1;
    for (let i = 0; i < n; i++) {
      const a = c.tokens[i] as string;
      const b = fresh.tokens[i] as string;
      if (a === b || a === WILDCARD || b === WILDCARD) continue;
      if (at >= 0 || hasWildcard(a) || hasWildcard(b)) {
        at = -1;
        break;
      }
      at = i;
    }
    if (at < 0) continue;
    let place = byPlace.get(at);
    if (place === undefined) {
      place = { siblings: [], values: new Set([fresh.tokens[at] as string]) };
      byPlace.set(at, place);
    }
    place.siblings.push(c);
    place.values.add(c.tokens[at] as string);
  }
  for (const [, { siblings, values }] of [...byPlace].sort((a, b) => a[0] - b[0])) {
    if (values.size < wordValues) continue;
    const group = [fresh, ...siblings];
    const keep = group.reduce((a, b) => (b.template.id < a.template.id ? b : a));
    const tokens = [...keep.tokens];
    for (const c of group) {
      for (let i = 0; i < n; i++) {
        tokens[i] = generalize(tokens[i] as string, c.tokens[i] as string);
      }
    }
    if (!enoughConstants(tokens)) continue;
    return { group, keep, tokens };
  }
  return undefined;
}

/**
 * The clusters under `top` that `fresh` covers: equal to it wherever it has a constant, with
 * plain words where it has a variable. A message whose word was masked after a learned variable
 * context (`invalid user <*>`; `unmasked` is the message before; `byValue` the places masked
 * only as known values, which cover no constant) starts a cluster that covers the ones started before the context was
 * learned (`user chen`, `user test9`); they merge into the oldest. Undefined when none.
 */
export function coveredSiblings(
  top: TreeNode,
  fresh: Cluster,
  unmasked: readonly string[],
  byValue: readonly number[] = [],
): WordSiblingMerge | undefined {
  const n = fresh.tokens.length;
  const covered: Cluster[] = [];
  const collect = (node: TreeNode): void => {
    for (const c of node.clusters) {
      if (c === fresh) continue;
      let all = true;
      let differs = false;
      for (let i = 0; i < n && all; i++) {
        const a = c.tokens[i] as string;
        const b = fresh.tokens[i] as string;
        if (a === b) continue;
        if (b !== WILDCARD) all = false;
        // A word masked only as a known value absorbs no constant there.
        else if (byValue.includes(i) && !hasWildcard(a)) all = false;
        // It must differ where the context masked a word: the rest is Drain's business.
        else if (
          unmasked[i] !== WILDCARD &&
          !hasWildcard(unmasked[i] as string) &&
          !hasWildcard(a)
        ) {
          differs = true;
        }
      }
      if (all && differs) covered.push(c);
    }
    for (const child of node.children.values()) collect(child);
  };
  collect(top);
  if (covered.length === 0) return undefined;
  const group = [fresh, ...covered];
  const keep = group.reduce((a, b) => (b.template.id < a.template.id ? b : a));
  return { group, keep, tokens: [...fresh.tokens] };
}
