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

/** Tokens per message at most; the rest of a longer message is one variable. */
export const MAX_TOKENS = 128;
/** Clusters (token counts) per template at most; the least used goes first. */
export const MAX_CLUSTERS_PER_TEMPLATE = 16;
/** Clusters per tree leaf at most; a full leaf folds new messages into its closest cluster. */
export const MAX_LEAF_CLUSTERS = 100;

/** One Drain cluster: the template of the messages with one token count. */
interface Cluster {
  tokens: string[];
  count: number;
  key: string;
  template: Template;
  /** Route keys from the root to its leaf (token count, then prefix keys). */
  readonly path: readonly string[];
  /** Creation order: restores each leaf's order on decode. */
  readonly seq: number;
}

/** A template: clusters (one per token count) that share one canonical key, under one id. */
interface Template {
  id: number;
  clusters: Cluster[];
  lastSeen: number;
}

interface TreeNode {
  readonly children: Map<string, TreeNode>;
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
  const len = end - start;
  if (len >= 3 && len <= 9 && CALENDAR_INITIALS.has(token.charCodeAt(start))) {
    const core = start === 0 && end === n ? token : token.slice(start, end);
    if (CALENDAR_WORDS.has(core)) return token.slice(0, start) + WILDCARD + token.slice(end);
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
    // Capitalised or upper case, as timestamps write them ("may" and "sun" are also words).
    .flatMap((w) => [w.charAt(0).toUpperCase() + w.slice(1), w.toUpperCase()]),
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

/** First letters of the calendar words: most tokens are ruled out without a slice. */
const CALENDAR_INITIALS = new Set([...CALENDAR_WORDS].map((w) => w.charCodeAt(0)));

/** Splits a message on whitespace and masks each token; past MAX_TOKENS, the rest is `<*>`. */
export function tokenize(message: string): string[] {
  const out: string[] = [];
  const n = message.length;
  let i = 0;
  while (i < n) {
    if (out.length === MAX_TOKENS - 1) {
      if (message.slice(i).trim().length > 0) out.push(WILDCARD);
      break;
    }
    let c = message.charCodeAt(i);
    while (i < n && (c === 32 || c === 9 || c === 10 || c === 13)) c = message.charCodeAt(++i);
    if (i >= n) break;
    const s = i;
    // Most tokens are plain words: no digit, '/' or '@', and no capital that could start a
    // month or weekday. Those skip masking.
    let plain = !CALENDAR_INITIALS.has(c) && !isOpener(c);
    while (i < n && c !== 32 && c !== 9 && c !== 10 && c !== 13) {
      if ((c >= CH_0 && c <= CH_9) || c === 47 || c === 64) plain = false;
      c = message.charCodeAt(++i);
    }
    const token = message.slice(s, i);
    const masked = plain ? token : maskToken(token);
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
  v: 2;
  nextId: number;
  tick: number;
  nextSeq: number;
  /** Per template: id, last seen tick, clusters as [tokens joined by spaces, count, seq, path]. */
  templates: [
    id: number,
    lastSeen: number,
    clusters: [template: string, count: number, seq: number, path: string[]][],
  ][];
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
  private readonly root = newNode();
  private readonly byId = new Map<number, Template>();
  private readonly byKey = new Map<string, Template>();
  /** Merged-away id → surviving id. */
  private readonly aliases = new Map<number, number>();
  private nextId = 1;
  private nextSeq = 1;
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
    if (!(o.wordValues >= 2)) throw new RangeError('wordValues must be ≥ 2');
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
    const firstNewId = this.nextId;
    let found = this.lookup(tokens);
    let leaf: TreeNode | undefined;
    if (found === undefined) {
      const path = this.pathOf(tokens);
      leaf = this.nodeAt(path);
      if (leaf.clusters.length >= MAX_LEAF_CLUSTERS) found = this.closest(leaf.clusters, tokens);
      if (found === undefined) {
        const existing = this.byKey.get(canonicalKey(tokens));
        const fresh = this.create(tokens, path, leaf, existing);
        const [survivor, previous] = this.mergeWordSiblings(fresh);
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
    const template = refined ? this.rekey(found) : found.template;
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
    const tokens = tokenize(message);
    const found = this.lookup(tokens);
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
      v: 2,
      nextId: this.nextId,
      tick: this.tick,
      nextSeq: this.nextSeq,
      templates: [...this.byId.values()]
        .sort((a, b) => a.id - b.id)
        .map((t) => [
          t.id,
          t.lastSeen,
          t.clusters.map((c) => [c.tokens.join(' '), c.count, c.seq, [...c.path]]),
        ]),
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
      raw.v !== 2 ||
      !Array.isArray(raw.templates) ||
      !Array.isArray(raw.aliases) ||
      !Number.isInteger(raw.nextId) ||
      !Number.isInteger(raw.nextSeq) ||
      !Number.isInteger(raw.tick)
    ) {
      throw new RangeError('not a log template state (version 2)');
    }
    const miner = new LogTemplateMiner(options);
    miner.nextId = raw.nextId as number;
    miner.nextSeq = raw.nextSeq as number;
    miner.tick = raw.tick as number;
    const all: Cluster[] = [];
    for (const [id, lastSeen, clusters] of raw.templates) {
      const template: Template = { id, lastSeen, clusters: [] };
      for (const [text, count, seq, path] of clusters) {
        const tokens = text.length === 0 ? [] : text.split(' ');
        const cluster: Cluster = { tokens, count, key: canonicalKey(tokens), template, path, seq };
        template.clusters.push(cluster);
        miner.byKey.set(cluster.key, template);
        all.push(cluster);
      }
      if (template.clusters.length === 0) throw new RangeError(`template ${id} has no clusters`);
      miner.byId.set(id, template);
    }
    // Each leaf holds its clusters in creation order, as the miner that was encoded.
    for (const c of all.sort((a, b) => a.seq - b.seq)) miner.nodeAt(c.path).clusters.push(c);
    for (const [from, to] of raw.aliases) miner.aliases.set(from, to);
    return miner;
  }

  private byKeyView(key: string): LogTemplate | undefined {
    const t = this.byKey.get(key);
    return t && view(t);
  }

  /** The route keys of a message: its token count, then its leading tokens' keys. */
  private pathOf(tokens: readonly string[]): string[] {
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
  private nodeAt(path: readonly string[]): TreeNode {
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
  private lookup(tokens: readonly string[]): Cluster | undefined {
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

  /** A new cluster in `leaf`, under the template with the same key or a new one. */
  private create(
    tokens: string[],
    path: readonly string[],
    leaf: TreeNode,
    existing: Template | undefined,
  ): Cluster {
    const template = existing ?? { id: this.nextId++, clusters: [], lastSeen: this.tick };
    const cluster: Cluster = {
      tokens,
      count: 1,
      key: canonicalKey(tokens),
      template,
      path,
      seq: this.nextSeq++,
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
      this.unlink(victim);
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
        else if (!hasWildcard(t) && !hasWildcard(m)) words++;
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
  private closest(clusters: readonly Cluster[], tokens: readonly string[]): Cluster | undefined {
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

  /**
   * After a new cluster started: the clusters of its token count that differ from it in exactly
   * one constant word at one place, and agree elsewhere, are one template with a variable there
   * once they show `wordValues` distinct words. They merge into the oldest, which moves to the
   * leaf its generalised tokens route to. Returns the survivor and its text before the merge.
   */
  private mergeWordSiblings(fresh: Cluster): [Cluster, string | undefined] {
    const n = fresh.tokens.length;
    const top = this.root.children.get(String(n));
    if (top === undefined) return [fresh, undefined];
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
      if (values.size < this.options.wordValues) continue;
      const group = [fresh, ...siblings];
      const keep = group.reduce((a, b) => (b.template.id < a.template.id ? b : a));
      const tokens = [...keep.tokens];
      for (const c of group) {
        for (let i = 0; i < n; i++) {
          tokens[i] = generalize(tokens[i] as string, c.tokens[i] as string);
        }
      }
      if (!enoughConstants(tokens)) continue;
      const previous = templateText(keep.template);
      for (const c of group) {
        if (c === keep) continue;
        keep.count += c.count;
        this.dropCluster(c, keep.template);
      }
      // The merged cluster lives where its generalised tokens route.
      this.unlink(keep);
      const path = this.pathOf(tokens);
      const moved: Cluster = { ...keep, tokens, path };
      const at = keep.template.clusters.indexOf(keep);
      keep.template.clusters[at] = moved;
      this.nodeAt(path).clusters.push(moved);
      // Leaf order follows creation order (decode rebuilds it so).
      this.nodeAt(path).clusters.sort((a, b) => a.seq - b.seq);
      this.rekey(moved);
      return [moved, previous];
    }
    return [fresh, undefined];
  }

  /**
   * Removes a cluster absorbed by a sibling. Its template, left empty, becomes an alias of
   * `into`; one that keeps other clusters (other token counts) stays as it is.
   */
  private dropCluster(c: Cluster, into: Template): void {
    this.unlink(c);
    const own = c.template;
    own.clusters.splice(own.clusters.indexOf(c), 1);
    if (own === into || own.clusters.length > 0) return;
    if (this.byKey.get(c.key) === own) this.byKey.delete(c.key);
    into.lastSeen = Math.max(into.lastSeen, own.lastSeen);
    this.byId.delete(own.id);
    this.aliases.set(own.id, into.id);
  }

  /** Takes a cluster out of its leaf, and prunes the nodes its removal left empty. */
  private unlink(c: Cluster): void {
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

  /** Drops the least recently seen tenth of the templates (amortised O(1) per message). */
  private evict(): void {
    const drop = Math.max(1, Math.floor(this.options.maxTemplates / 10));
    const victims = [...this.byId.values()].sort((a, b) => a.lastSeen - b.lastSeen).slice(0, drop);
    for (const v of victims) {
      this.byId.delete(v.id);
      for (const c of v.clusters) {
        if (this.byKey.get(c.key) === v) this.byKey.delete(c.key);
        this.unlink(c);
      }
    }
    for (const [from, to] of this.aliases) {
      if (!this.byId.has(this.resolve(to))) this.aliases.delete(from);
    }
  }
}
