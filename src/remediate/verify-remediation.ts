/**
 * After a run, `verify_within_ms` later: did the incident clear? It did when it resolved, or
 * when no anomaly joined it since the run started. If not, the remediation escalates: receivers
 * are told (through the notify queue) which hook ran and what it answered, and the hook runs no
 * more for this incident.
 */
import type { Job, Queue } from 'bullmq';
import type { IncidentStore } from '../correlate/incident-store.js';
import { JobNames, jobIdOf, type EscalationJob, type RemediationJob } from '../queues/contract.js';
import type { RemediationMetrics } from './remediation-metrics.js';
import type { RemediationStore } from './remediation-store.js';

export interface VerifyDeps {
  readonly store: RemediationStore;
  readonly incidents: Pick<IncidentStore, 'get'>;
  /** The `notify` queue: escalations go to the receivers from there. */
  readonly notify: Queue;
  readonly metrics: RemediationMetrics;
  readonly now?: () => number;
}

export async function verifyRemediation(d: VerifyDeps, job: Job<RemediationJob>): Promise<void> {
  const r = await d.store.get(job.data.id);
  if (!r || (r.state !== 'succeeded' && r.state !== 'failed')) return;
  const inc = await d.incidents.get(r.incident);
  const cleared =
    !inc || inc.status === 'resolved' || inc.anomaly_count <= (r.anomalies_at_start ?? 0);
  const now = (d.now ?? Date.now)();
  const reason = cleared
    ? 'the incident cleared'
    : `${inc.anomaly_count - (r.anomalies_at_start ?? 0)} anomalies joined the incident after the run`;
  const to = cleared ? 'verified' : 'escalated';
  const { moved } = await d.store.move(r.id, ['succeeded', 'failed'], to, { reason }, now);
  if (!moved) return;
  await d.store.audit({
    id: r.id,
    hook: r.hook,
    incident: r.incident,
    target: r.target,
    mode: r.mode,
    decision: to,
    reason,
    by: '',
    ts: now,
  });
  d.metrics.count(r.hook, to);
  if (cleared) return;
  await d.store.block(r.incident, r.hook);
  const escalation: EscalationJob = {
    incident: r.incident,
    remediation: r.id,
    note: `Remediation ${r.hook} on ${r.target} ran (${r.state}: ${r.reason ?? ''}) and the incident did not clear: ${reason}; the hook runs no more for this incident`,
  };
  await d.notify.add(JobNames.Escalation, escalation, {
    jobId: jobIdOf(`escalation.${r.id}`),
    attempts: 8,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 86_400 },
    removeOnFail: { age: 7 * 86_400 },
  });
}
