/**
 * Meta-series: what the monitoring stack says about itself rather than about the services. A
 * Prometheus that remote-writes everything sends its alert state, its scrape bookkeeping, its own
 * metrics and those of the worker it scrapes; scored, they page about the monitoring itself, and
 * some feed the worker's output back into its input. So they are dropped before validation asks
 * for a service (most have none), counted as `meta_series`, never answered as an error and never
 * warned about. `ingest.drop_meta_series: false` scores them all; `ingest.keep_meta_series` lists
 * metric names (`*` globs) scored anyway. Every ingest path asks `why` here, through its
 * `RecordLimits` (records.ts for JSON and pull, remote-write/to-samples.ts,
 * otlp/metrics-to-samples.ts). Pure.
 */
import { glob, type Glob } from '../util/glob.js';

/** Metric names that are meta-series wherever they come from, and why. */
const META_NAMES: ReadonlyMap<string, string> = new Map([
  // Prometheus writes its alerts as series. Scoring them scores the alerts about anomalies
  // (AiopsIngestRejecting fired on itself), and they carry no job.
  ['ALERTS', "Prometheus' alert state"],
  ['ALERTS_FOR_STATE', "Prometheus' alert state"],
  // Prometheus adds `up` to every target: it steps at each deploy and restart, and a target that
  // is down is Prometheus alerting's job (its series go stale here).
  ['up', "Prometheus' scrape health of a target"],
]);

/** Metric name prefixes that are meta-series, and why. */
const META_PREFIXES: readonly (readonly [string, string])[] = [
  // scrape_duration_seconds, scrape_samples_scraped, scrape_series_added, ...: they move with
  // deploys and the scrape config, not with what the service does.
  ['scrape_', "Prometheus' scrape bookkeeping"],
  // Prometheus' own; prometheus_remote_storage_* moves with the worker's own answers.
  ['prometheus_', "Prometheus' own metric"],
  // Alertmanager's own; its notification counters move with the worker's own pages.
  ['alertmanager_', "Alertmanager's own metric"],
  // The worker's own (scores, incidents, queues, and its process and Node.js metrics, which
  // prom-client exports as aiops_process_* and aiops_nodejs_*): scoring them pages about the
  // worker's pages, whatever service label they carry.
  ['aiops_', "the worker's own metric"],
];

/**
 * Scrape jobs of the monitoring stack itself: everything they bring is about the stack (the
 * Go runtime and process metrics of Prometheus and Alertmanager, whatever the worker's scrape
 * brings). The names are those of the shipped config/prometheus/prometheus.yml (its alert rules
 * select `job="aiops-worker"`) and of Debian's and upstream's default prometheus.yml.
 */
const META_JOBS: ReadonlyMap<string, string> = new Map([
  ['aiops-worker', 'from the worker\'s own scrape job (job="aiops-worker")'],
  ['prometheus', 'from Prometheus\' own scrape job (job="prometheus")'],
  ['alertmanager', 'from Alertmanager\'s own scrape job (job="alertmanager")'],
]);

/** What every ingest path asks about a series before it looks for its service. */
export interface MetaSeriesFilter {
  /** Why the series is a meta-series that is not scored; undefined when it is scored. */
  why(metric: string, job: string | undefined): string | undefined;
}

/** The `ingest` keys behind the filter. */
export interface MetaSeriesSettings {
  readonly drop_meta_series: boolean;
  readonly keep_meta_series: readonly string[];
}

/** Why a series is a meta-series, by the built-in list alone (no allow list). */
export function metaSeriesWhy(metric: string, job: string | undefined): string | undefined {
  const named = META_NAMES.get(metric);
  if (named !== undefined) return named;
  for (const [prefix, why] of META_PREFIXES) if (metric.startsWith(prefix)) return why;
  return job === undefined ? undefined : META_JOBS.get(job);
}

/** The filter the config asks for; undefined when nothing is dropped. */
export function metaSeriesFilter(s: MetaSeriesSettings): MetaSeriesFilter | undefined {
  if (!s.drop_meta_series) return undefined;
  const keep: readonly Glob[] = s.keep_meta_series.map((p) => glob(p));
  return {
    why(metric, job) {
      const why = metaSeriesWhy(metric, job);
      if (why === undefined || keep.length === 0) return why;
      return keep.some((g) => g.test(metric)) ? undefined : why;
    },
  };
}

/** The example message of a dropped meta-series (the rejection log's, the JSON answer's). */
export function metaSeriesMessage(metric: string, why: string): string {
  return `${metric} is not scored: ${why} (ingest.drop_meta_series, ingest.keep_meta_series)`;
}
