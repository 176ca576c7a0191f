/**
 * Gauges of ingest's own limits, read at scrape time: active series (what the series limits
 * count; per ingest process), and the jobs waiting in the ingest queues and the age of the
 * oldest (what backpressure compares to `ingest.queue_high_water_jobs` and `_lag_ms`).
 */
import { Gauge, type Registry } from 'prom-client';

const STREAMS = ['metrics', 'logs'] as const;

export function registerIngestMetrics(
  registry: Registry,
  sources: {
    readonly activeSeries: () => number;
    readonly queuedJobs: (stream: 'metrics' | 'logs') => number;
    /** Age of the oldest waiting job (ms) at the last poll. */
    readonly queueLagMs: (stream: 'metrics' | 'logs') => number;
    readonly overloaded: (stream: 'metrics' | 'logs') => boolean;
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
    help: 'Jobs waiting in the ingest queues at the last poll, by stream (metrics, logs).',
    labelNames: ['stream'] as const,
    registers: [registry],
    collect() {
      for (const stream of STREAMS) this.set({ stream }, sources.queuedJobs(stream));
    },
  });
  new Gauge({
    name: 'aiops_ingest_queue_lag_seconds',
    help: "How far scoring is behind at the last poll, by stream: the age of the median partition's oldest waiting job (0 when ingest.queue_high_water_lag_ms is 0); what that mark is compared to.",
    labelNames: ['stream'] as const,
    registers: [registry],
    collect() {
      for (const stream of STREAMS) this.set({ stream }, sources.queueLagMs(stream) / 1000);
    },
  });
  new Gauge({
    name: 'aiops_ingest_backpressure',
    help: 'Whether ingest answers retry-later (1) because the queues of a stream are past their high-water mark, or accepts (0).',
    labelNames: ['stream'] as const,
    registers: [registry],
    collect() {
      for (const stream of STREAMS) this.set({ stream }, sources.overloaded(stream) ? 1 : 0);
    },
  });
}
