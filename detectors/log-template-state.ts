/**
 * The template miner's state as stored (log-templates.ts): JSON, with each cluster's tree path
 * and creation order, so that it decodes to a miner that behaves exactly as the one encoded.
 */
import { canonicalKey } from './log-template-tokens.js';
import type { Cluster, Template } from './log-template-tree.js';

export interface EncodedTemplateState {
  v: 2;
  nextId: number;
  tick: number;
  nextSeq: number;
  /** Per template: id, last seen tick, clusters as [tokens joined by spaces, count, seq, path]. */
  templates: [
    id: number,
    lastSeen: number,
    clusters: [template: string, count: number, seq: number, path: string[], soft?: number[]][],
  ][];
  aliases: [from: number, to: number][];
  /** Learned variable contexts, oldest first (absent in states written before them). */
  contexts?: string[];
  /** Known values, least recent first (absent in states written before them). */
  values?: string[];
}

/** A miner's state to encode: all of it but the parse tree (the clusters' paths rebuild it). */
export interface TemplateState {
  readonly nextId: number;
  readonly tick: number;
  readonly nextSeq: number;
  /** The templates kept, in any order (they are stored by id). */
  readonly templates: Iterable<Template>;
  /** Merged-away id → surviving id. */
  readonly aliases: Iterable<[from: number, to: number]>;
  /** Tokens after which a word is a variable, learned from the stream (oldest first). */
  readonly contexts: Iterable<string>;
  /** Words seen as the value of a key (least recent first). */
  readonly values: Iterable<string>;
}

export function encodeTemplateState(s: TemplateState): Uint8Array {
  const state: EncodedTemplateState = {
    v: 2,
    nextId: s.nextId,
    tick: s.tick,
    nextSeq: s.nextSeq,
    templates: [...s.templates]
      .sort((a, b) => a.id - b.id)
      .map((t) => [
        t.id,
        t.lastSeen,
        t.clusters.map((c) =>
          c.soft === undefined
            ? [c.tokens.join(' '), c.count, c.seq, [...c.path]]
            : [c.tokens.join(' '), c.count, c.seq, [...c.path], [...c.soft]],
        ),
      ]),
    aliases: [...s.aliases],
    contexts: [...s.contexts],
    values: [...s.values],
  };
  return new TextEncoder().encode(JSON.stringify(state));
}

const optionalStrings = (x: unknown): boolean =>
  x === undefined || (Array.isArray(x) && x.every((c) => typeof c === 'string'));

/** Parses a state written by `encodeTemplateState`; throws a RangeError on anything else. */
export function parseTemplateState(bytes: Uint8Array): EncodedTemplateState {
  let raw: Partial<EncodedTemplateState>;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes)) as Partial<EncodedTemplateState>;
  } catch {
    throw new RangeError('log template state is not JSON');
  }
  if (
    raw.v !== 2 ||
    !Array.isArray(raw.templates) ||
    !Array.isArray(raw.aliases) ||
    !Number.isInteger(raw.nextId) ||
    !Number.isInteger(raw.nextSeq) ||
    !Number.isInteger(raw.tick) ||
    !optionalStrings(raw.contexts) ||
    !optionalStrings(raw.values)
  ) {
    throw new RangeError('not a log template state (version 2)');
  }
  return raw as EncodedTemplateState;
}

/** The templates of a parsed state, with their clusters; throws a RangeError on an empty one. */
export function decodeTemplates(raw: EncodedTemplateState): Template[] {
  const templates: Template[] = [];
  for (const [id, lastSeen, clusters] of raw.templates) {
    const template: Template = { id, lastSeen, clusters: [] };
    for (const [text, count, seq, path, soft] of clusters) {
      const tokens = text.length === 0 ? [] : text.split(' ');
      const cluster: Cluster = {
        tokens,
        count,
        key: canonicalKey(tokens),
        template,
        path,
        seq,
        ...(Array.isArray(soft) && soft.every((i) => Number.isInteger(i)) ? { soft } : {}),
      };
      template.clusters.push(cluster);
    }
    if (template.clusters.length === 0) throw new RangeError(`template ${id} has no clusters`);
    templates.push(template);
  }
  return templates;
}
