/**
 * How a failed delivery is logged. A delivery that will be retried is a warn line with its
 * attempt number; one that will not (a 4xx, a receiver no longer configured, given up after its
 * retries) is a notification the receiver will never get, so it is an error line naming the
 * receiver, the incident and the transition. Both are counted in `aiops_job_failures_total`.
 * Other jobs on the notify queue (the Alertmanager sync) are logged as every stage's jobs are.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { JobNames, type DeliveryJob } from '../queues/contract.js';
import { onJobFailed } from '../queues/job-failures.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

/** The worker's `failed` listener for the notify queue. */
export function onDeliveryFailed(metrics: Metrics, log: Logger) {
  const otherJob = onJobFailed('notify', metrics, log);
  return (job: Job | undefined, err: Error): void => {
    if (job?.name !== JobNames.Deliver) {
      otherJob(job, err);
      return;
    }
    const d = job.data as DeliveryJob;
    const attempts = job.opts.attempts ?? 1;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= attempts;
    metrics.jobFailures.inc({ stage: 'notify', kind: final ? 'final' : 'retry' });
    const fields = {
      err,
      receiver: d.receiver,
      incident: d.incident.id,
      transition: d.transition,
      jobId: job.id,
      attempt: job.attemptsMade,
      attempts,
      final,
    };
    const what = `${d.transition} of incident ${d.incident.id} to receiver ${d.receiver}`;
    if (final) {
      log.error(fields, `notification dropped, not retried: ${what}: ${err.message}`);
    } else {
      log.warn(
        fields,
        `notification failed, will retry (attempt ${job.attemptsMade} of ${attempts}): ${what}: ${err.message}`,
      );
    }
  };
}
