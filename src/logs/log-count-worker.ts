/**
 * Consumer of the log partition queues. Until template mining lands it counts log records by
 * service and level (`aiops_log_lines_total`), so log queues drain and their volume is visible.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueueNames, type LogBatch, type LogRecord } from '../queues/contract.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { onJobFailed } from '../queues/job-failures.js';

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const ALIASES: Record<string, string> = {
  warning: 'warn',
  err: 'error',
  critical: 'fatal',
  crit: 'fatal',
};

/** Maps free-form levels onto a bounded set for metric labels. */
export function normaliseLevel(level: string): string {
  const l = ALIASES[level] ?? level;
  return LEVELS.has(l) ? l : 'other';
}

export function startLogWorkers(deps: {
  connection: Redis;
  prefix: string;
  partitions: number;
  log: Logger;
  metrics: Metrics;
  serviceLabel: (service: string) => string;
}): Worker[] {
  const workers: Worker[] = [];
  for (let p = 0; p < deps.partitions; p++) {
    const worker = new Worker(
      QueueNames.logs(p),
      (job: Job<LogBatch>) => {
        const started = performance.now();
        const records: unknown = (job.data as Partial<LogBatch>).records;
        if (!Array.isArray(records)) throw new UnrecoverableError('not a log batch');
        for (const r of records as Partial<LogRecord>[]) {
          if (typeof r.service !== 'string' || typeof r.level !== 'string') continue;
          deps.metrics.logLines.inc({
            service: deps.serviceLabel(r.service),
            level: normaliseLevel(r.level),
          });
        }
        deps.metrics.jobDuration.observe({ stage: 'logs' }, (performance.now() - started) / 1000);
        return Promise.resolve({ records: records.length });
      },
      { connection: deps.connection, prefix: deps.prefix, concurrency: 1 },
    );
    worker.on('failed', onJobFailed('logs', deps.metrics, deps.log));
    worker.on('error', (err) => {
      deps.log.error({ err, partition: p }, 'log worker error');
    });
    workers.push(worker);
  }
  return workers;
}
