/**
 * Online log template mining: a Drain-style fixed-depth parse tree (He et al., ICWS 2017) with
 * default variable masking, stable template ids and an LRU cap.
 *
 * A message is split into tokens on whitespace (at most MAX_TOKENS; the rest is one variable);
 * each token is classified in one pass over its characters (no regexes on the hot path). Tokens
 * that carry a variable (a number, hex, IP and port, UUID, path, URL, e-mail, timestamp) are
 * masked to `<*>`; in `key=value` / `name[value]` tokens only the value is masked.
 *
 * The tree routes a message by its token count, then by its first `depth - 2` tokens (a masked
 * token routes to the wildcard child; a node with `maxChildren` children routes new tokens there
 * too). A message is looked up in its own leaf and in the leaves where some of those leading
 * tokens are wildcards. It joins the most similar cluster if at least `similarity` of its
 * non-wildcard tokens match; differing positions become `<*>` (the template is refined and keeps
 * its id). A constant word that differs from the cluster's constant word is no match: messages
 * that differ in one word ("VM Started", "VM Paused") are separate templates until that place
 * has shown `wordValues` distinct words (user names); then they merge, the place a variable.
 *
 * Variables learned from the stream, at first sight. When word siblings merge, the place became
 * a variable after the two tokens before it (`invalid user <*>`): they are learned as a variable
 * context. A word seen as the value of a `key=value` token (`root` of `user=root`) is learned as
 * a value. A message that joins no template has the plain words after a context, and the known
 * values, masked before it starts one, so the next event that names a user starts as
 * `invalid user <*>` at its first line instead of as one template per user name until
 * `wordValues` of them were seen; a template started so absorbs those it covers. A word masked
 * only as a known value never turns another template's constant into a variable (`Backup
 * failed` after `Backup completed`, `failed` a status value elsewhere, stays its own template).
 * Evidence comes from the stream, not from a list of words; both lists are bounded in count and
 * in length.
 *
 * A template is one or more clusters, one per token count, that share a canonical key: their
 * tokens with runs of wildcards collapsed. A variable that spans several tokens (a list of
 * files) thus keeps one template. When a refinement makes two templates' keys equal, the older
 * absorbs the younger, whose id becomes an alias.
 *
 * Bounded: MAX_TOKENS per message, MAX_CLUSTERS_PER_TEMPLATE, MAX_LEAF_CLUSTERS per leaf (a
 * full leaf folds a new message into its most similar cluster, as free text would otherwise
 * grow it without end), `maxTemplates` overall (least recently seen evicted).
 *
 * Pure: no I/O, no clock. The state encodes to JSON, with each cluster's tree path and creation
 * order, and decodes to a miner that behaves exactly as the one encoded.
 */

import { logTemplateOptions, type LogTemplateOptions } from './log-template-options.js';
import { decodeTemplates, encodeTemplateState, parseTemplateState } from './log-template-state.js';
import { canonicalKey, generalize, hasWildcard } from './log-template-tokens.js';
import { TemplateTree, type Cluster, type Template, type TreeNode } from './log-template-tree.js';
import { tokenize, WILDCARD } from './log-tokenizer.js';
import { coveredSiblings, wordSiblings, type WordSiblingMerge } from './log-word-siblings.js';

/** One mined template. */
export interface LogTemplate {
  /** Stable id: refinements and merges keep it. */
  readonly id: number;
  /** Tokens joined by single spaces, variables as `<*>`. */
  readonly template: string;
  /** Messages matched so far. */
  readonly count: number;
}

/** What `add` says about one message. */
export interface TemplateMatch {
  readonly id: number;
  readonly template: string;
  /** The message started a new template. */
  readonly created: boolean;
  /** The message refined the template (it had another text before): a template-changed event. */
  readonly changed: boolean;
  /** The text before the change, when `changed`. */
  readonly previous?: string;
}

/** Clusters (token counts) per template at most; the least used goes first. */
export const MAX_CLUSTERS_PER_TEMPLATE = 16;
/** Clusters per tree leaf at most; a full leaf folds new messages into its closest cluster. */
export const MAX_LEAF_CLUSTERS = 100;
/** Variable contexts kept per stream at most; the oldest learned goes first. */
export const MAX_CONTEXTS = 256;
/** Known values (words seen as the value of a key) kept per stream at most; the first seen go first. */
export const MAX_VALUES = 1024;

/** A word a context may mask: letters, digits, `_`, `-` and `.` only (no key, bracket or quote). */
function isPlainWord(t: string): boolean {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    const lower = c | 32;
    if (!(
      (lower >= 97 && lower <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 95 ||
      c === 45 ||
      c === 46
    ))
      return false;
  }
  return t.length > 0;
}

/** Learned values and context tokens longer than this are not kept (bounds the state). */
export const MAX_LEARNED_CHARS = 64;

const NONE: readonly number[] = [];

/** The context of place `i`: the two tokens before it, lower-case. */
const contextKey = (tokens: readonly string[], i: number): string =>
  `${(tokens[i - 2] as string).toLowerCase()} ${(tokens[i - 1] as string).toLowerCase()}`;

/** Whether `tokens` has a variable at each of `places`. */
const keepsWildcards = (tokens: readonly string[], places: readonly number[]): boolean =>
  places.every((i) => hasWildcard(tokens[i] as string));

const templateText = (t: Template): string => (t.clusters[0] as Cluster).key;
const templateCount = (t: Template): number => t.clusters.reduce((n, c) => n + c.count, 0);
const view = (t: Template): LogTemplate => ({
  id: t.id,
  template: templateText(t),
  count: templateCount(t),
});

/** An online template miner. One instance per stream (a service's logs). */
export class LogTemplateMiner {
  readonly options: LogTemplateOptions;
  private readonly tree: TemplateTree;
  private readonly byId = new Map<number, Template>();
  private readonly byKey = new Map<string, Template>();
  /** Merged-away id → surviving id. */
  private readonly aliases = new Map<number, number>();
  /** Tokens after which a plain word is a variable (insertion order: oldest first). */
  private readonly contexts = new Set<string>();
  /** Words seen as the value of a `key=value` token (insertion order: first seen first). */
  private readonly values = new Set<string>();
  private readonly seenValues: string[] = [];
  private readonly keepKeys: ReadonlySet<string> | undefined;
  private nextId = 1;
  private nextSeq = 1;
  private tick = 0;

  constructor(options: Partial<LogTemplateOptions> = {}) {
    this.options = logTemplateOptions(options);
    this.tree = new TemplateTree(this.options);
    this.keepKeys =
      this.options.templateKeys.length > 0 ? new Set(this.options.templateKeys) : undefined;
  }

  /** Templates kept now. */
  get size(): number {
    return this.byId.size;
  }

  /**
   * Mines one message: finds or creates its template and learns from it. The template text is
   * the canonical form (runs of variables collapsed to one `<*>`).
   */
  add(message: string): TemplateMatch {
    const seen = this.seenValues;
    if (seen.length > 0) seen.length = 0;
    let tokens = tokenize(message, seen, this.keepKeys);
    for (const v of seen) this.learnValue(v);
    this.tick++;
    const firstNewId = this.nextId;
    let found = this.takes(this.tree.lookup(tokens), tokens);
    let unmasked: string[] | undefined;
    let byValue: readonly number[] = NONE;
    if (found === undefined && (this.contexts.size > 0 || this.values.size > 0)) {
      const masked = this.maskLearned(tokens);
      if (masked.tokens !== tokens) {
        unmasked = tokens;
        tokens = masked.tokens;
        byValue = masked.byValue;
        found = this.takes(this.tree.lookup(tokens), tokens);
        // A word masked only because it was a value elsewhere never turns another template's
        // constant into a variable: `Backup failed` after `Backup completed` stays its own.
        if (found !== undefined && !keepsWildcards(found.tokens, byValue)) found = undefined;
      }
    }
    let leaf: TreeNode | undefined;
    if (found === undefined) {
      const path = this.tree.pathOf(tokens);
      leaf = this.tree.nodeAt(path);
      if (leaf.clusters.length >= MAX_LEAF_CLUSTERS)
        found = this.tree.closest(leaf.clusters, tokens);
      if (found === undefined) {
        const existing = this.byKey.get(canonicalKey(tokens));
        const fresh = this.create(tokens, path, leaf, existing, byValue);
        const [survivor, previous] = this.mergeWordSiblings(fresh, unmasked, byValue);
        const template = survivor.template;
        template.lastSeen = this.tick;
        const text = templateText(template);
        // A template that did not exist before this message is new, whatever merged into it.
        if (template.id >= firstNewId) {
          return { id: template.id, template: text, created: true, changed: false };
        }
        return previous === undefined || previous === text
          ? { id: template.id, template: text, created: false, changed: false }
          : { id: template.id, template: text, created: false, changed: true, previous };
      }
    }
    found.count++;
    const before = templateText(found.template);
    let refined = false;
    for (let i = 0; i < tokens.length; i++) {
      const t = found.tokens[i] as string;
      const g = generalize(t, tokens[i] as string);
      if (g !== t) {
        found.tokens[i] = g;
        refined = true;
      }
    }
    let template = refined ? this.rekey(found) : found.template;
    if (refined && unmasked !== undefined) {
      // The context's variable may cover clusters started before it was learned.
      const top = this.tree.lengthNode(found.tokens.length);
      const covered = top && coveredSiblings(top, found, unmasked, byValue);
      if (covered !== undefined) template = this.applyMerge(covered).template;
    }
    template.lastSeen = this.tick;
    const text = templateText(template);
    if (template.id >= firstNewId) {
      return { id: template.id, template: text, created: true, changed: false };
    }
    return text === before && template === found.template
      ? { id: template.id, template: text, created: false, changed: false }
      : { id: template.id, template: text, created: false, changed: true, previous: before };
  }

  /** The template a message would join, without learning; undefined when none. */
  match(message: string): LogTemplate | undefined {
    let tokens = tokenize(message, undefined, this.keepKeys);
    let found = this.takes(this.tree.lookup(tokens), tokens);
    if (found === undefined && (this.contexts.size > 0 || this.values.size > 0)) {
      const masked = this.maskLearned(tokens);
      tokens = masked.tokens;
      found = this.takes(this.tree.lookup(tokens), tokens);
      if (found !== undefined && !keepsWildcards(found.tokens, masked.byValue)) found = undefined;
    }
    return found ? view(found.template) : this.byKeyView(canonicalKey(tokens));
  }

  /**
   * The cluster, unless a place it holds only because a known value started it (`soft`) meets
   * a word that is no known value: `Backup <*> on node`, started by `failed`, does not take
   * `completed`.
   */
  private takes(found: Cluster | undefined, tokens: readonly string[]): Cluster | undefined {
    if (found?.soft === undefined) return found;
    for (const i of found.soft) {
      const t = tokens[i] as string;
      if (!hasWildcard(t) && !this.values.has(t)) return undefined;
    }
    return found;
  }

  /** A word seen as a key's value: kept, up to MAX_VALUES (the first seen go first). */
  private learnValue(v: string): void {
    if (v.length < 2 || v.length > MAX_LEARNED_CHARS || this.values.has(v) || !isPlainWord(v)) {
      return;
    }
    this.values.add(v);
    if (this.values.size > MAX_VALUES) {
      this.values.delete(this.values.values().next().value as string);
    }
  }

  /**
   * The tokens with each plain word after a learned variable context, or that is a known
   * value, masked; `byValue` lists the places masked only as known values.
   */
  private maskLearned(tokens: string[]): { tokens: string[]; byValue: number[] } {
    let out = tokens;
    const byValue: number[] = [];
    for (let i = 1; i < tokens.length; i++) {
      const t = tokens[i] as string;
      if (t === WILDCARD || !isPlainWord(t)) continue;
      const context = i >= 2 && this.contexts.has(contextKey(tokens, i));
      if (!context && !this.values.has(t)) continue;
      if (!context) byValue.push(i);
      if (out === tokens) out = [...tokens];
      out[i] = WILDCARD;
    }
    return { tokens: out, byValue };
  }

  /**
   * After a merge made places variables: the two constant tokens before each (`invalid user`
   * of `invalid user <*>`) are a context, case aside.
   */
  private learnContexts(before: readonly string[], after: readonly string[]): void {
    for (let i = 2; i < after.length; i++) {
      if (after[i] !== WILDCARD || before[i] === WILDCARD) continue;
      const a = after[i - 2] as string;
      const b = after[i - 1] as string;
      if (hasWildcard(a) || hasWildcard(b)) continue;
      if (a.length > MAX_LEARNED_CHARS || b.length > MAX_LEARNED_CHARS) continue;
      const key = contextKey(after, i);
      this.contexts.delete(key);
      this.contexts.add(key);
      if (this.contexts.size > MAX_CONTEXTS) {
        this.contexts.delete(this.contexts.values().next().value as string);
      }
    }
  }

  /** The current template of an id (following merges); undefined when evicted or unknown. */
  get(id: number): LogTemplate | undefined {
    const t = this.byId.get(this.resolve(id));
    return t && view(t);
  }

  /** The id a (possibly merged-away) id now lives under. */
  resolve(id: number): number {
    let cur = id;
    for (let hops = 0; hops < 64; hops++) {
      const next = this.aliases.get(cur);
      if (next === undefined) return cur;
      cur = next;
    }
    return cur;
  }

  /** All templates kept, oldest id first. */
  templates(): LogTemplate[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id).map(view);
  }

  encode(): Uint8Array {
    return encodeTemplateState({
      nextId: this.nextId,
      tick: this.tick,
      nextSeq: this.nextSeq,
      templates: this.byId.values(),
      aliases: this.aliases.entries(),
      contexts: this.contexts,
      values: this.values,
    });
  }

  /** Restores a state written by `encode`; throws a RangeError on anything else. */
  static decode(bytes: Uint8Array, options: Partial<LogTemplateOptions> = {}): LogTemplateMiner {
    const raw = parseTemplateState(bytes);
    const miner = new LogTemplateMiner(options);
    miner.nextId = raw.nextId;
    miner.nextSeq = raw.nextSeq;
    miner.tick = raw.tick;
    const all: Cluster[] = [];
    for (const template of decodeTemplates(raw)) {
      for (const cluster of template.clusters) {
        miner.byKey.set(cluster.key, template);
        all.push(cluster);
      }
      miner.byId.set(template.id, template);
    }
    // Each leaf holds its clusters in creation order, as the miner that was encoded.
    for (const c of all.sort((a, b) => a.seq - b.seq)) miner.tree.nodeAt(c.path).clusters.push(c);
    for (const [from, to] of raw.aliases) miner.aliases.set(from, to);
    for (const c of raw.contexts ?? []) miner.contexts.add(c);
    for (const v of raw.values ?? []) miner.values.add(v);
    return miner;
  }

  private byKeyView(key: string): LogTemplate | undefined {
    const t = this.byKey.get(key);
    return t && view(t);
  }

  /** A new cluster in `leaf`, under the template with the same key or a new one. */
  private create(
    tokens: string[],
    path: readonly string[],
    leaf: TreeNode,
    existing: Template | undefined,
    soft: readonly number[],
  ): Cluster {
    const template = existing ?? { id: this.nextId++, clusters: [], lastSeen: this.tick };
    const cluster: Cluster = {
      tokens,
      count: 1,
      key: canonicalKey(tokens),
      template,
      path,
      seq: this.nextSeq++,
      ...(soft.length > 0 ? { soft: [...soft] } : {}),
    };
    leaf.clusters.push(cluster);
    this.join(template, cluster, existing === undefined);
    return cluster;
  }

  /** Puts a cluster in a template; a new template is indexed (and the cap enforced). */
  private join(template: Template, cluster: Cluster, isNew: boolean): void {
    template.clusters.push(cluster);
    cluster.template = template;
    if (isNew) {
      this.byId.set(template.id, template);
      this.byKey.set(cluster.key, template);
      if (this.byId.size > this.options.maxTemplates) this.evict();
    } else this.trim(template, cluster);
  }

  /** Keeps a template to MAX_CLUSTERS_PER_TEMPLATE clusters: the least used go, never `keep`. */
  private trim(template: Template, keep: Cluster): void {
    while (template.clusters.length > MAX_CLUSTERS_PER_TEMPLATE) {
      const victim = template.clusters
        .filter((c) => c !== keep)
        .reduce((a, b) => (b.count < a.count ? b : a));
      template.clusters.splice(template.clusters.indexOf(victim), 1);
      this.tree.unlink(victim);
    }
  }

  /**
   * After a cluster was refined: re-index it. A template's clusters share one key, so a cluster
   * whose key now differs from its siblings' leaves its template for the one with its new key
   * (or a new one); a template whose key now equals an older one's is absorbed by the older.
   */
  private rekey(cluster: Cluster): Template {
    const own = cluster.template;
    const oldKey = cluster.key;
    cluster.key = canonicalKey(cluster.tokens);
    if (cluster.key === oldKey) return own;
    const other = this.byKey.get(cluster.key);
    if (own.clusters.length > 1) {
      own.clusters.splice(own.clusters.indexOf(cluster), 1);
      const target = other ?? { id: this.nextId++, clusters: [], lastSeen: this.tick };
      this.join(target, cluster, other === undefined);
      return target;
    }
    if (this.byKey.get(oldKey) === own) this.byKey.delete(oldKey);
    if (other === undefined || other === own) {
      this.byKey.set(cluster.key, own);
      return own;
    }
    const keep = other.id < own.id ? this.absorb(other, own) : this.absorb(own, other);
    this.trim(keep, cluster);
    return keep;
  }

  /** Moves every cluster of `drop` (same key as `keep`) into `keep`; `drop`'s id becomes an alias. */
  private absorb(keep: Template, drop: Template): Template {
    for (const c of drop.clusters) {
      c.template = keep;
      keep.clusters.push(c);
    }
    drop.clusters = [];
    this.byKey.set(templateText(keep), keep);
    keep.lastSeen = Math.max(keep.lastSeen, drop.lastSeen);
    this.byId.delete(drop.id);
    this.aliases.set(drop.id, keep.id);
    return keep;
  }

  /**
   * After a new cluster started: the clusters of its token count that differ from it in exactly
   * one constant word at one place, and agree elsewhere, are one template with a variable there
   * once they show `wordValues` distinct words. They merge into the oldest, which moves to the
   * leaf its generalised tokens route to. Returns the survivor and its text before the merge.
   */
  private mergeWordSiblings(
    fresh: Cluster,
    unmasked: readonly string[] | undefined,
    byValue: readonly number[],
  ): [Cluster, string | undefined] {
    const top = this.tree.lengthNode(fresh.tokens.length);
    if (top === undefined) return [fresh, undefined];
    const merge =
      wordSiblings(top, fresh, this.options.wordValues) ??
      (unmasked && coveredSiblings(top, fresh, unmasked, byValue));
    if (merge === undefined) return [fresh, undefined];
    const previous = templateText(merge.keep.template);
    return [this.applyMerge(merge), previous];
  }

  /** Merges a group of clusters into its `keep`, which moves where its new tokens route. */
  private applyMerge(merge: WordSiblingMerge): Cluster {
    const { group, keep, tokens } = merge;
    this.learnContexts(keep.tokens, tokens);
    for (const c of group) {
      if (c === keep) continue;
      keep.count += c.count;
      this.dropCluster(c, keep.template);
    }
    // The merged cluster lives where its generalised tokens route.
    this.tree.unlink(keep);
    const path = this.tree.pathOf(tokens);
    const moved: Cluster = { ...keep, tokens, path };
    const at = keep.template.clusters.indexOf(keep);
    keep.template.clusters[at] = moved;
    this.tree.nodeAt(path).clusters.push(moved);
    // Leaf order follows creation order (decode rebuilds it so).
    this.tree.nodeAt(path).clusters.sort((a, b) => a.seq - b.seq);
    this.rekey(moved);
    return moved;
  }

  /**
   * Removes a cluster absorbed by a sibling. Its template, left empty, becomes an alias of
   * `into`; one that keeps other clusters (other token counts) stays as it is.
   */
  private dropCluster(c: Cluster, into: Template): void {
    this.tree.unlink(c);
    const own = c.template;
    own.clusters.splice(own.clusters.indexOf(c), 1);
    if (own === into || own.clusters.length > 0) return;
    if (this.byKey.get(c.key) === own) this.byKey.delete(c.key);
    into.lastSeen = Math.max(into.lastSeen, own.lastSeen);
    this.byId.delete(own.id);
    this.aliases.set(own.id, into.id);
  }

  /** Drops the least recently seen tenth of the templates (amortised O(1) per message). */
  private evict(): void {
    const drop = Math.max(1, Math.floor(this.options.maxTemplates / 10));
    const victims = [...this.byId.values()].sort((a, b) => a.lastSeen - b.lastSeen).slice(0, drop);
    for (const v of victims) {
      this.byId.delete(v.id);
      for (const c of v.clusters) {
        if (this.byKey.get(c.key) === v) this.byKey.delete(c.key);
        this.tree.unlink(c);
      }
    }
    for (const [from, to] of this.aliases) {
      if (!this.byId.has(this.resolve(to))) this.aliases.delete(from);
    }
  }
}
