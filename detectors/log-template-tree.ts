/**
 * The template miner's parse tree (log-templates.ts; Drain, He et al., ICWS 2017): it routes a
 * message by its token count, then by its first `depth - 2` tokens' route keys, to a leaf of
 * clusters, and finds the cluster a message joins there.
 */
import type { LogTemplateOptions } from './log-template-options.js';
import { hasWildcard, routeKey } from './log-template-tokens.js';
import { WILDCARD } from './log-tokenizer.js';

/** One Drain cluster: the template of the messages with one token count. */
export interface Cluster {
  tokens: string[];
  count: number;
  key: string;
  template: Template;
  /** Route keys from the root to its leaf (token count, then prefix keys). */
  readonly path: readonly string[];
  /** Creation order: restores each leaf's order on decode. */
  readonly seq: number;
  /**
   * Places whose variable came only from a known value when the cluster started: they take a
   * variable or another known value, not any word (log-templates.ts). Absent when none.
   */
  readonly soft?: readonly number[];
}

/** A template: clusters (one per token count) that share one canonical key, under one id. */
export interface Template {
  id: number;
  clusters: Cluster[];
  lastSeen: number;
}

export interface TreeNode {
  readonly children: Map<string, TreeNode>;
  clusters: Cluster[];
}

const newNode = (): TreeNode => ({ children: new Map(), clusters: [] });

/** The parse tree of one miner: its clusters by route. */
/**
 * Whether message token `m` (not `<*>`) may join template token `t` (not `<*>`, not equal):
 * a partial variable (`(uid=<*>)`, `rhost=<*>`) takes a token of its shape with a non-empty
 * value there; two constant words, or a constant and a partial variable, are different events
 * (`by (uid=0)` is not `by LOGIN(uid=0)`, `rhost=` with no value is not `rhost=<*>`).
 */
function fits(t: string, m: string): boolean {
  const at = t.indexOf(WILDCARD);
  if (at < 0) return false;
  const after = at + WILDCARD.length;
  if (t.indexOf(WILDCARD, after) >= 0) return hasWildcard(m);
  const suffix = t.length - after;
  return (
    m.length > at + suffix &&
    m.startsWith(t.slice(0, at)) &&
    m.endsWith(t.slice(after)) &&
    !hasWildcard(m.slice(0, at)) &&
    !hasWildcard(m.slice(m.length - suffix))
  );
}

export class TemplateTree {
  private readonly root = newNode();
  private readonly options: Pick<LogTemplateOptions, 'depth' | 'similarity' | 'maxChildren'>;

  constructor(options: Pick<LogTemplateOptions, 'depth' | 'similarity' | 'maxChildren'>) {
    this.options = options;
  }

  /** The subtree of the messages with `n` tokens; undefined when there is none. */
  lengthNode(n: number): TreeNode | undefined {
    return this.root.children.get(String(n));
  }

  /** The route keys of a message: its token count, then its leading tokens' keys. */
  pathOf(tokens: readonly string[]): string[] {
    const path = [String(tokens.length)];
    let node = this.root.children.get(path[0] as string);
    const prefix = Math.min(this.options.depth - 2, tokens.length);
    for (let i = 0; i < prefix; i++) {
      let key = routeKey(tokens[i] ?? '');
      // A full node routes new tokens to its wildcard child.
      if (
        node !== undefined &&
        !node.children.has(key) &&
        node.children.size >= this.options.maxChildren
      ) {
        key = WILDCARD;
      }
      path.push(key);
      node = node?.children.get(key);
    }
    return path;
  }

  /** The node at a path, created as needed (ignoring `maxChildren`: the path decided that). */
  nodeAt(path: readonly string[]): TreeNode {
    let node = this.root;
    for (const key of path) {
      let next = node.children.get(key);
      if (next === undefined) {
        next = newNode();
        node.children.set(key, next);
      }
      node = next;
    }
    return node;
  }

  /**
   * The cluster a message joins: the best match in its own leaf, or else in the leaves where
   * some of its leading tokens are wildcards (a merged user name, say). Undefined when none.
   */
  lookup(tokens: readonly string[]): Cluster | undefined {
    const top = this.root.children.get(String(tokens.length));
    if (top === undefined) return undefined;
    return this.lookupFrom(top, 0, Math.min(this.options.depth - 2, tokens.length), tokens);
  }

  private lookupFrom(
    node: TreeNode,
    level: number,
    prefix: number,
    tokens: readonly string[],
  ): Cluster | undefined {
    if (level === prefix) return this.bestMatch(node.clusters, tokens);
    const own = node.children.get(routeKey(tokens[level] ?? ''));
    const found = own && this.lookupFrom(own, level + 1, prefix, tokens);
    if (found !== undefined) return found;
    const wild = node.children.get(WILDCARD);
    return wild !== undefined && wild !== own
      ? this.lookupFrom(wild, level + 1, prefix, tokens)
      : undefined;
  }

  /**
   * The most similar cluster, when similar enough; ties go to the more general. Similarity is
   * the share of the cluster's non-wildcard tokens the message has equal. A cluster whose
   * constant word differs from the message's constant word at some place is no match.
   */
  private bestMatch(clusters: readonly Cluster[], tokens: readonly string[]): Cluster | undefined {
    let best: Cluster | undefined;
    let bestSim = -1;
    let bestWild = -1;
    const n = tokens.length;
    for (const c of clusters) {
      let same = 0;
      let wild = 0;
      let words = 0;
      for (let i = 0; i < n; i++) {
        const t = c.tokens[i] as string;
        const m = tokens[i] as string;
        if (t === m) same++;
        else if (t === WILDCARD) wild++;
        else if (m !== WILDCARD && !fits(t, m)) words++;
      }
      if (words > 0) continue;
      const sim = n === wild ? 0 : same / (n - wild);
      if (sim > bestSim || (sim === bestSim && wild > bestWild)) {
        best = c;
        bestSim = sim;
        bestWild = wild;
      }
    }
    return best !== undefined && bestSim >= this.options.similarity ? best : undefined;
  }

  /** A full leaf's closest cluster for a message, whatever its similarity (Drain's fallback). */
  closest(clusters: readonly Cluster[], tokens: readonly string[]): Cluster | undefined {
    let best: Cluster | undefined;
    let bestSame = -1;
    for (const c of clusters) {
      let same = 0;
      for (let i = 0; i < tokens.length; i++) if (c.tokens[i] === tokens[i]) same++;
      if (same > bestSame) {
        best = c;
        bestSame = same;
      }
    }
    return best;
  }

  /** Takes a cluster out of its leaf, and prunes the nodes its removal left empty. */
  unlink(c: Cluster): void {
    const nodes: TreeNode[] = [this.root];
    for (const key of c.path) {
      const next = nodes[nodes.length - 1]?.children.get(key);
      if (next === undefined) return;
      nodes.push(next);
    }
    const leaf = nodes[nodes.length - 1] as TreeNode;
    const i = leaf.clusters.indexOf(c);
    if (i >= 0) leaf.clusters.splice(i, 1);
    for (let d = nodes.length - 1; d > 0; d--) {
      const node = nodes[d] as TreeNode;
      if (node.clusters.length > 0 || node.children.size > 0) break;
      (nodes[d - 1] as TreeNode).children.delete(c.path[d - 1] as string);
    }
  }
}
