import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

/** Counts and logs a job that failed (for good, or to be retried by BullMQ). */
export function onJobFailed(stage: string, metrics: Metrics, log: Logger) {
  return (job: Job | undefined, err: Error): void => {
    const final =
      !job || err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    metrics.jobFailures.inc({ stage, kind: final ? 'final' : 'retry' });
    log.warn({ err, queue: job?.queueName, jobId: job?.id, final }, `${stage} job failed`);
  };
}
