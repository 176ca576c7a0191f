/**
 * Queue names, job names and payload types: the one module through which the stages talk.
 * Payloads are JSON (BullMQ serialises job data); batches are columnar to stay compact.
 */

export const QueueNames = {
  /** Metric sample batches, one queue per partition, worked one job at a time. */
  samples: (partition: number) => `samples.${partition}`,
  /** Log record batches, one queue per partition (by service). */
  logs: (partition: number) => `logs.${partition}`,
  /** Anomaly events from every detector, consumed by the correlator. */
  anomalies: 'anomalies',
  /** Notification work: Alertmanager syncs (and, later, direct receivers). */
  notify: 'notify',
  /** Pull runs (query_range readers, scrape targets), created by job schedulers. */
  pull: 'pull',
} as const;

export const JobNames = {
  SampleBatch: 'sample-batch',
  LogBatch: 'log-batch',
  Anomaly: 'anomaly',
  PullQuery: 'pull-query',
  PullScrape: 'pull-scrape',
} as const;

/** A pull run: which configured query or scrape target to run (by name). */
export type PullJob = (
  | { readonly kind: 'query'; readonly source: string; readonly query: string }
  | { readonly kind: 'scrape'; readonly target: string }
) & {
  /** Times a process without this source in its configuration handed the run back. */
  readonly handedBack?: number;
  /** When it was first handed back (ms). */
  readonly handedBackAt?: number;
};

/** One series as a batch names it. */
export interface SeriesMeta {
  /** Metric name plus sorted labels, Prometheus style: `name{a="1",b="2"}`. */
  readonly key: string;
  readonly metric: string;
  readonly service: string;
  readonly labels: Readonly<Record<string, string>>;
  /** A monotonic counter: turned into a per-second rate before any detector sees it. */
  readonly counter: boolean;
}

/** A batch of metric samples for one partition, columnar: sample i is series[idx[i]] at ts[i]. */
export interface SampleBatch {
  readonly v: 1;
  /** Wall-clock ms when ingest queued the batch (for the detector-lag metric). */
  readonly queuedAt: number;
  readonly series: readonly SeriesMeta[];
  readonly idx: readonly number[];
  readonly ts: readonly number[];
  readonly val: readonly number[];
}

export interface LogRecord {
  readonly ts: number;
  readonly service: string;
  readonly level: string;
  readonly message: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface LogBatch {
  readonly v: 1;
  readonly queuedAt: number;
  readonly records: readonly LogRecord[];
}

/**
 * An anomaly: one scored sample at or above the threshold, of a metric or of a log series
 * (template line counts, error ratio, a new template). Correlation consumes these.
 */
export interface AnomalyEvent {
  /** Stable id: the same sample always yields the same id (retries are deduplicated). */
  readonly id: string;
  readonly kind: 'metric' | 'log';
  readonly series: string;
  readonly service: string;
  readonly signal: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Event time, ms since epoch. */
  readonly ts: number;
  /** The value scored (a per-second rate for counters). */
  readonly value: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly score: number;
  readonly detector: string;
  /** Log anomalies: the template's most severe level (trace … fatal). */
  readonly level?: string;
  /** Log anomalies: the template text, variables as `<*>`. */
  readonly template?: string;
  /** Log anomalies: a few example lines. */
  readonly examples?: readonly string[];
}
