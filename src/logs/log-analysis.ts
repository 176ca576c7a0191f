/**
 * The pure core of the log stage: log records in, log anomaly events out. The live worker and
 * `replay` both call it. No Redis, queue or clock: event time comes from the records.
 *
 * Per service:
 * - every message is mined into a template (detectors/log-templates.ts);
 * - lines are counted per template per `bucketMs` bucket of event time. When a bucket closes
 *   (the first record of a later bucket arrives), each template's count becomes one sample of
 *   the series `log_template_lines{service, template_id}` and the share of error/fatal lines one
 *   sample of `log_error_ratio{service}`; both go through the same detectors as metrics, so a
 *   template-rate surge is an anomaly like any other. Empty buckets between two records count
 *   as zeros (up to `maxGapBuckets`);
 * - a template first seen after the service's learning period (`learningMs` of event time
 *   since its first line), at a level in `newTemplateLevels`, is a `log_new_template` anomaly
 *   at once: a new error message is the earliest sign of many outages.
 *
 * Log anomalies are anomaly events with `kind: 'log'`, the template text, its level and a few
 * example lines, so correlation and on-call read them like metric ones.
 */
import type { Detector } from '../../detectors/contract.js';
import type { LogTemplateOptions } from '../../detectors/log-template-options.js';
import { LogTemplateMiner } from '../../detectors/log-templates.js';
import {
  emptyOutcome,
  scoreSlice,
  type LatestScore,
  type ScoringOptions,
} from '../detect/score-batch.js';
import {
  createSeriesState,
  decodeSeriesState,
  encodeSeriesState,
  type SeriesState,
} from '../detect/series-state.js';
import { seriesKey } from '../ingest/series-key.js';
import { fnv1a32 } from '../queues/partition.js';
import type { AnomalyEvent, LogRecord, SeriesMeta } from '../queues/contract.js';
import { isErrorLevel, levelRank, normaliseLevel } from './levels.js';
import { poissonBand } from './poisson-band.js';

export const LogSignals = {
  templateLines: 'log_template_lines',
  errorRatio: 'log_error_ratio',
  newTemplate: 'log_new_template',
} as const;

export interface LogAnalysisSettings {
  readonly templates: Partial<LogTemplateOptions>;
  /** Width of a count bucket, ms of event time. */
  readonly bucketMs: number;
  /** A service's templates are not "new" until this long after its first line. */
  readonly learningMs: number;
  /** Normalised levels at which a new template is an anomaly. */
  readonly newTemplateLevels: ReadonlySet<string>;
  /** Example lines kept per template (evidence in anomaly events). */
  readonly maxExamples: number;
  /** Empty buckets scored as zeros between two records at most. */
  readonly maxGapBuckets: number;
  /**
   * Lines below which counts are noise: a template's detectors see its count minus
   * (minLines - 1), floored at 0; a bucket's error ratio is scored only with this many lines,
   * and a rise only with this many error lines.
   */
  readonly minLines: number;
  /** New-template anomalies per service per bucket at most (free text must not flood). */
  readonly newTemplateLimit: number;
  readonly scoring: ScoringOptions;
  /** The detector of a log series (the detect config's choice, by metric and service). */
  readonly detectorOf: (meta: SeriesMeta) => Detector<unknown>;
}

/** Scores of new-template anomalies by level: below `severe_score`, so one alone opens nothing. */
const NEW_TEMPLATE_SCORE: Record<string, number> = { warn: 0.95, error: 0.98, fatal: 0.985 };
const EXAMPLE_CHARS = 300;
const TEMPLATE_CHARS = 500;
const ERROR_RATIO_ID = -1;
/** A template's rate is an exponentially weighted mean over about this long. */
const RATE_WINDOW_MS = 3_600_000;

interface LogSeries {
  readonly meta: SeriesMeta;
  readonly detector: Detector<unknown>;
  readonly state: SeriesState<unknown>;
  /** Template series: lines per bucket, exponentially weighted (NaN before the first). */
  rate: number;
  /** Template series: end of the last bucket with lines. */
  lastActive: number;
}

const clip = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

/** What the log stage keeps per service. */
export interface ServiceLogState {
  readonly service: string;
  readonly miner: LogTemplateMiner;
  /** Event time of the service's first line: the learning period starts there. */
  firstTs: number;
  /** Start of the open bucket; -Infinity before the first line. */
  bucketStart: number;
  /** Lines per template id in the open bucket. */
  readonly counts: Map<number, number>;
  lines: number;
  errors: number;
  /** New-template anomalies emitted in the open bucket. */
  newInBucket: number;
  /** Most severe level seen per template. */
  readonly levels: Map<number, string>;
  readonly examples: Map<number, string[]>;
  /** Detector series by template id (ERROR_RATIO_ID for the error ratio). */
  readonly series: Map<number, LogSeries>;
}

export function createServiceLogState(
  service: string,
  settings: Pick<LogAnalysisSettings, 'templates'>,
): ServiceLogState {
  return {
    service,
    miner: new LogTemplateMiner(settings.templates),
    firstTs: Number.NaN,
    bucketStart: Number.NEGATIVE_INFINITY,
    counts: new Map(),
    lines: 0,
    errors: 0,
    newInBucket: 0,
    levels: new Map(),
    examples: new Map(),
    series: new Map(),
  };
}

export interface LogOutcome {
  readonly anomalies: AnomalyEvent[];
  /** Templates created (new), and refined or merged (changed). */
  created: number;
  changed: number;
  /** Records older than their service's open bucket: mined, counted in the open bucket. */
  late: number;
  /** Records dated after `maxTs` (a clock gone wrong): skipped. */
  future: number;
  /** New-template anomalies over `newTemplateLimit` in a bucket: counted, not emitted. */
  suppressedNew: number;
  /** Series samples scored. */
  scored: number;
  /** Services whose state changed. */
  readonly touched: Set<string>;
  /** Per service, the template ids (-1: error ratio) whose detector series were scored. */
  readonly touchedSeries: Map<string, Set<number>>;
  /** Keys of detector series dropped (their template merged or evicted). */
  readonly droppedSeries: string[];
  /** The latest score of each log series scored (for the score board and /metrics). */
  readonly latest: Map<string, LatestScore>;
}

export const emptyLogOutcome = (): LogOutcome => ({
  anomalies: [],
  created: 0,
  changed: 0,
  late: 0,
  future: 0,
  suppressedNew: 0,
  scored: 0,
  touched: new Set(),
  touchedSeries: new Map(),
  droppedSeries: [],
  latest: new Map(),
});

function seriesMeta(service: string, templateId: number): SeriesMeta {
  const labels: Record<string, string> =
    templateId === ERROR_RATIO_ID ? { service } : { service, template_id: String(templateId) };
  const metric = templateId === ERROR_RATIO_ID ? LogSignals.errorRatio : LogSignals.templateLines;
  return { key: seriesKey(metric, labels), metric, service, labels, counter: false };
}

function seriesOf(s: ServiceLogState, id: number, settings: LogAnalysisSettings): LogSeries {
  let series = s.series.get(id);
  if (series === undefined) {
    const meta = seriesMeta(s.service, id);
    const detector = settings.detectorOf(meta);
    series = {
      meta,
      detector,
      state: createSeriesState(detector),
      rate: Number.NaN,
      lastActive: Number.NEGATIVE_INFINITY,
    };
    s.series.set(id, series);
  }
  return series;
}

/**
 * Analyses `records` (any order; they are taken in event-time order) into `out`. `stateOf`
 * returns the mutable state of a service (the caller loads or creates it). Records after
 * `maxTs` are skipped: one record from a clock years ahead would otherwise close every bucket
 * up to its time and leave the service's real records late.
 */
export function analyzeLogs(
  settings: LogAnalysisSettings,
  records: readonly LogRecord[],
  stateOf: (service: string) => ServiceLogState,
  out: LogOutcome,
  maxTs = Number.POSITIVE_INFINITY,
): void {
  const order = records.map((r, i) => ({ r, i })).sort((a, b) => a.r.ts - b.r.ts || a.i - b.i);
  for (const { r } of order) {
    if (!Number.isFinite(r.ts)) continue;
    if (r.ts > maxTs) {
      out.future += 1;
      continue;
    }
    const s = stateOf(r.service);
    out.touched.add(s.service);
    const bucket = Math.floor(r.ts / settings.bucketMs) * settings.bucketMs;
    if (s.bucketStart === Number.NEGATIVE_INFINITY) {
      s.bucketStart = bucket;
      s.firstTs = r.ts;
    } else if (bucket > s.bucketStart) {
      closeBuckets(settings, s, bucket, out);
    } else if (bucket < s.bucketStart) {
      out.late += 1;
    }
    const level = normaliseLevel(r.level);
    const match = s.miner.add(r.message);
    if (match.created) out.created += 1;
    if (match.changed) out.changed += 1;
    const id = match.id;
    s.counts.set(id, (s.counts.get(id) ?? 0) + 1);
    s.lines += 1;
    if (isErrorLevel(level)) s.errors += 1;
    const before = s.levels.get(id);
    if (before === undefined || levelRank(level) > levelRank(before)) s.levels.set(id, level);
    const examples = s.examples.get(id) ?? [];
    if (examples.length >= settings.maxExamples) examples.shift();
    if (settings.maxExamples > 0) examples.push(r.message.slice(0, EXAMPLE_CHARS));
    s.examples.set(id, examples);

    const learned = r.ts - s.firstTs >= settings.learningMs;
    if (match.created && learned && settings.newTemplateLevels.has(level)) {
      if (s.newInBucket < settings.newTemplateLimit) {
        s.newInBucket += 1;
        out.anomalies.push(newTemplateAnomaly(s, id, match.template, level, r));
      } else out.suppressedNew += 1;
    }
  }
}

function newTemplateAnomaly(
  s: ServiceLogState,
  id: number,
  template: string,
  level: string,
  r: LogRecord,
): AnomalyEvent {
  const meta = seriesMeta(s.service, id);
  return {
    id: `${fnv1a32(`${LogSignals.newTemplate}|${s.service}|${template}`).toString(16)}-${r.ts}`,
    kind: 'log',
    series: seriesKey(LogSignals.newTemplate, meta.labels),
    service: s.service,
    signal: LogSignals.newTemplate,
    labels: meta.labels,
    ts: r.ts,
    value: 1,
    expected: 0,
    lower: 0,
    upper: 0,
    score: NEW_TEMPLATE_SCORE[level] ?? 0.95,
    detector: 'new_template',
    level,
    template: clip(template, TEMPLATE_CHARS),
    examples: [r.message.slice(0, EXAMPLE_CHARS)],
  };
}

const isLive = (s: ServiceLogState, id: number): boolean =>
  s.miner.resolve(id) === id && s.miner.get(id) !== undefined;

/**
 * Forgets what merged or evicted templates left behind. A merged template's rate and level pass
 * on to the template it merged into: that one now counts its lines too, and its rate must say
 * so, or the merge itself reads as a surge.
 */
function forgetGone(settings: LogAnalysisSettings, s: ServiceLogState, out: LogOutcome): void {
  for (const [id, series] of [...s.series]) {
    if (id === ERROR_RATIO_ID || isLive(s, id)) continue;
    const live = s.miner.resolve(id);
    if (isLive(s, live) && !Number.isNaN(series.rate)) {
      const into = seriesOf(s, live, settings);
      into.rate = (Number.isNaN(into.rate) ? 0 : into.rate) + series.rate;
      into.lastActive = Math.max(into.lastActive, series.lastActive);
    }
    out.droppedSeries.push(series.meta.key);
    s.series.delete(id);
  }
  for (const [id, level] of [...s.levels]) {
    if (isLive(s, id)) continue;
    const live = s.miner.resolve(id);
    const kept = s.levels.get(live);
    if (isLive(s, live) && (kept === undefined || levelRank(level) > levelRank(kept))) {
      s.levels.set(live, level);
    }
    s.levels.delete(id);
  }
  for (const id of [...s.examples.keys()]) if (!isLive(s, id)) s.examples.delete(id);
}

/** What a template series' sample stood for, in lines (the detectors see the excess). */
interface InLines {
  readonly lines: number;
  readonly rate: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * Closes the open bucket (and the empty ones up to `next`). Each template's count is one
 * sample; its detectors see the excess over the band Poisson noise around the template's rate
 * explains (at least `minLines - 1` wide): a sparse template's odd line is no surge, and does
 * not start a detector's refractory period. A template without lines for `maxGapBuckets`
 * buckets is idle: its empty buckets are not scored until it logs again.
 */
function closeBuckets(
  settings: LogAnalysisSettings,
  s: ServiceLogState,
  next: number,
  out: LogOutcome,
): void {
  const { bucketMs, minLines } = settings;
  // Merged templates count under the id they now live under; evicted ones are gone.
  const counts = new Map<number, number>();
  for (const [id, n] of s.counts) {
    const live = s.miner.resolve(id);
    if (isLive(s, live)) counts.set(live, (counts.get(live) ?? 0) + n);
  }
  forgetGone(settings, s, out);
  const templateIds = new Set<number>(counts.keys());
  for (const id of s.series.keys()) if (id !== ERROR_RATIO_ID) templateIds.add(id);

  const buckets = Math.min((next - s.bucketStart) / bucketMs, settings.maxGapBuckets + 1);
  const idleAfter = settings.maxGapBuckets * bucketMs;
  const alpha = Math.min(1, bucketMs / RATE_WINDOW_MS);
  const metas: SeriesMeta[] = [];
  const states: SeriesState<unknown>[] = [];
  const detectors: Detector<unknown>[] = [];
  const idx: number[] = [];
  const ts: number[] = [];
  const val: number[] = [];
  const inLines = new Map<string, InLines>();
  let scoredIds = out.touchedSeries.get(s.service);
  if (scoredIds === undefined) {
    scoredIds = new Set();
    out.touchedSeries.set(s.service, scoredIds);
  }
  const addSeries = (id: number, series: LogSeries): number => {
    scoredIds.add(id);
    metas.push(series.meta);
    states.push(series.state);
    detectors.push(series.detector);
    return metas.length - 1;
  };
  for (const id of templateIds) {
    const series = seriesOf(s, id, settings);
    let si = -1;
    for (let k = 0; k < buckets; k++) {
      const t = s.bucketStart + (k + 1) * bucketMs;
      const lines = k === 0 ? (counts.get(id) ?? 0) : 0;
      if (lines === 0 && t - series.lastActive > idleAfter) break;
      const rate = series.rate;
      const [poissonLo, poissonHi] = poissonBand(Number.isNaN(rate) ? 0 : rate);
      const hi = Math.max(poissonHi, minLines - 1);
      const lo = Math.min(poissonLo, hi);
      if (si < 0) si = addSeries(id, series);
      idx.push(si);
      ts.push(t);
      // The first count only starts the rate: there is no band yet to exceed.
      const excess = Number.isNaN(rate) ? 0 : lines > hi ? lines - hi : lines < lo ? lines - lo : 0;
      val.push(excess);
      inLines.set(`${series.meta.key}@${t}`, {
        lines,
        rate: Number.isNaN(rate) ? 0 : rate,
        lo,
        hi,
      });
      series.rate = Number.isNaN(rate) ? lines : rate + alpha * (lines - rate);
      if (lines > 0) series.lastActive = t;
    }
  }
  // The error ratio of a bucket with fewer than minLines lines says nothing: not scored.
  if (s.lines >= minLines) {
    const si = addSeries(ERROR_RATIO_ID, seriesOf(s, ERROR_RATIO_ID, settings));
    idx.push(si);
    ts.push(s.bucketStart + bucketMs);
    val.push(s.errors / s.lines);
  }
  const order = new Uint32Array(idx.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => (ts[a] ?? 0) - (ts[b] ?? 0) || a - b);
  const ratioSeries = metas.findIndex((m) => m.metric === LogSignals.errorRatio);
  const scored = emptyOutcome();
  scoreSlice(
    (si) => detectors[si] as Detector<unknown>,
    settings.scoring,
    { series: metas, idx, ts, val },
    order,
    0,
    order.length,
    (si) => states[si] as SeriesState<unknown>,
    scored,
    // An error-ratio rise needs minLines error lines behind it.
    (i, v, r) => idx[i] !== ratioSeries || v <= r.expected || s.errors >= minLines,
  );
  out.scored += scored.taken;
  /** Template samples read in lines: the count, the rate, and the band widened by the detector's. */
  const report = <T extends Band & { readonly series: SeriesMeta }>(x: T): T => {
    const l = inLines.get(`${x.series.key}@${x.ts}`);
    if (l === undefined) {
      return { ...x, lower: Math.max(0, x.lower), upper: Math.min(1, x.upper) };
    }
    return {
      ...x,
      value: l.lines,
      expected: l.rate,
      lower: Math.max(0, l.lo + Math.min(0, x.lower)),
      upper: l.hi + Math.max(0, x.upper),
    };
  };
  for (const l of scored.latest.values()) out.latest.set(l.series.key, report(l));
  for (const raw of scored.anomalies) {
    const meta = metas.find((m) => m.key === raw.series) as SeriesMeta;
    const a = report({ ...raw, series: meta });
    const id =
      meta.labels.template_id === undefined ? ERROR_RATIO_ID : Number(meta.labels.template_id);
    const template = id === ERROR_RATIO_ID ? undefined : s.miner.get(id)?.template;
    out.anomalies.push({
      ...a,
      series: raw.series,
      kind: 'log',
      level: id === ERROR_RATIO_ID ? 'error' : (s.levels.get(id) ?? 'info'),
      ...(template === undefined ? {} : { template: clip(template, TEMPLATE_CHARS) }),
      examples: id === ERROR_RATIO_ID ? errorExamples(s) : [...(s.examples.get(id) ?? [])],
    });
  }
  s.counts.clear();
  s.lines = 0;
  s.errors = 0;
  s.newInBucket = 0;
  s.bucketStart = next;
}

interface Band {
  readonly ts: number;
  readonly value: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
}

/** Examples of the error-level templates with the most lines in the bucket. */
function errorExamples(s: ServiceLogState): string[] {
  return [...s.counts.entries()]
    .filter(([id]) => isErrorLevel(s.levels.get(id) ?? 'info'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .flatMap(([id]) => (s.examples.get(id) ?? []).slice(-1));
}

/** A service's log state as stored: JSON; the detector series are stored apart, by key. */
export interface StoredServiceLogState {
  v: 2;
  service: string;
  firstTs: number | null;
  bucketStart: number | null;
  lines: number;
  errors: number;
  newInBucket: number;
  counts: [number, number][];
  levels: [number, string][];
  examples: [number, string[]][];
  /** The miner's state, base64. */
  miner: string;
  /** Per detector series: template id (-1: the error ratio), rate, last active bucket end. */
  series: [id: number, rate: number | null, lastActive: number | null][];
}

/** JSON bytes of a service's log state, without its detector series (see `seriesKeys`). */
export function encodeServiceLogState(s: ServiceLogState): Buffer {
  const state: StoredServiceLogState = {
    v: 2,
    service: s.service,
    firstTs: Number.isFinite(s.firstTs) ? s.firstTs : null,
    bucketStart: Number.isFinite(s.bucketStart) ? s.bucketStart : null,
    lines: s.lines,
    errors: s.errors,
    newInBucket: s.newInBucket,
    counts: [...s.counts],
    levels: [...s.levels],
    examples: [...s.examples],
    miner: Buffer.from(s.miner.encode()).toString('base64'),
    series: [...s.series].map(([id, x]) => [
      id,
      Number.isFinite(x.rate) ? x.rate : null,
      Number.isFinite(x.lastActive) ? x.lastActive : null,
    ]),
  };
  return Buffer.from(JSON.stringify(state));
}

/** The encoded detector states of a service's series, by series key. */
export function encodeLogSeries(
  s: ServiceLogState,
  ids: Iterable<number> = s.series.keys(),
): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const id of ids) {
    const x = s.series.get(id);
    if (x) out.push([x.meta.key, encodeSeriesState(x.detector, x.state)]);
  }
  return out;
}

/** Parses stored bytes; undefined when they are not a service log state (it learns afresh). */
export function parseServiceLogState(bytes: Buffer): StoredServiceLogState | undefined {
  try {
    const raw = JSON.parse(bytes.toString('utf8')) as Partial<StoredServiceLogState>;
    if (raw.v !== 2 || typeof raw.service !== 'string' || typeof raw.miner !== 'string') {
      return undefined;
    }
    if (!Array.isArray(raw.series) || !Array.isArray(raw.counts)) return undefined;
    return raw as StoredServiceLogState;
  } catch {
    return undefined;
  }
}

/** The keys of the detector series a stored state names, in its order. */
export const seriesKeys = (raw: StoredServiceLogState): string[] =>
  raw.series.map(([id]) => seriesMeta(raw.service, id).key);

/**
 * Rebuilds a service's state from its stored form and its series' stored bytes (in
 * `seriesKeys` order; a missing or foreign one starts afresh). Undefined when the miner state
 * does not decode.
 */
export function restoreServiceLogState(
  raw: StoredServiceLogState,
  seriesBytes: readonly (Buffer | null | undefined)[],
  settings: Pick<LogAnalysisSettings, 'templates' | 'detectorOf'>,
): ServiceLogState | undefined {
  let miner: LogTemplateMiner;
  try {
    miner = LogTemplateMiner.decode(Buffer.from(raw.miner, 'base64'), settings.templates);
  } catch {
    return undefined;
  }
  const s: ServiceLogState = {
    service: raw.service,
    miner,
    firstTs: raw.firstTs ?? Number.NaN,
    bucketStart: raw.bucketStart ?? Number.NEGATIVE_INFINITY,
    counts: new Map(raw.counts),
    lines: raw.lines,
    errors: raw.errors,
    newInBucket: raw.newInBucket,
    levels: new Map(raw.levels),
    examples: new Map(raw.examples),
    series: new Map(),
  };
  raw.series.forEach(([id, rate, lastActive], i) => {
    const meta = seriesMeta(s.service, id);
    const detector = settings.detectorOf(meta);
    const bytes = seriesBytes[i];
    const state = (bytes && decodeSeriesState(detector, bytes)) ?? createSeriesState(detector);
    s.series.set(id, {
      meta,
      detector,
      state,
      rate: rate ?? Number.NaN,
      lastActive: lastActive ?? Number.NEGATIVE_INFINITY,
    });
  });
  return s;
}
