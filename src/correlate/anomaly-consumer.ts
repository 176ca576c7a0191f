/**
 * Consumer of the anomalies queue. Until correlation into incidents lands, it logs each
 * anomaly event in a readable line, so the effect of detection is visible in the worker's log.
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueueNames, type AnomalyEvent } from '../queues/contract.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { onJobFailed } from '../queues/job-failures.js';

const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));

export function describeAnomaly(a: AnomalyEvent): string {
  return `${a.service} ${a.signal} ${fmt(a.value)}, expected ${fmt(a.lower)}–${fmt(a.upper)} (score ${a.score.toFixed(2)})`;
}

export function startAnomalyConsumer(deps: {
  connection: Redis;
  prefix: string;
  log: Logger;
  metrics: Metrics;
}): Worker {
  const worker = new Worker(
    QueueNames.anomalies,
    (job: Job<AnomalyEvent>) => {
      const started = performance.now();
      const a = job.data;
      deps.log.warn(
        {
          anomaly: {
            id: a.id,
            service: a.service,
            signal: a.signal,
            series: a.series,
            ts: new Date(a.ts).toISOString(),
            score: a.score,
          },
        },
        `anomaly: ${describeAnomaly(a)}`,
      );
      deps.metrics.jobDuration.observe(
        { stage: 'correlate' },
        (performance.now() - started) / 1000,
      );
      return Promise.resolve();
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1 },
  );
  worker.on('failed', onJobFailed('correlate', deps.metrics, deps.log));
  worker.on('error', (err) => {
    deps.log.error({ err }, 'anomaly consumer error');
  });
  return worker;
}
