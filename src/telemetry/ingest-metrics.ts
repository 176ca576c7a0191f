/**
 * Gauges of ingest's own limits, read at scrape time: active series (what the series limits
 * count; per ingest process) and jobs waiting in the ingest queues (what backpressure compares
 * to `ingest.queue_high_water_jobs`).
 */
import { Gauge, type Registry } from 'prom-client';

export function registerIngestMetrics(
  registry: Registry,
  sources: {
    readonly activeSeries: () => number;
    readonly queuedJobs: () => number;
    readonly overloaded: () => boolean;
  },
): void {
  new Gauge({
    name: 'aiops_ingest_active_series',
    help: 'Series this ingest process counts as active (seen within ingest.series_idle_ms).',
    registers: [registry],
    collect() {
      this.set(sources.activeSeries());
    },
  });
  new Gauge({
    name: 'aiops_ingest_queued_jobs',
    help: 'Jobs waiting in the ingest queues at the last poll.',
    registers: [registry],
    collect() {
      this.set(sources.queuedJobs());
    },
  });
  new Gauge({
    name: 'aiops_ingest_backpressure',
    help: 'Whether ingest answers retry-later (1) because the queues are past their high-water mark, or accepts (0).',
    registers: [registry],
    collect() {
      this.set(sources.overloaded() ? 1 : 0);
    },
  });
}
