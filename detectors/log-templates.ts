/**
 * Online log template mining: a Drain-style fixed-depth parse tree (He et al., ICWS 2017) with
 * default variable masking, stable template ids and an LRU cap.
 *
 * A message is split into tokens on whitespace; each token is classified in one pass over its
 * characters (no regexes on the hot path). Tokens that carry a variable (a number, hex, IP and
 * port, UUID, path, URL, e-mail, timestamp: anything with a digit, a path or an address) are
 * masked to `<*>`; in `key=value` / `key:value` tokens only the value is masked.
 *
 * The tree routes a message by its token count, then by its first `depth - 2` tokens (a masked
 * token routes to the wildcard child; a node with `maxChildren` children routes new tokens there
 * too). In the leaf, the message joins the most similar template if at least `similarity` of its
 * tokens match; differing positions become `<*>` (the template is refined and keeps its id).
 * Otherwise a new template starts.
 *
 * Variable-length parameters (a list of files, a free-text reason) give the same template at
 * different token counts. Each template also has a canonical key, its tokens with runs of
 * wildcards collapsed to one; a template whose key equals an older template's is merged into the
 * older one (its id becomes an alias of the older id). So the template of a message does not
 * depend on how many words its variables had.
 *
 * Pure: no I/O, no clock. State encodes to JSON bytes and decodes exactly.
 */

export const WILDCARD = '<*>';

export interface LogTemplateOptions {
  /** Depth of the parse tree: 2 levels (token count, then `depth - 2` prefix tokens) + leaves. */
  readonly depth: number;
  /** Share of tokens that must match for a message to join a template, in (0, 1]. */
  readonly similarity: number;
  /** Children per tree node; further distinct tokens route to the wildcard child. */
  readonly maxChildren: number;
  /** Templates kept; the least recently seen are evicted beyond this many. */
  readonly maxTemplates: number;
  /**
   * Distinct constant words seen at one position (all else equal) before it becomes a variable.
   * Below this, messages that differ in one word are separate templates.
   */
  readonly wordValues: number;
}

export const DEFAULT_LOG_TEMPLATE_OPTIONS: LogTemplateOptions = {
  depth: 4,
  similarity: 0.5,
  maxChildren: 100,
  maxTemplates: 2000,
  wordValues: 5,
};

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

/** One Drain cluster: the template of the messages with one token count. */
interface Cluster {
  tokens: string[];
  count: number;
  key: string;
  template: Template;
}

/** A template: the clusters (one per token count) that share one canonical key, under one id. */
interface Template {
  id: number;
  clusters: Cluster[];
  lastSeen: number;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  clusters: Cluster[];
}

const newNode = (): TreeNode => ({ children: new Map(), clusters: [] });

const CH_0 = 48;
const CH_9 = 57;

/** True for characters kept around a token's core: brackets, quotes, trailing punctuation. */
const isOpener = (c: number): boolean =>
  c === 40 /* ( */ ||
  c === 91 /* [ */ ||
  c === 123 /* { */ ||
  c === 60 /* < */ ||
  c === 34 ||
  c === 39;
const isCloser = (c: number): boolean =>
  c === 41 ||
  c === 93 ||
  c === 125 ||
  c === 62 ||
  c === 34 ||
  c === 39 ||
  c === 44 /* , */ ||
  c === 59 /* ; */ ||
  c === 46 /* . */ ||
  c === 58; /* : */

/**
 * Masks the variable part of one token, or returns it unchanged. Exported for tests.
 *
 * Variable: the core (token without surrounding brackets, quotes and trailing punctuation) has a
 * digit, is a path (`/a/b`), a URL (`x://`), or an e-mail-like `a@b.c`. In `key=value` and
 * `key:value` cores whose key has no digit, only the value is masked.
 */
export function maskToken(token: string): string {
  const n = token.length;
  let start = 0;
  let end = n;
  while (start < end && isOpener(token.charCodeAt(start))) start++;
  while (end > start && isCloser(token.charCodeAt(end - 1))) end--;
  if (start === end) return token;
  if (end - start <= 9 && CALENDAR_WORDS.has(token.slice(start, end))) {
    return token.slice(0, start) + WILDCARD + token.slice(end);
  }
  let digit = -1;
  let sep = -1;
  let slashes = 0;
  let at = false;
  for (let i = start; i < end; i++) {
    const c = token.charCodeAt(i);
    if (c >= CH_0 && c <= CH_9) {
      if (digit < 0) digit = i;
    } else if (c === 61 /* = */ || c === 58 /* : */ || c === 91 /* [ */ || c === 40 /* ( */) {
      if (sep < 0 && digit < 0) sep = i;
    } else if (c === 47 /* / */) slashes++;
    else if (c === 64 /* @ */) at = true;
  }
  // A URL: mask it whole, not as `scheme:` + value.
  if (sep > start && token.startsWith('://', sep)) sep = -1;
  const pathLike =
    slashes >= 2 || (slashes === 1 && token.charCodeAt(start) === 47 && end - start > 1);
  if (digit < 0 && !pathLike && !at) return token;
  if (digit === end - 1 && digit - start >= 2 && isLetters(token, start, digit)) return token;
  // key=value / key:value: keep the key when the value holds the variable.
  if (sep > start && sep < end - 1 && (digit < 0 || digit > sep)) {
    return token.slice(0, sep + 1) + WILDCARD + token.slice(end);
  }
  return token.slice(0, start) + WILDCARD + token.slice(end);
}

/** Month and weekday names: parts of a timestamp, masked like its digits. */
const CALENDAR_WORDS = new Set(
  [
    'jan feb mar apr may jun jul aug sep sept oct nov dec',
    'january february march april june july august september october november december',
    'mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday',
  ]
    .join(' ')
    .split(' ')
    .flatMap((w) => [w, w.charAt(0).toUpperCase() + w.slice(1), w.toUpperCase()]),
);

/** Units of a quantity: after a masked number they are part of the variable ("12.5 KB"). */
const UNITS = new Set('B KB MB GB TB PB KiB MiB GiB TiB kB ns us µs ms s sec secs min'.split(' '));

function isLetters(t: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/** Splits a message on whitespace and masks each token. */
export function tokenize(message: string): string[] {
  const out: string[] = [];
  const n = message.length;
  let i = 0;
  while (i < n) {
    let c = message.charCodeAt(i);
    while (i < n && (c === 32 || c === 9 || c === 10 || c === 13)) c = message.charCodeAt(++i);
    if (i >= n) break;
    const s = i;
    while (i < n && c !== 32 && c !== 9 && c !== 10 && c !== 13) c = message.charCodeAt(++i);
    const masked = maskToken(message.slice(s, i));
    const last = out.length - 1;
    const unit = last >= 0 && out[last] === WILDCARD ? unitEnd(masked) : -1;
    if (unit > 0) out[last] = WILDCARD + masked.slice(unit);
    else out.push(masked);
  }
  return out;
}

/** A unit, possibly followed by trailing punctuation ("KB,"). */
function unitEnd(token: string): number {
  let end = token.length;
  while (end > 0 && isCloser(token.charCodeAt(end - 1))) end--;
  return end > 0 && end <= 4 && UNITS.has(token.slice(0, end)) ? end : -1;
}

const hasWildcard = (t: string): boolean => t.includes(WILDCARD);

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
function routeKey(t: string): string {
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
function canonicalKey(tokens: readonly string[]): string {
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

interface EncodedState {
  v: 1;
  nextId: number;
  tick: number;
  /** Per template: id, last seen tick, and its clusters as [tokens joined by spaces, count]. */
  templates: [id: number, lastSeen: number, clusters: [template: string, count: number][]][];
  aliases: [from: number, to: number][];
}

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
  private root = newNode();
  private readonly byId = new Map<number, Template>();
  private readonly byKey = new Map<string, Template>();
  /** Merged-away id → surviving id. */
  private readonly aliases = new Map<number, number>();
  private nextId = 1;
  private tick = 0;

  constructor(options: Partial<LogTemplateOptions> = {}) {
    this.options = { ...DEFAULT_LOG_TEMPLATE_OPTIONS, ...options };
    const o = this.options;
    if (!(o.depth >= 3 && Number.isInteger(o.depth))) {
      throw new RangeError('depth must be an integer ≥ 3');
    }
    if (!(o.similarity > 0 && o.similarity <= 1)) {
      throw new RangeError('similarity must be in (0, 1]');
    }
    if (!(o.maxChildren >= 1)) throw new RangeError('maxChildren must be ≥ 1');
    if (!(o.maxTemplates >= 1)) throw new RangeError('maxTemplates must be ≥ 1');
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
    const tokens = tokenize(message);
    this.tick++;
    const leaf = this.leafFor(tokens, true);
    const found = this.bestMatch(leaf.clusters, tokens);
    if (found === undefined) {
      const existing = this.byKey.get(canonicalKey(tokens));
      const fresh = this.create(tokens, leaf, existing);
      const [survivor, previous] = this.mergeWordSiblings(leaf, fresh);
      const template = survivor.template;
      template.lastSeen = this.tick;
      const text = templateText(template);
      return previous === undefined || previous === text
        ? { id: template.id, template: text, created: existing === undefined, changed: false }
        : { id: template.id, template: text, created: false, changed: true, previous };
    }
    found.count++;
    let refined = false;
    for (let i = 0; i < tokens.length; i++) {
      const t = found.tokens[i] as string;
      const g = generalize(t, tokens[i] as string);
      if (g !== t) {
        found.tokens[i] = g;
        refined = true;
      }
    }
    let template = found.template;
    const before = templateText(template);
    if (refined) template = this.rekey(found);
    template.lastSeen = this.tick;
    const text = templateText(template);
    return text === before
      ? { id: template.id, template: text, created: false, changed: false }
      : { id: template.id, template: text, created: false, changed: true, previous: before };
  }

  /** The template a message would match, without learning; undefined when none. */
  match(message: string): LogTemplate | undefined {
    const tokens = tokenize(message);
    const leaf = this.leafFor(tokens, false);
    const found = leaf && this.bestMatch(leaf.clusters, tokens);
    return found ? view(found.template) : this.byKeyView(canonicalKey(tokens));
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
    const state: EncodedState = {
      v: 1,
      nextId: this.nextId,
      tick: this.tick,
      templates: [...this.byId.values()]
        .sort((a, b) => a.id - b.id)
        .map((t) => [t.id, t.lastSeen, t.clusters.map((c) => [c.tokens.join(' '), c.count])]),
      aliases: [...this.aliases.entries()],
    };
    return new TextEncoder().encode(JSON.stringify(state));
  }

  /** Restores a state written by `encode`; throws a RangeError on anything else. */
  static decode(bytes: Uint8Array, options: Partial<LogTemplateOptions> = {}): LogTemplateMiner {
    let raw: Partial<EncodedState>;
    try {
      raw = JSON.parse(new TextDecoder().decode(bytes)) as Partial<EncodedState>;
    } catch {
      throw new RangeError('log template state is not JSON');
    }
    if (
      raw.v !== 1 ||
      !Array.isArray(raw.templates) ||
      !Array.isArray(raw.aliases) ||
      !Number.isInteger(raw.nextId) ||
      !Number.isInteger(raw.tick)
    ) {
      throw new RangeError('not a log template state (version 1)');
    }
    const miner = new LogTemplateMiner(options);
    miner.nextId = raw.nextId as number;
    miner.tick = raw.tick as number;
    for (const [id, lastSeen, clusters] of raw.templates) {
      const template: Template = { id, lastSeen, clusters: [] };
      for (const [text, count] of clusters) {
        const tokens = text.length === 0 ? [] : text.split(' ');
        const cluster: Cluster = { tokens, count, key: canonicalKey(tokens), template };
        template.clusters.push(cluster);
        miner.byKey.set(cluster.key, template);
        miner.leafFor(tokens, true).clusters.push(cluster);
      }
      if (template.clusters.length === 0) throw new RangeError(`template ${id} has no clusters`);
      miner.byId.set(id, template);
    }
    for (const [from, to] of raw.aliases) miner.aliases.set(from, to);
    return miner;
  }

  private byKeyView(key: string): LogTemplate | undefined {
    const t = this.byKey.get(key);
    return t && view(t);
  }

  /** A new cluster in `leaf`, under the template with the same key or a new one. */
  private create(tokens: string[], leaf: TreeNode, existing: Template | undefined): Cluster {
    const template = existing ?? { id: this.nextId++, clusters: [], lastSeen: this.tick };
    const cluster: Cluster = { tokens, count: 1, key: canonicalKey(tokens), template };
    template.clusters.push(cluster);
    leaf.clusters.push(cluster);
    if (existing === undefined) {
      this.byId.set(template.id, template);
      this.byKey.set(cluster.key, template);
      if (this.byId.size > this.options.maxTemplates) this.evict();
    }
    return cluster;
  }

  /** After a cluster was refined: re-index it; a template whose key it now shares absorbs one. */
  private rekey(cluster: Cluster): Template {
    const own = cluster.template;
    const oldKey = cluster.key;
    cluster.key = canonicalKey(cluster.tokens);
    if (!own.clusters.some((c) => c.key === oldKey) && this.byKey.get(oldKey) === own) {
      this.byKey.delete(oldKey);
    }
    const other = this.byKey.get(cluster.key);
    if (other === undefined || other === own) {
      this.byKey.set(cluster.key, own);
      return own;
    }
    return other.id < own.id ? this.mergeTemplates(other, own) : this.mergeTemplates(own, other);
  }

  /** Moves every cluster of `drop` into `keep`; `drop`'s id becomes an alias of `keep`'s. */
  private mergeTemplates(keep: Template, drop: Template): Template {
    if (keep === drop) return keep;
    for (const c of drop.clusters) {
      c.template = keep;
      keep.clusters.push(c);
      this.byKey.set(c.key, keep);
    }
    drop.clusters = [];
    keep.lastSeen = Math.max(keep.lastSeen, drop.lastSeen);
    this.byId.delete(drop.id);
    this.aliases.set(drop.id, keep.id);
    return keep;
  }

  /** Removes a cluster absorbed by another; its template (if any other clusters) joins `into`. */
  private dropCluster(c: Cluster, into: Template): void {
    const own = c.template;
    own.clusters.splice(own.clusters.indexOf(c), 1);
    if (this.byKey.get(c.key) === own && !own.clusters.some((o) => o.key === c.key)) {
      this.byKey.delete(c.key);
    }
    if (own === into) return;
    if (own.clusters.length > 0) {
      this.mergeTemplates(into, own);
      return;
    }
    into.lastSeen = Math.max(into.lastSeen, own.lastSeen);
    this.byId.delete(own.id);
    this.aliases.set(own.id, into.id);
  }

  private leafFor(tokens: readonly string[], grow: true): TreeNode;
  private leafFor(tokens: readonly string[], grow: false): TreeNode | undefined;
  private leafFor(tokens: readonly string[], grow: boolean): TreeNode | undefined {
    let node = this.child(this.root, String(tokens.length), grow, true);
    const prefix = Math.min(this.options.depth - 2, tokens.length);
    for (let i = 0; i < prefix && node !== undefined; i++) {
      node = this.child(node, routeKey(tokens[i] ?? ''), grow, false);
    }
    return node;
  }

  private child(
    node: TreeNode,
    key: string,
    grow: boolean,
    unbounded: boolean,
  ): TreeNode | undefined {
    const existing = node.children.get(key);
    if (existing !== undefined) return existing;
    const wild = node.children.get(WILDCARD);
    if (!grow) return unbounded ? undefined : wild;
    if (!unbounded && key !== WILDCARD && node.children.size >= this.options.maxChildren) {
      if (wild !== undefined) return wild;
      key = WILDCARD;
    }
    const created = newNode();
    node.children.set(key, created);
    return created;
  }

  /**
   * The most similar cluster of a leaf, when similar enough; ties go to the more general. A
   * cluster whose constant word differs from the message's word at some position is no match
   * (two templates that differ in one word, "VM Started" and "VM Paused", stay apart): such a
   * position becomes a variable only once `wordValues` distinct words were seen there.
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
        else if (!hasWildcard(t) && !hasWildcard(m)) words++;
      }
      if (words > 0) continue;
      const sim = n === 0 ? 1 : same / n;
      if (sim > bestSim || (sim === bestSim && wild > bestWild)) {
        best = c;
        bestSim = sim;
        bestWild = wild;
      }
    }
    return best !== undefined && bestSim >= this.options.similarity ? best : undefined;
  }

  /**
   * After a new cluster started in `leaf`: the clusters that differ from it in exactly one
   * constant word at one position and agree elsewhere are one template with a variable there once
   * they hold `wordValues` distinct words. Merges them into the oldest; returns the survivor.
   */
  private mergeWordSiblings(leaf: TreeNode, fresh: Cluster): [Cluster, string | undefined] {
    const n = fresh.tokens.length;
    for (let p = 0; p < n; p++) {
      const word = fresh.tokens[p] as string;
      if (hasWildcard(word)) continue;
      const siblings: Cluster[] = [];
      const values = new Set<string>([word]);
      for (const c of leaf.clusters) {
        if (c === fresh) continue;
        const v = c.tokens[p] as string;
        if (hasWildcard(v) || v === word) continue;
        let agree = true;
        for (let i = 0; i < n && agree; i++) {
          if (i === p) continue;
          const a = c.tokens[i] as string;
          const b = fresh.tokens[i] as string;
          agree = a === b || a === WILDCARD || b === WILDCARD;
        }
        if (agree) {
          siblings.push(c);
          values.add(v);
        }
      }
      if (values.size < this.options.wordValues) continue;
      const group = [fresh, ...siblings];
      const keep = group.reduce((a, b) => (b.template.id < a.template.id ? b : a));
      const previous = templateText(keep.template);
      for (const c of group) {
        for (let i = 0; i < n; i++) {
          keep.tokens[i] = generalize(keep.tokens[i] as string, c.tokens[i] as string);
        }
      }
      for (const c of group) {
        if (c === keep) continue;
        keep.count += c.count;
        leaf.clusters.splice(leaf.clusters.indexOf(c), 1);
        this.dropCluster(c, keep.template);
      }
      this.rekey(keep);
      return [keep, previous];
    }
    return [fresh, undefined];
  }

  /** Drops the least recently seen tenth of the templates (amortised O(1) per message). */
  private evict(): void {
    const drop = Math.max(1, Math.floor(this.options.maxTemplates / 10));
    const victims = [...this.byId.values()].sort((a, b) => a.lastSeen - b.lastSeen).slice(0, drop);
    const gone = new Set(victims);
    for (const v of victims) {
      this.byId.delete(v.id);
      for (const c of v.clusters) if (this.byKey.get(c.key) === v) this.byKey.delete(c.key);
    }
    for (const [from, to] of this.aliases) {
      if (!this.byId.has(this.resolve(to))) this.aliases.delete(from);
    }
    const prune = (node: TreeNode): void => {
      node.clusters = node.clusters.filter((c) => !gone.has(c.template));
      for (const [k, c] of node.children) {
        prune(c);
        if (c.clusters.length === 0 && c.children.size === 0) node.children.delete(k);
      }
    };
    prune(this.root);
  }
}
