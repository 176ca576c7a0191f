/**
 * A dropped notification (a delivery that will not be retried) is an error line naming the
 * receiver, the incident and the transition; a retry is a warn line with its attempt number
 * (issue 21, item 6: both were the same warn line, "notify job failed").
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { onDeliveryFailed } from '../../src/notify/delivery-failure-log.js';
import { JobNames, type DeliveryJob } from '../../src/queues/contract.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { incidentJsonOf } from '../helpers/incident-json.js';
import { logLines } from '../helpers/log-lines.js';

function capture() {
  const { log, lines } = logLines();
  const metrics = createMetrics('test');
  return { lines, metrics, onFailed: onDeliveryFailed(metrics, log) };
}

const delivery: DeliveryJob = {
  receiver: 'pagerduty-oncall',
  transition: 'opened',
  incident: incidentJsonOf({ id: 'inc-0123456789abcdef' }),
};
const jobOf = (attemptsMade: number, attempts = 8, name: string = JobNames.Deliver): Job =>
  ({
    id: 'inc-0123456789abcdef.opened.0.pagerduty-oncall',
    name,
    queueName: 'notify',
    data: delivery,
    attemptsMade,
    opts: { attempts },
  }) as unknown as Job;

describe('failed deliveries in the log', () => {
  it('logs a retry at warn with its attempt number', () => {
    const { lines, onFailed } = capture();
    onFailed(jobOf(3), new Error('pagerduty-oncall: 503 unavailable'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      receiver: 'pagerduty-oncall',
      incident: 'inc-0123456789abcdef',
      transition: 'opened',
      attempt: 3,
      attempts: 8,
      final: false,
    });
    expect(lines[0]?.msg).toContain('attempt 3 of 8');
  });

  it.each<[string, Job, Error]>([
    [
      'a 4xx (not retried)',
      jobOf(1),
      new UnrecoverableError('pagerduty-oncall: 400 bad (not retried)'),
    ],
    ['the last attempt', jobOf(8), new Error('pagerduty-oncall: 503 unavailable')],
  ])(
    'logs a dropped notification at error, with receiver, incident and transition: %s',
    async (_what, job, err) => {
      const { lines, metrics, onFailed } = capture();
      onFailed(job, err);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 50,
        receiver: 'pagerduty-oncall',
        incident: 'inc-0123456789abcdef',
        transition: 'opened',
        final: true,
      });
      expect(lines[0]?.msg).toMatch(
        /^notification dropped, not retried: opened of incident inc-0123456789abcdef to receiver pagerduty-oncall: /,
      );
      const text = await metrics.registry.getSingleMetricAsString('aiops_job_failures_total');
      expect(text).toContain('kind="final"');
    },
  );

  it("logs the notify queue's other jobs as every stage's", () => {
    const { lines, onFailed } = capture();
    onFailed(jobOf(1, 3, JobNames.AlertmanagerSync), new Error('alertmanager down'));
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'notify job failed' })]);
  });
});
