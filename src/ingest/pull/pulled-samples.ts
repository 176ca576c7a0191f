/**
 * Turns what a pull brought back (scraped exposition samples, query_range matrices) into the
 * same validated MetricSamples the push routes queue. Each series goes through `parseRecord`
 * once, so names, labels and the service are checked exactly as for pushed records; each
 * sample's value must be finite and its time in range. A bad sample (or series) is rejected on
 * its own with a reason, and the rest are kept.
 */
import { isCounterName } from '../../queues/series-key.js';
import type { SeriesMeta } from '../../queues/contract.js';
import {
  MIN_TS,
  RejectReason,
  parseRecord,
  type MetricSample,
  type RecordLimits,
} from '../records.js';
import type { FamilyMeta } from '../../queues/metric-families.js';
import { latestTaken } from '../timestamps.js';
import { parseFloatValue, type ExposedSample } from './exposition.js';

/** Where samples were pulled from: what the configuration adds to them. */
export interface PullOrigin {
  /** The service of series that carry none of the service labels. */
  readonly service?: string | undefined;
  /** Labels added to every series (they win over pulled labels of the same name). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

export interface PulledSamples {
  readonly samples: MetricSample[];
  /** Rejected samples by reason (the `aiops_ingest_rejected_total` reasons). */
  readonly rejected: Map<string, number>;
  /** `_created` samples skipped: they are start times, not values to score. */
  created: number;
  /** The latest time taken (timestamps.ts: live ingest refuses times too far ahead). */
  readonly latest: number;
  /** The families `# TYPE` typed, with their `# UNIT`: what a signal's kind reads. */
  readonly families: Map<string, FamilyMeta>;
}

/** One series' matrix of a query_range answer: `values` are `[unix seconds, "value"]`. */
export interface MatrixSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: readonly (readonly [number, string])[];
}

function emptyResult(limits: RecordLimits): PulledSamples {
  return {
    samples: [],
    rejected: new Map(),
    created: 0,
    latest: latestTaken(limits.times),
    families: new Map(),
  };
}

type SeriesCheck =
  | { readonly ok: true; readonly series: SeriesMeta }
  | { readonly ok: false; readonly reason: string };

/** Validates a series once (name, labels, service) as `parseRecord` does for every record. */
function checkSeries(
  metric: string,
  pulled: Readonly<Record<string, string>>,
  counter: boolean,
  origin: PullOrigin,
  limits: RecordLimits,
): SeriesCheck {
  const labels: Record<string, string> = { ...pulled, ...origin.labels };
  const serviceLabel = limits.serviceLabels[0];
  if (
    origin.service !== undefined &&
    serviceLabel !== undefined &&
    !limits.serviceLabels.some((l) => (labels[l] ?? '') !== '')
  ) {
    labels[serviceLabel] = origin.service;
  }
  const r = parseRecord(
    // Only the series is checked here: any time it takes will do.
    { ts: MIN_TS, metric, labels, value: 0, type: counter ? 'counter' : 'gauge' },
    limits,
  );
  if (!r.ok) return { ok: false, reason: r.rejection.reason };
  if (r.sample.kind !== 'metric') return { ok: false, reason: RejectReason.InvalidRecord };
  return { ok: true, series: r.sample.series };
}

function reject(out: PulledSamples, reason: string, n = 1): void {
  out.rejected.set(reason, (out.rejected.get(reason) ?? 0) + n);
}

/**
 * Adds one sample of a valid series: its time must be in range and its value finite (a NaN is
 * counted as routine; `undefined`, a value that did not parse, as invalid).
 */
function add(out: PulledSamples, series: SeriesMeta, ts: number, value: number | undefined): void {
  if (!(ts >= MIN_TS && ts <= out.latest)) reject(out, RejectReason.InvalidTimestamp);
  else if (value === undefined) reject(out, RejectReason.InvalidValue);
  else if (Number.isNaN(value)) reject(out, RejectReason.NanValue);
  else if (!Number.isFinite(value)) reject(out, RejectReason.InvalidValue);
  else out.samples.push({ kind: 'metric', series, ts, value });
}

/** Whether a scraped sample is a monotonic counter, from its family's type. */
export function isCounterSample(s: ExposedSample): boolean {
  switch (s.type) {
    case 'counter':
      return true;
    case 'histogram':
    case 'summary':
      return s.name !== s.family; // _bucket, _count, _sum; a summary's quantiles are gauges
    case 'untyped':
      return isCounterName(s.name);
    default:
      return false;
  }
}

/** Scraped samples: a sample without a timestamp takes the scrape's time. */
export function exposedToSamples(
  exposed: readonly ExposedSample[],
  scrapeMs: number,
  origin: PullOrigin,
  limits: RecordLimits,
): PulledSamples {
  const out = emptyResult(limits);
  // The text format has no _created: client libraries expose it as a gauge family of its own
  // (foo_created beside counter foo_total). A start time is not a signal either way.
  const startTimeOf = new Set<string>();
  for (const s of exposed) {
    if (s.type === 'counter' || s.type === 'histogram' || s.type === 'summary') {
      startTimeOf.add(`${s.family.replace(/_total$/, '')}_created`);
    }
    if (s.type !== 'untyped' && !out.families.has(s.family)) {
      out.families.set(s.family, { type: s.type, unit: s.unit });
    }
  }
  for (const s of exposed) {
    if (s.name.endsWith('_created') && (s.name !== s.family || startTimeOf.has(s.name))) {
      out.created += 1;
      continue;
    }
    const checked = checkSeries(s.name, s.labels, isCounterSample(s), origin, limits);
    if (checked.ok) add(out, checked.series, s.ts ?? scrapeMs, s.value);
    else reject(out, checked.reason);
  }
  return out;
}

/**
 * A query_range matrix. A series without `__name__` (the result of a function or an
 * aggregation) takes the query's name as its metric name.
 */
export function matrixToSamples(
  series: readonly MatrixSeries[],
  queryName: string,
  origin: PullOrigin,
  limits: RecordLimits,
): PulledSamples {
  const out = emptyResult(limits);
  for (const s of series) {
    const { __name__: name, ...labels } = s.metric;
    const metric = name ?? queryName;
    const checked = checkSeries(metric, labels, isCounterName(metric), origin, limits);
    if (!checked.ok) {
      reject(out, checked.reason, s.values.length);
      continue;
    }
    for (const [seconds, raw] of s.values) {
      add(out, checked.series, Math.round(seconds * 1000), parseFloatValue(raw));
    }
  }
  return out;
}
