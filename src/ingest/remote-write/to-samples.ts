/**
 * Turns decoded remote_write series into metric samples, validating each series as the spec
 * asks (a `__name__`, valid label names, no empty or duplicate names) and by the record limits.
 * A bad series is rejected on its own; the rest are kept. Meta-series (meta-series.ts) are
 * dropped before the service is looked for. Staleness markers (the special NaN) end a series:
 * they are counted, not scored. Counters are typed by the request's metadata when present (a
 * COUNTER family, a HISTOGRAM or SUMMARY's `_bucket`/`_count`/`_sum`), else by the name's
 * suffix as for every other record.
 */
import {
  LABEL_NAME,
  METRIC_NAME,
  MIN_TS,
  RejectReason,
  type MetricSample,
  type RecordLimits,
} from '../records.js';
import type { SeriesMeta } from '../../queues/contract.js';
import type { FamilyMeta } from '../../queues/metric-families.js';
import { isCounterName, seriesKey } from '../../queues/series-key.js';
import { metaSeriesMessage } from '../meta-series.js';
import { latestTaken, timeProblem } from '../timestamps.js';
import { MetricType, type DecodedWriteRequest } from './write-request.js';

/**
 * Reasons that mean the request breaks the remote_write spec (label and metric names, repeated
 * labels): the spec asks for a 400 ("invalid samples"). Every other reason is the worker's own
 * policy or limit about a valid sample (no service, a meta-series, too many labels, a series
 * limit): counted, and the request is still a success.
 */
const SPEC_INVALID: ReadonlySet<string> = new Set([
  RejectReason.InvalidName,
  RejectReason.InvalidRecord,
]);

/** Whether a series rejected for `reason` makes the request invalid under the spec. */
export const breaksSpec = (reason: string): boolean => SPEC_INVALID.has(reason);

export interface SeriesRejection {
  readonly reason: string;
  readonly message: string;
  /** Samples the series carried. */
  readonly samples: number;
}

export interface ConvertedRequest {
  readonly samples: MetricSample[];
  readonly rejections: SeriesRejection[];
  /** Staleness markers seen (series ended). */
  stale: number;
  /** NaN samples dropped (not staleness markers): normal in Prometheus data. */
  nan: number;
  /** The first of them (names its series), for the rejection log. */
  nanExample?: string;
  /** Infinite samples dropped. */
  invalid: number;
  /** What was wrong with the first of them (names its series), for the rejection log. */
  invalidExample?: string;
  /** Samples with a time out of bounds (timestamps.ts), dropped. */
  badTime: number;
  /** Why the first of them was (names its series), for the rejection log. */
  badTimeExample?: string;
  /** Native histogram samples (not scored). */
  histograms: number;
}

function counterOf(metric: string, metadata: ReadonlyMap<string, number>): boolean {
  const own = metadata.get(metric);
  if (own !== undefined) return own === MetricType.Counter;
  for (const suffix of ['_bucket', '_count', '_sum', '_total']) {
    if (!metric.endsWith(suffix)) continue;
    const family = metadata.get(metric.slice(0, -suffix.length));
    if (family === MetricType.Counter) return true;
    if (family === MetricType.Histogram || family === MetricType.Summary)
      return suffix !== '_total';
    if (family === MetricType.Gauge || family === MetricType.GaugeHistogram) return false;
  }
  return isCounterName(metric);
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [MetricType.Counter]: 'counter',
  [MetricType.Gauge]: 'gauge',
  [MetricType.Histogram]: 'histogram',
  [MetricType.GaugeHistogram]: 'gaugehistogram',
  [MetricType.Summary]: 'summary',
  [MetricType.Info]: 'info',
  [MetricType.Stateset]: 'stateset',
};

/**
 * The families the request's metadata types, with their units: what a signal's kind reads
 * (Prometheus sends metadata in requests of their own, so it is kept apart from samples).
 */
export function familiesOf(req: DecodedWriteRequest): Map<string, FamilyMeta> {
  const out = new Map<string, FamilyMeta>();
  for (const [family, type] of req.metadata) {
    const name = TYPE_NAMES[type];
    if (name !== undefined) out.set(family, { type: name, unit: req.units.get(family) });
  }
  return out;
}

export function toSamples(req: DecodedWriteRequest, limits: RecordLimits): ConvertedRequest {
  const out: ConvertedRequest = {
    samples: [],
    rejections: [],
    stale: 0,
    nan: 0,
    invalid: 0,
    badTime: 0,
    histograms: 0,
  };
  const latest = latestTaken(limits.times);
  for (const s of req.series) {
    out.histograms += s.histograms;
    const problem = validated(s.labels, limits);
    if ('reason' in problem) {
      out.rejections.push({ ...problem, samples: s.values.length });
      continue;
    }
    // Without metadata the type is the name's, which validation already worked out.
    const counter =
      req.metadata.size === 0 ? problem.meta.counter : counterOf(problem.metric, req.metadata);
    const meta = counter === problem.meta.counter ? problem.meta : { ...problem.meta, counter };
    // Staleness marker indices come in increasing order: walk them alongside the samples.
    const stale = s.stale;
    let nextStale = 0;
    for (let i = 0; i < s.values.length; i++) {
      const value = s.values[i] as number;
      const ts = s.timestamps[i] as number;
      if (nextStale < stale.length && stale[nextStale] === i) {
        nextStale += 1;
        out.stale += 1;
        continue;
      }
      if (!(ts >= MIN_TS && ts <= latest)) {
        out.badTime += 1;
        out.badTimeExample ??= `${meta.key}: ${
          timeProblem(
            { field: 'timestamp', raw: ts, count: ts, unit: 'milliseconds', ms: ts },
            limits.times,
          ) ?? `the timestamp ${ts} is out of range`
        }`;
        continue;
      }
      if (!Number.isFinite(value)) {
        if (Number.isNaN(value)) {
          out.nan += 1;
          out.nanExample ??= `${meta.key}: the value is NaN`;
        } else {
          out.invalid += 1;
          out.invalidExample ??= `${meta.key}: the value ${value} is not finite`;
        }
        continue;
      }
      out.samples.push({ kind: 'metric', series: meta, ts, value });
    }
  }
  return out;
}

interface ValidSeries {
  readonly metric: string;
  /** The series as batches name it; `counter` as its name says (metadata may override). */
  readonly meta: SeriesMeta;
}

type Checked = ValidSeries | { readonly reason: string; readonly message: string };

/**
 * Validation results by label array: the decoder hands out one frozen array per distinct label
 * set, so a series seen before (every scrape sends it again) is not checked again.
 */
const checkedByLimits = new WeakMap<RecordLimits, WeakMap<readonly string[], Checked>>();

/** The cache of the limits used last (one set per service): skips a WeakMap lookup. */
let lastLimits: RecordLimits | undefined;
let lastCache = new WeakMap<readonly string[], Checked>();

function validated(pairs: readonly string[], limits: RecordLimits): Checked {
  let cache = lastCache;
  if (limits !== lastLimits) {
    cache = checkedByLimits.get(limits) ?? new WeakMap();
    checkedByLimits.set(limits, cache);
    lastLimits = limits;
    lastCache = cache;
  }
  let checked = cache.get(pairs);
  if (checked === undefined) {
    checked = seriesProblem(pairs, limits);
    if (Object.isFrozen(pairs)) cache.set(pairs, checked);
  }
  return checked;
}

/** The series' name, labels and service, or why it is rejected. */
function seriesProblem(pairs: readonly string[], limits: RecordLimits): Checked {
  const labels: Record<string, string> = {};
  let metric: string | undefined;
  let count = 0;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i] as string;
    const value = pairs[i + 1] as string;
    if (name === '__name__') {
      metric = value;
      continue;
    }
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      return {
        reason: 'invalid_name',
        message: `label name ${JSON.stringify(name.slice(0, 64))} is not valid`,
      };
    }
    if (name.length > limits.maxLabelNameLength || value.length > limits.maxLabelValueLength) {
      return {
        reason: 'label_too_long',
        message: `label ${name.slice(0, 64)} is longer than the limits`,
      };
    }
    if (value === '') continue; // an empty value is the same as no label
    if (name in labels) return { reason: 'invalid_record', message: `label ${name} appears twice` };
    labels[name] = value;
    count += 1;
  }
  if (metric === undefined || !METRIC_NAME.test(metric) || metric.length > 256) {
    return {
      reason: 'invalid_name',
      message:
        metric === undefined
          ? 'a series has no __name__ label'
          : `metric name ${JSON.stringify(metric.slice(0, 64))} is not valid`,
    };
  }
  // Before the service check: most meta-series (ALERTS, ...) have no service label.
  const meta = limits.metaSeries?.why(metric, labels.job);
  if (meta !== undefined) {
    return { reason: RejectReason.MetaSeries, message: metaSeriesMessage(metric, meta) };
  }
  if (count > limits.maxLabels) {
    return {
      reason: 'too_many_labels',
      message: `${metric} has ${count} labels, more than ${limits.maxLabels}`,
    };
  }
  const service = limits.serviceLabels.map((l) => labels[l]).find((v) => v !== undefined);
  if (service === undefined) {
    return {
      reason: 'missing_service',
      message: `${metric} has none of the service labels (${limits.serviceLabels.join(', ')})`,
    };
  }
  return {
    metric,
    meta: {
      key: seriesKey(metric, labels),
      metric,
      service,
      labels,
      counter: isCounterName(metric),
    },
  };
}
