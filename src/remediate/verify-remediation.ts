/**
 * After a run, `verify_within_ms` later: did the incident clear? Not while any of its metric
 * series is still outside its expected band at its latest sample (the score board: a fault that
 * carries on shows there even after its onset was scored), nor while new anomalies join it;
 * it did when neither holds (it may also have resolved). If not, the remediation escalates:
 * receivers are told (through the notify queue) which hook ran, what it answered and what is
 * still wrong, and the hook runs no more for this incident.
 */
import type { Job, Queue } from 'bullmq';
import type { IncidentStore } from '../correlate/incident-store.js';
import type { Incident } from '../correlate/incidents.js';
import type { BoardEntry, ScoreBoard } from '../detect/score-board.js';
import { JobNames, jobIdOf, type EscalationJob, type RemediationJob } from '../queues/contract.js';
import type { Logger } from '../telemetry/logger.js';
import type { RemediationMetrics } from './remediation-metrics.js';
import type { RemediationRecord, RemediationStore } from './remediation-store.js';

export interface VerifyDeps {
  readonly store: RemediationStore;
  readonly incidents: Pick<IncidentStore, 'get'>;
  /** The `notify` queue: escalations go to the receivers from there. */
  readonly notify: Queue;
  readonly metrics: RemediationMetrics;
  readonly log?: Logger;
  /** The latest value and band of each series (absent: only new anomalies count). */
  readonly board?: Pick<ScoreBoard, 'latest'>;
  readonly now?: () => number;
}

const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));

/** The incident's metric series still outside their band at their latest sample. */
async function stillFailing(d: VerifyDeps, inc: Incident): Promise<BoardEntry[]> {
  if (!d.board) return [];
  const series = [...new Set(inc.timeline.filter((a) => a.kind === 'metric').map((a) => a.series))];
  const latest = await d.board.latest(series);
  return latest.filter((e) => !e.learning && (e.value > e.upper || e.value < e.lower));
}

/** Blocks the hook for the incident and tells the receivers (both idempotent). */
async function escalate(d: VerifyDeps, r: RemediationRecord, reason: string): Promise<void> {
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

export async function verifyRemediation(d: VerifyDeps, job: Job<RemediationJob>): Promise<void> {
  const r = await d.store.get(job.data.id);
  if (!r || (r.state !== 'succeeded' && r.state !== 'failed')) return;
  const inc = await d.incidents.get(r.incident);
  const joined = inc ? inc.anomaly_count - (r.anomalies_at_start ?? 0) : 0;
  const failing = inc ? await stillFailing(d, inc) : [];
  const cleared = failing.length === 0 && (joined <= 0 || inc?.status === 'resolved');
  const now = (d.now ?? Date.now)();
  const first = failing[0];
  const reason = cleared
    ? 'the incident cleared'
    : first
      ? `${first.service} ${first.metric} is still ${fmt(first.value)}, expected ${fmt(first.lower)}–${fmt(first.upper)}`
      : `${joined} anomalies joined the incident after the run`;
  // Escalation before the move: a process that dies in between leaves the record to be verified
  // again, and blocking and telling twice change nothing (idempotent).
  if (!cleared) await escalate(d, r, reason);
  const to = cleared ? 'verified' : 'escalated';
  const { moved } = await d.store.move(r.id, ['succeeded', 'failed'], to, { reason }, now);
  if (!moved) return;
  await d.store.auditDecision(r, to, reason, now);
  d.metrics.count(r.hook, to);
  const line = { remediation: r.id, hook: r.hook, target: r.target, reason };
  if (cleared) d.log?.info(line, 'remediation verified');
  else
    d.log?.warn(line, 'remediation did not clear the incident: escalated, the hook blocked for it');
}
