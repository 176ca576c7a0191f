/**
 * The samples queue's payloads at the detect stage's edge: the shape check (a job that fails it
 * is poison and is not retried), and the compact form (v 2) turned into the `SampleBatch` the
 * scoring reads. A compact series' labels are parsed from its key when first read (anomaly
 * events, service-graph edges), not for every series of every batch.
 */
import type { CompactSampleBatch, SampleBatch, SeriesMeta } from '../queues/contract.js';
import { parseSeriesKey } from '../queues/series-key.js';

const isIndexList = (idx: readonly unknown[], n: number): boolean =>
  idx.every((i) => typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < n);

function columnsOk(b: Partial<Record<keyof SampleBatch, unknown>>): boolean {
  if (!Array.isArray(b.series) || !Array.isArray(b.idx)) return false;
  if (!Array.isArray(b.ts) || !Array.isArray(b.val)) return false;
  return b.idx.length === b.ts.length && b.ts.length === b.val.length;
}

export function isSampleBatch(data: unknown): data is SampleBatch {
  if (data === null || typeof data !== 'object') return false;
  const b = data as Partial<Record<keyof SampleBatch, unknown>>;
  if (b.v !== 1 || !columnsOk(b)) return false;
  const series = b.series as unknown[];
  for (const s of series) {
    if (s === null || typeof s !== 'object') return false;
    const m = s as Record<string, unknown>;
    if (typeof m.key !== 'string' || typeof m.metric !== 'string' || typeof m.service !== 'string')
      return false;
  }
  return isIndexList(b.idx as unknown[], series.length);
}

const isLabels = (v: unknown): boolean =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

export function isCompactSampleBatch(data: unknown): data is CompactSampleBatch {
  if (data === null || typeof data !== 'object') return false;
  const b = data as Partial<Record<keyof CompactSampleBatch, unknown>>;
  if (b.v !== 2 || !columnsOk(b)) return false;
  const series = b.series as unknown[];
  for (const s of series) {
    if (!Array.isArray(s) || (s.length !== 3 && s.length !== 5)) return false;
    if (typeof s[0] !== 'string' || typeof s[1] !== 'string') return false;
    if (s[2] !== 0 && s[2] !== 1) return false;
    if (s.length === 5 && (typeof s[3] !== 'string' || !isLabels(s[4]))) return false;
  }
  return isIndexList(b.idx as unknown[], series.length);
}

/** A compact series: metric from the key at once, labels parsed on first read. */
class KeyedSeries implements SeriesMeta {
  readonly key: string;
  readonly metric: string;
  readonly service: string;
  readonly counter: boolean;
  #labels: Readonly<Record<string, string>> | undefined;

  constructor(key: string, service: string, counter: boolean) {
    this.key = key;
    const open = key.indexOf('{');
    this.metric = open < 0 ? key : key.slice(0, open);
    this.service = service;
    this.counter = counter;
  }

  get labels(): Readonly<Record<string, string>> {
    // Ingest writes the compact form only for keys that parse (keyIsParseable); a key from
    // another producer that does not reads as no labels, the rest of the series as sent.
    this.#labels ??= parseSeriesKey(this.key)?.labels ?? {};
    return this.#labels;
  }

  toJSON(): SeriesMeta {
    const { key, metric, service, labels, counter } = this;
    return { key, metric, service, labels, counter };
  }
}

/** The batch a job carries, in the form the scoring reads; undefined when it is not one. */
export function sampleBatchOf(data: unknown): SampleBatch | undefined {
  if (isCompactSampleBatch(data)) {
    const series = data.series.map((s): SeriesMeta => {
      if (s.length === 5) {
        return { key: s[0], service: s[1], counter: s[2] === 1, metric: s[3], labels: s[4] };
      }
      return new KeyedSeries(s[0], s[1], s[2] === 1);
    });
    return { v: 1, queuedAt: data.queuedAt, series, idx: data.idx, ts: data.ts, val: data.val };
  }
  return isSampleBatch(data) ? data : undefined;
}
