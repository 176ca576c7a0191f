/**
 * The worker's own metrics, on its own Registry (never prom-client's global one). Names are
 * prefixed `aiops_`, in base units, counters end in `_total`, labels are bounded.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EventLoopMetrics, delayGaugeNames } from './event-loop-metrics.js';
import { RejectionCounter } from './rejection-counter.js';

export interface Metrics {
  readonly registry: Registry;
  readonly samplesReceived: Counter<'kind'>;
  readonly samplesRejected: RejectionCounter;
  readonly samplesProcessed: Counter<'outcome'>;
  readonly notifications: Counter<'receiver' | 'outcome'>;
  readonly deadLettered: Counter<'receiver' | 'reason'>;
  readonly jobDuration: Histogram<'stage'>;
  readonly detectorLag: Histogram;
  readonly anomalies: Counter<'service'>;
  readonly anomaliesSuppressed: Counter<'service'>;
  readonly logLines: Counter<'service' | 'level'>;
  readonly jobFailures: Counter<'stage' | 'kind'>;
  readonly build: Gauge<'version'>;
  /** The event-loop delay probe and utilisation (paused while idle). */
  readonly eventLoop: EventLoopMetrics;
}

/** The period of prom-client's own delay probe, whose figures are not exported. */
const PROM_CLIENT_PROBE_MS = 60_000;

export function createMetrics(version: string): Metrics {
  const registry = new Registry();
  // prom-client's delay histogram samples every 10 ms for the life of the process; ours pauses
  // while the process is idle (event-loop-metrics.ts). prom-client's probe is left at one sample
  // a minute (it cannot be turned off alone) and its seven delay gauges give way to ours.
  collectDefaultMetrics({
    register: registry,
    prefix: 'aiops_',
    eventLoopMonitoringPrecision: PROM_CLIENT_PROBE_MS,
  });
  for (const name of delayGaugeNames('aiops_')) registry.removeSingleMetric(name);
  const eventLoop = new EventLoopMetrics(registry, 'aiops_');
  const build = new Gauge({
    name: 'aiops_build_info',
    help: 'Build information; always 1.',
    labelNames: ['version'] as const,
    registers: [registry],
  });
  build.set({ version }, 1);
  return {
    registry,
    build,
    eventLoop,
    samplesReceived: new Counter({
      name: 'aiops_samples_received_total',
      help: 'Records accepted by ingest and queued, by kind (metric, log).',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    samplesRejected: new RejectionCounter(registry),
    samplesProcessed: new Counter({
      name: 'aiops_samples_processed_total',
      help: 'Samples seen by the detect workers, by outcome (taken, not_newer, invalid, counter_primed, paused: in a maintenance window).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'aiops_job_duration_seconds',
      help: 'Time to process one queue job, by stage.',
      labelNames: ['stage'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    detectorLag: new Histogram({
      name: 'aiops_detector_lag_seconds',
      help: 'Time from a batch being queued by ingest to its samples being scored.',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    anomalies: new Counter({
      name: 'aiops_anomalies_total',
      help: 'Anomaly events emitted by the detectors, by service.',
      labelNames: ['service'] as const,
      registers: [registry],
    }),
    anomaliesSuppressed: new Counter({
      name: 'aiops_anomalies_suppressed_total',
      help: 'Anomalies the detectors found but a suppression (GET /api/v1/suppressions) held back, by service.',
      labelNames: ['service'] as const,
      registers: [registry],
    }),
    logLines: new Counter({
      name: 'aiops_log_lines_total',
      help: 'Log records processed, by service and level.',
      labelNames: ['service', 'level'] as const,
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'aiops_notifications_total',
      help: 'Notification deliveries, by receiver and outcome (sent, retryable, rejected).',
      labelNames: ['receiver', 'outcome'] as const,
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'aiops_notifications_dead_lettered_total',
      help: 'Deliveries given up for good (GET /api/v1/notifications/dead-letters), by receiver and reason (rejected: a 4xx; expired: notify.retry_for_ms passed; never_opened: its incident\'s opening page was given up; unconfigured: its receiver left the config, receiver="unknown").',
      labelNames: ['receiver', 'reason'] as const,
      registers: [registry],
    }),
    jobFailures: new Counter({
      name: 'aiops_job_failures_total',
      help: 'Queue job failures, by stage and kind (inline_retry: retried in place; retry: back to BullMQ; final).',
      labelNames: ['stage', 'kind'] as const,
      registers: [registry],
    }),
  };
}

/**
 * Maps a service to a bounded metric label: a configured service is its own label, any other
 * (a name from the wire) counts as "other", so a sender cannot grow the label set without bound.
 */
export function serviceLabeller(configured: Iterable<string>): (service: string) => string {
  const known = new Set(configured);
  return (service) => (known.has(service) ? service : 'other');
}
