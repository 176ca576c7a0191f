/**
 * The replay/ingest record format (DESIGN.md contract 1), parsed and validated:
 * - metric: `{"ts": <epoch ms | RFC 3339>, "metric": "<name>", "labels": {...}, "value": <number>}`
 *   (optional `"type": "counter" | "gauge"`)
 * - log: `{"ts": ..., "service": "auth", "level": "error", "message": "...", "labels": {...}}`
 * Pure: no I/O. Each problem becomes a rejection with a bounded `reason` and a message that
 * names the field and the bad value.
 */
import type { LogRecord, SeriesMeta } from '../queues/contract.js';
import { isCounterName, seriesKey } from '../queues/series-key.js';
import {
  metaSeriesFilter,
  metaSeriesMessage,
  type MetaSeriesFilter,
  type MetaSeriesSettings,
} from './meta-series.js';
import { MAX_TS, MIN_TS, timeProblem, type TimeWindow } from './timestamps.js';

export { MAX_TS, MIN_TS };

export interface RecordLimits {
  readonly serviceLabels: readonly string[];
  readonly maxLabels: number;
  readonly maxLabelNameLength: number;
  readonly maxLabelValueLength: number;
  /** Meta-series that are dropped (meta-series.ts); none dropped when unset. */
  readonly metaSeries?: MetaSeriesFilter | undefined;
  /** Live ingest's clock: times too far ahead of it are refused. Unset offline (replay). */
  readonly times?: TimeWindow | undefined;
}

export interface MetricSample {
  readonly kind: 'metric';
  readonly series: SeriesMeta;
  readonly ts: number;
  readonly value: number;
}

export interface LogSample {
  readonly kind: 'log';
  readonly record: LogRecord;
}

export const RejectReason = {
  InvalidJson: 'invalid_json',
  InvalidRecord: 'invalid_record',
  InvalidName: 'invalid_name',
  InvalidValue: 'invalid_value',
  /** A NaN value (not a staleness marker): normal in Prometheus data, nothing to score. */
  NanValue: 'nan_value',
  InvalidTimestamp: 'invalid_timestamp',
  MissingService: 'missing_service',
  TooManyLabels: 'too_many_labels',
  LabelTooLong: 'label_too_long',
  /** Prometheus' or the worker's own series (meta-series.ts): dropped by design, not an error. */
  MetaSeries: 'meta_series',
} as const;

/** Records dropped by design rather than refused: counted, never answered as an error. */
export const isDropReason = (reason: string): boolean => reason === RejectReason.MetaSeries;

/** Rejections that are normal data rather than a sender's mistake: counted, not warned about. */
export const isRoutineRejection = (reason: string): boolean =>
  reason === RejectReason.NanValue || isDropReason(reason);
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

export interface Rejection {
  readonly reason: RejectReason;
  readonly message: string;
}

export type ParseResult =
  | { readonly ok: true; readonly sample: MetricSample | LogSample }
  | { readonly ok: false; readonly rejection: Rejection };

export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Prometheus label names, plus dots for OpenTelemetry attribute names such as `service.name`. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_.]*$/;
const MAX_MESSAGE = 64 * 1024;

const reject = (reason: RejectReason, message: string): ParseResult => ({
  ok: false,
  rejection: { reason, message },
});

/** A short description of a bad value for an error message; never serialises a whole tree. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `a ${typeof v}`;
}

const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** `ts` as written: epoch milliseconds (number or digit string) or an RFC 3339 string. */
function readTimestamp(raw: unknown): { ms: number; count?: number } | undefined {
  if (typeof raw === 'number') return { ms: raw, count: raw };
  if (typeof raw === 'string' && /^\d+$/.test(raw)) return { ms: Number(raw), count: Number(raw) };
  if (typeof raw === 'string' && RFC_3339.test(raw))
    return { ms: Date.parse(raw.replace(' ', 'T')) };
  return undefined;
}

/**
 * Parses `ts` (epoch ms, a digit string, or an RFC 3339 string) leniently: any time from 1970 to
 * 2200. For offline readers (CSV files); records go through `parseRecord`, which says why.
 */
export function parseTimestamp(raw: unknown): number | undefined {
  const ms = readTimestamp(raw)?.ms;
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || ms > MAX_TS) return undefined;
  return ms;
}

type TimeResult =
  { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly message: string };

/**
 * A record's `ts`, or why it is refused: not a time, in another unit than milliseconds, before
 * 2001-09-09, or (live) too far ahead of the clock (timestamps.ts).
 */
export function recordTime(raw: unknown, window?: TimeWindow): TimeResult {
  const read = readTimestamp(raw);
  if (read === undefined || !Number.isFinite(read.ms)) {
    return {
      ok: false,
      message: `ts must be epoch milliseconds or an RFC 3339 time, got ${show(raw)}`,
    };
  }
  const problem = timeProblem(
    {
      field: 'ts',
      raw: raw as number | string,
      count: read.count,
      unit: 'milliseconds',
      ms: read.ms,
    },
    window,
  );
  return problem === undefined ? { ok: true, ms: read.ms } : { ok: false, message: problem };
}

type LabelsResult =
  | { readonly ok: true; readonly labels: Record<string, string> }
  | { readonly ok: false; readonly rejection: Rejection };

const fail = (reason: RejectReason, message: string): LabelsResult => ({
  ok: false,
  rejection: { reason, message },
});

function parseLabels(raw: unknown, limits: RecordLimits): LabelsResult {
  if (raw === undefined || raw === null) return { ok: true, labels: {} };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return fail('invalid_record', `labels must be an object of strings, got ${show(raw)}`);
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > limits.maxLabels) {
    return fail(
      'too_many_labels',
      `${entries.length} labels, more than the limit of ${limits.maxLabels}`,
    );
  }
  const labels: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (name.length > limits.maxLabelNameLength) {
      return fail(
        'label_too_long',
        `label name ${show(name)} is longer than ${limits.maxLabelNameLength} characters`,
      );
    }
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      return fail('invalid_name', `invalid label name ${show(name)}`);
    }
    if (typeof value !== 'string') {
      return fail('invalid_record', `label ${name} must be a string, got ${show(value)}`);
    }
    if (value.length > limits.maxLabelValueLength) {
      return fail(
        'label_too_long',
        `label ${name} value is longer than ${limits.maxLabelValueLength} characters`,
      );
    }
    if (value !== '') labels[name] = value; // Prometheus: an empty label value means no label
  }
  return { ok: true, labels };
}

function serviceOf(labels: Record<string, string>, limits: RecordLimits): string | undefined {
  for (const name of limits.serviceLabels) {
    const v = labels[name];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Validates one decoded JSON value as a metric or log record. */
export function parseRecord(raw: unknown, limits: RecordLimits): ParseResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return reject('invalid_record', `a record must be a JSON object, got ${show(raw)}`);
  }
  const r = raw as Record<string, unknown>;
  const time = recordTime(r.ts, limits.times);
  if (!time.ok) return reject('invalid_timestamp', time.message);
  const ts = time.ms;
  const parsed = parseLabels(r.labels, limits);
  if (!parsed.ok) return parsed;
  const labelMap = parsed.labels;

  if ('metric' in r) return parseMetric(r, ts, labelMap, limits);
  if ('message' in r) return parseLog(r, ts, labelMap, limits);
  return reject('invalid_record', 'a record needs "metric" and "value", or "message" (a log)');
}

function parseMetric(
  r: Record<string, unknown>,
  ts: number,
  labels: Record<string, string>,
  limits: RecordLimits,
): ParseResult {
  const metric = r.metric;
  if (typeof metric !== 'string' || !METRIC_NAME.test(metric) || metric.length > 256) {
    return reject(
      'invalid_name',
      `metric must match [a-zA-Z_:][a-zA-Z0-9_:]*, got ${show(metric)}`,
    );
  }
  // Before the service check: most meta-series (ALERTS, ...) have no service label.
  const meta = limits.metaSeries?.why(metric, labels.job);
  if (meta !== undefined) return reject('meta_series', metaSeriesMessage(metric, meta));
  const value = r.value;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return reject(
      'invalid_value',
      `value of ${metric} must be a finite number, got ${show(value)}`,
    );
  }
  if (r.type !== undefined && r.type !== 'counter' && r.type !== 'gauge') {
    return reject('invalid_record', `type must be "counter" or "gauge", got ${show(r.type)}`);
  }
  const service = serviceOf(labels, limits);
  if (service === undefined) {
    return reject(
      'missing_service',
      `${metric} has none of the service labels (${limits.serviceLabels.join(', ')})`,
    );
  }
  const counter = r.type === 'counter' || (r.type === undefined && isCounterName(metric));
  return {
    ok: true,
    sample: {
      kind: 'metric',
      series: { key: seriesKey(metric, labels), metric, service, labels, counter },
      ts,
      value,
    },
  };
}

function parseLog(
  r: Record<string, unknown>,
  ts: number,
  labels: Record<string, string>,
  limits: RecordLimits,
): ParseResult {
  if (typeof r.message !== 'string') {
    return reject('invalid_record', `message must be a string, got ${show(r.message)}`);
  }
  if (r.message.length > MAX_MESSAGE) {
    return reject('label_too_long', `message is longer than ${MAX_MESSAGE} characters`);
  }
  const service =
    typeof r.service === 'string' && r.service !== '' ? r.service : serviceOf(labels, limits);
  if (service === undefined) {
    return reject('missing_service', 'a log record needs "service" or a service label');
  }
  if (service.length > limits.maxLabelValueLength) {
    return reject(
      'label_too_long',
      `service is longer than ${limits.maxLabelValueLength} characters`,
    );
  }
  const level =
    typeof r.level === 'string' && r.level !== '' ? r.level.toLowerCase().slice(0, 16) : 'info';
  return {
    ok: true,
    sample: { kind: 'log', record: { ts, service, level, message: r.message, labels } },
  };
}

/**
 * The record limits of the `ingest` config section, meta-series included (replay drops them as
 * live ingest does). Without a time window: live ingest adds its own (start-ingest.ts).
 */
export function limitsFromConfig(
  ingest: {
    readonly service_labels: readonly string[];
    readonly max_labels_per_series: number;
    readonly max_label_name_length: number;
    readonly max_label_value_length: number;
  } & Partial<MetaSeriesSettings>,
): RecordLimits {
  return {
    serviceLabels: ingest.service_labels,
    maxLabels: ingest.max_labels_per_series,
    maxLabelNameLength: ingest.max_label_name_length,
    maxLabelValueLength: ingest.max_label_value_length,
    metaSeries: metaSeriesFilter({
      drop_meta_series: ingest.drop_meta_series ?? true,
      keep_meta_series: ingest.keep_meta_series ?? [],
    }),
  };
}
