/**
 * OTLP metrics (`ExportMetricsServiceRequest`, decoded from protobuf or JSON) to metric samples.
 *
 * | OTLP                                  | samples                                               |
 * | ------------------------------------- | ----------------------------------------------------- |
 * | Gauge                                 | `<name>`, gauge                                       |
 * | Sum, monotonic, cumulative            | `<name>_total`, counter (the detector takes its rate) |
 * | Sum, monotonic, delta                 | `<name>_rate`, value / interval (per second)          |
 * | Sum, not monotonic, cumulative        | `<name>`, gauge (delta: rejected)                     |
 * | Histogram (explicit buckets)          | `<name>_rate` (observations/s) and `<name>_p99`       |
 * | Summary                               | `<name>_p99` from its 0.99 quantile                   |
 * | ExponentialHistogram                  | `<name>_rate` and `<name>_p99`, as a histogram        |
 *
 * Exponential buckets are laid out as explicit ones (histogram-buckets.ts), so the p99 is
 * interpolated linearly inside its bucket as for the others. Names follow prometheus-names.ts;
 * labels and service follow series-labels.ts. Histograms: a delta point is used as it is; a
 * cumulative point minus the stream's previous one (HistogramWindow), or over [start, time]
 * when there is none. A data point without a value, with a NaN or infinite value, without a
 * time or with bad buckets is rejected on its own and counted; a body whose shape is not an
 * export request throws OtlpFormatError.
 */
import { METRIC_NAME, type MetricSample, type RecordLimits } from '../records.js';
import { seriesKey } from '../../queues/series-key.js';
import {
  MAX_EXPLICIT_BOUNDS,
  MAX_EXPONENTIAL_BUCKETS,
  TOO_MANY_BUCKETS,
  explicitBuckets,
  exponentialBuckets,
  type Buckets,
} from './histogram-buckets.js';
import { histogramQuantile } from './histogram-quantile.js';
import type { HistogramDelta, HistogramStreams } from './histogram-window.js';
import {
  OtlpFormatError,
  OtlpTooLargeError,
  addRejection,
  newRejections,
  type OtlpRejections,
} from './otlp-errors.js';
import {
  arrayField,
  attributesOf,
  doubleOf,
  enumOf,
  field,
  int64Of,
  isObject,
  nanosOf,
  nanosToMs,
  objectField,
  stringField,
  type Loose,
} from './otlp-values.js';
import { counterName, prometheusMetricName } from './prometheus-names.js';
import { pointLabels, resourceIdentity, type ResourceIdentity } from './series-labels.js';
import { metaSeriesMessage } from '../meta-series.js';
import { timeProblem, type SentTime } from '../timestamps.js';

export interface OtlpMetricsResult {
  readonly samples: MetricSample[];
  readonly rejections: OtlpRejections;
  /** Data points of meta-series (meta-series.ts): dropped by design, not rejections. */
  dropped: number;
  /** Why the first of them was, for the rejection log. */
  droppedExample?: string;
  /** Data points over the whole request. */
  points: number;
  /** Per sample (same order as `samples`), the index of the data point it came from. */
  readonly pointOf: number[];
}

const Temporality = { Delta: 1, Cumulative: 2 } as const;
const FLAG_NO_RECORDED_VALUE = 1;
const P99 = 0.99;

/** A repeated message field: its elements, each an object; else the body is malformed. */
export function messages(o: Loose, camel: string): readonly Loose[] {
  const list = arrayField(o, camel);
  if (list === undefined || !list.every(isObject)) {
    throw new OtlpFormatError(`${camel} must be a list of objects`);
  }
  return list;
}

interface Context {
  readonly limits: RecordLimits;
  readonly window: HistogramStreams;
  readonly out: OtlpMetricsResult;
}

/**
 * Maps a request of at most `maxPoints` data points; more throw OtlpTooLargeError before any is
 * mapped (`ingest.max_records_per_request`).
 */
export function otlpMetricsToSamples(
  request: unknown,
  limits: RecordLimits,
  window: HistogramStreams,
  maxPoints = Infinity,
): OtlpMetricsResult {
  if (!isObject(request))
    throw new OtlpFormatError('the body must be an ExportMetricsServiceRequest');
  const out: OtlpMetricsResult = {
    samples: [],
    rejections: newRejections(),
    dropped: 0,
    points: 0,
    pointOf: [],
  };
  const ctx: Context = { limits, window, out };
  const metrics: [Loose, ResourceIdentity][] = [];
  let points = 0;
  for (const rm of messages(request, 'resourceMetrics')) {
    const resource = objectField(rm, 'resource');
    const attrs = resource === undefined ? new Map<string, string>() : attributesOf(resource);
    if (attrs === undefined) throw new OtlpFormatError('resource.attributes must be a list');
    const identity = resourceIdentity(attrs);
    for (const sm of messages(rm, 'scopeMetrics')) {
      for (const m of messages(sm, 'metrics')) {
        metrics.push([m, identity]);
        const kind = KINDS.find((k) => objectField(m, k) !== undefined);
        const list =
          kind === undefined ? [] : arrayField(objectField(m, kind) as Loose, 'dataPoints');
        points += list?.length ?? 0;
      }
    }
  }
  if (points > maxPoints) {
    throw new OtlpTooLargeError(
      `the body holds ${points} data points, more than ${maxPoints} (ingest.max_records_per_request); split it`,
    );
  }
  for (const [m, identity] of metrics) mapMetric(m, identity, ctx);
  return out;
}

const KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

function mapMetric(m: Loose, resource: ResourceIdentity, ctx: Context): void {
  const kind = KINDS.find((k) => objectField(m, k) !== undefined);
  if (kind === undefined) return; // no data: nothing to take
  const data = objectField(m, kind) as Loose;
  const points = messages(data, 'dataPoints');
  const r = ctx.out.rejections;
  const first = ctx.out.points;
  ctx.out.points += points.length;
  const raw = stringField(m, 'name') ?? '';
  const name = prometheusMetricName(raw);
  if (raw === '' || name.length > 256 || !METRIC_NAME.test(name)) {
    addRejection(
      r,
      'invalid_name',
      `metric name ${JSON.stringify(raw.slice(0, 64))} is not valid`,
      points.length,
    );
    return;
  }
  // The job as Prometheus' OTLP translation makes it: namespace/service, else the service.
  const meta = ctx.limits.metaSeries?.why(name, resource.job ?? resource.service);
  if (meta !== undefined) {
    ctx.out.dropped += points.length;
    ctx.out.droppedExample ??= metaSeriesMessage(name, meta);
    return;
  }
  const temporality = enumOf(field(data, 'aggregationTemporality')) ?? 0;
  const monotonic = field(data, 'isMonotonic') === true;
  for (const [i, p] of points.entries()) {
    const attrs = attributesOf(p);
    if (attrs === undefined) {
      addRejection(r, 'invalid_attributes', `${name}: attributes must be a list of KeyValue`);
      continue;
    }
    const time = field(p, 'timeUnixNano');
    const ts = nanosToMs(time);
    const badTime = pointTimeProblem(time, ts, ctx.limits);
    if (ts === undefined || badTime !== undefined) {
      addRejection(r, 'invalid_timestamp', `${name}: ${badTime ?? 'timeUnixNano is out of range'}`);
      continue;
    }
    const labelled = pointLabels(resource, attrs, ctx.limits);
    if (!labelled.ok) {
      addRejection(r, labelled.reason, `${name}: ${labelled.message}`);
      continue;
    }
    const point: Point = {
      name,
      ts,
      tsNs: nanosOf(field(p, 'timeUnixNano')) ?? ts * 1e6,
      startNs: nanosOf(field(p, 'startTimeUnixNano')),
      service: labelled.service,
      labels: labelled.labels,
      raw: p,
      index: first + i,
    };
    // A point flagged without a recorded value (a stale marker) is normal data: nothing to take.
    if ((int64Of(field(p, 'flags')) ?? 0) & FLAG_NO_RECORDED_VALUE) continue;
    if (kind === 'gauge') numberPoint(point, ctx, (v) => [name, false, v]);
    else if (kind === 'sum') sumPoint(point, monotonic, temporality, ctx);
    else if (kind === 'histogram') {
      histogramPoint(point, temporality, ctx, explicitBuckets(p));
    } else if (kind === 'exponentialHistogram') {
      histogramPoint(point, temporality, ctx, exponentialBuckets(p));
    } else summaryPoint(point, ctx);
  }
}

/** Why a data point's `timeUnixNano` is refused (missing, another unit, out of bounds). */
function pointTimeProblem(
  raw: unknown,
  ms: number | undefined,
  limits: RecordLimits,
): string | undefined {
  const count = typeof raw === 'string' && /^\d{1,20}$/.test(raw) ? Number(raw) : raw;
  if (typeof count !== 'number' || !Number.isFinite(count) || count === 0) {
    return 'timeUnixNano is missing';
  }
  const t: SentTime = {
    field: 'timeUnixNano',
    raw: typeof raw === 'string' ? raw : count,
    count,
    unit: 'nanoseconds',
    ms: ms ?? count / 1e6,
  };
  return timeProblem(t, limits.times);
}

interface Point {
  readonly name: string;
  /** Time, epoch ms. */
  readonly ts: number;
  /** Time and start time, unix ns (for intervals). */
  readonly tsNs: number;
  readonly startNs: number | undefined;
  readonly service: string;
  readonly labels: Record<string, string>;
  readonly raw: Loose;
  /** The point's index over the request. */
  readonly index: number;
}

function push(ctx: Context, p: Point, metric: string, counter: boolean, value: number): void {
  ctx.out.samples.push({
    kind: 'metric',
    series: {
      key: seriesKey(metric, p.labels),
      metric,
      service: p.service,
      labels: p.labels,
      counter,
    },
    ts: p.ts,
    value,
  });
  ctx.out.pointOf.push(p.index);
}

/** A number point's value through `as` (series name, counter, value), or a rejection. */
function numberPoint(
  p: Point,
  ctx: Context,
  as: (value: number) => [string, boolean, number] | string,
): void {
  const r = ctx.out.rejections;
  const value = doubleOf(field(p.raw, 'asDouble')) ?? int64Of(field(p.raw, 'asInt'));
  if (value === undefined) {
    addRejection(r, 'missing_value', `${p.name}: the point has no value`);
    return;
  }
  if (Number.isNaN(value)) {
    addRejection(r, 'nan_value', `${p.name}: the value is NaN`);
    return;
  }
  if (!Number.isFinite(value)) {
    addRejection(r, 'invalid_value', `${p.name}: the value ${value} is not finite`);
    return;
  }
  const mapped = as(value);
  if (typeof mapped === 'string') {
    addRejection(r, mapped, `${p.name}: ${reasonText[mapped] ?? mapped}`);
    return;
  }
  push(ctx, p, ...mapped);
}

const reasonText: Record<string, string> = {
  missing_start_time: 'a delta point needs startTimeUnixNano',
  empty_interval: 'a delta point needs startTimeUnixNano before timeUnixNano',
  invalid_temporality: 'aggregationTemporality must be 1 (delta) or 2 (cumulative)',
  unsupported_temporality: 'a non-monotonic delta sum is not taken (send it cumulative)',
};

function sumPoint(p: Point, monotonic: boolean, temporality: number, ctx: Context): void {
  numberPoint(p, ctx, (v) => {
    // A delta of an up-down counter is a change, not a level: without the running total it
    // cannot be stored as the gauge the cumulative form is (Prometheus drops these too).
    if (!monotonic)
      return temporality === Temporality.Delta ? 'unsupported_temporality' : [p.name, false, v];
    if (temporality === Temporality.Cumulative) return [counterName(p.name), true, v];
    if (temporality !== Temporality.Delta) return 'invalid_temporality';
    if (p.startNs === undefined) return 'missing_start_time';
    if (p.startNs >= p.tsNs) return 'empty_interval';
    return [`${p.name}_rate`, false, v / ((p.tsNs - p.startNs) / 1e9)];
  });
}

function histogramPoint(
  p: Point,
  temporality: number,
  ctx: Context,
  buckets: Buckets | typeof TOO_MANY_BUCKETS | undefined,
): void {
  const r = ctx.out.rejections;
  if (buckets === TOO_MANY_BUCKETS) {
    addRejection(
      r,
      TOO_MANY_BUCKETS,
      `${p.name}: more than ${MAX_EXPLICIT_BOUNDS} explicit bounds or ${MAX_EXPONENTIAL_BUCKETS} exponential buckets a side`,
    );
    return;
  }
  if (buckets === undefined) {
    addRejection(
      r,
      'invalid_histogram',
      `${p.name}: the buckets are not valid (counts one longer than the bounds, bounds increasing)`,
    );
    return;
  }
  const point = { ts: p.tsNs, start: p.startNs, ...buckets };
  let delta: HistogramDelta | undefined;
  if (temporality === Temporality.Delta) {
    if (p.startNs === undefined || p.startNs >= p.tsNs) {
      const bad = p.startNs === undefined ? 'missing_start_time' : 'empty_interval';
      addRejection(r, bad, `${p.name}: ${reasonText[bad] ?? ''}`);
      return;
    }
    delta = { seconds: (p.tsNs - p.startNs) / 1e9, counts: point.counts };
  } else if (temporality === Temporality.Cumulative) {
    delta = ctx.window.next(seriesKey(p.name, p.labels), point);
  } else {
    addRejection(r, 'invalid_temporality', `${p.name}: ${reasonText.invalid_temporality ?? ''}`);
    return;
  }
  if (delta === undefined || delta.seconds <= 0) return; // primes the window: the next point counts
  const observations = delta.counts.reduce((a, b) => a + b, 0);
  push(ctx, p, `${p.name}_rate`, false, observations / delta.seconds);
  const p99 = histogramQuantile(P99, point.bounds, delta.counts);
  if (p99 !== undefined) push(ctx, p, `${p.name}_p99`, false, p99);
}

function summaryPoint(p: Point, ctx: Context): void {
  const q = messages(p.raw, 'quantileValues').find(
    (v) => Math.abs((doubleOf(field(v, 'quantile')) ?? -1) - P99) < 1e-9,
  );
  const value = q === undefined ? undefined : doubleOf(field(q, 'value'));
  if (value === undefined) {
    addRejection(
      ctx.out.rejections,
      'summary_without_p99',
      `${p.name}: the summary has no 0.99 quantile`,
    );
    return;
  }
  // An SDK reports NaN quantiles for a window without observations: nothing to take.
  if (Number.isNaN(value)) return;
  if (!Number.isFinite(value)) {
    addRejection(ctx.out.rejections, 'invalid_value', `${p.name}: the 0.99 quantile is not finite`);
    return;
  }
  push(ctx, p, `${p.name}_p99`, false, value);
}
