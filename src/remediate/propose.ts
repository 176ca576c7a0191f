/**
 * Turns incident transitions into remediations (the correlator's `onTransition`, like notify's
 * routing): for each hook a transition matches, one record per target, created once (its id is
 * the idempotency key), audited, and:
 * - `suggest`: recorded and shown on the incident, never run;
 * - `approve`: pending until a person approves it through the API;
 * - `auto`: queued to run at once (the run passes the guardrails first).
 * Hooks that wait for an incident to stay open (`open_for`) get a delayed check job instead.
 */
import type { Queue } from 'bullmq';
import type { HookConfig, RemediationConfig } from '../config/schema-remediation.js';
import { incidentJson } from '../correlate/incident-json.js';
import type { IncidentEvent } from '../correlate/incidents.js';
import type { SignalPatterns } from '../correlate/signal-kind.js';
import {
  JobNames,
  jobIdOf,
  type IncidentJson,
  type IncidentRemediation,
  type OpenForJob,
  type RemediationJob,
} from '../queues/contract.js';
import { proposalsFor, type HookTransition, type Proposal } from './hook-match.js';
import type { RemediationMetrics } from './remediation-metrics.js';
import type { RemediationRecord, RemediationState, RemediationStore } from './remediation-store.js';

export interface ProposeDeps {
  readonly settings: RemediationConfig;
  readonly patterns: SignalPatterns;
  readonly store: RemediationStore;
  /** The `remediate` queue. */
  readonly queue: Queue;
  /** Counts each decision (`aiops_remediations_total`). */
  readonly metrics?: RemediationMetrics;
  readonly now?: () => number;
}

const FIRST_STATE: Record<HookConfig['mode'], RemediationState> = {
  suggest: 'suggested',
  approve: 'pending',
  auto: 'approved',
};

/** Runs are few and each matters: a handful of attempts with the job's own backoff. */
export const RUN_ATTEMPTS = 3;
const KEEP = { removeOnComplete: { age: 7 * 86_400 }, removeOnFail: { age: 7 * 86_400 } };

/**
 * Queues the run of an approved remediation: once per remediation (its id is the job id), or,
 * with `again`, one more time (the sweep's safety net; the run's own checks make it a no-op
 * when nothing is left to do).
 */
export async function queueRun(queue: Queue, id: string, again?: string): Promise<void> {
  const data: RemediationJob = { id };
  await queue.add(JobNames.RemediationRun, data, {
    jobId: jobIdOf(again === undefined ? `run.${id}` : `run.${id}.${again}`),
    attempts: RUN_ATTEMPTS,
    backoff: { type: 'exponential', delay: 5000 },
    ...KEEP,
  });
}

/** Records, audits and (for auto hooks) queues one proposal; the record as it stands. */
export async function propose(d: ProposeDeps, p: Proposal): Promise<RemediationRecord> {
  const now = (d.now ?? Date.now)();
  const record: RemediationRecord = {
    id: p.id,
    hook: p.hook.name,
    incident: p.incident.id,
    target: p.target,
    mode: p.hook.mode,
    transition: p.transition,
    state: FIRST_STATE[p.hook.mode],
    ...(p.hook.mode === 'auto' ? { by: 'auto' } : {}),
    created_at: now,
    updated_at: now,
  };
  if (!(await d.store.create(record))) {
    const existing = (await d.store.get(p.id)) ?? record;
    // A retried transition whose first try recorded an auto run but failed to queue it: queue it
    // now (the job id makes a second queueing a no-op).
    if (existing.state === 'approved') await queueRun(d.queue, existing.id);
    return existing;
  }
  const reason =
    record.mode === 'suggest'
      ? 'suggest mode: shown, not run'
      : record.mode === 'approve'
        ? 'waits for approval'
        : 'auto mode';
  await d.store.auditDecision(record, record.state, reason, now, record.by);
  d.metrics?.count(record.hook, record.state);
  if (record.mode === 'auto') await queueRun(d.queue, record.id);
  return record;
}

/** The incident's remediations as the API and notifications list them. */
export function asIncidentRemediation(r: RemediationRecord): IncidentRemediation {
  return {
    id: r.id,
    hook: r.hook,
    mode: r.mode,
    target: r.target,
    state: r.state,
    ...(r.reason === undefined ? {} : { reason: r.reason }),
  };
}

/** Proposes what a transition of `inc` calls for; the records, by incident. */
export async function proposeFor(
  d: ProposeDeps,
  inc: IncidentJson,
  transition: HookTransition,
): Promise<RemediationRecord[]> {
  const out: RemediationRecord[] = [];
  for (const p of proposalsFor(d.settings.hooks, inc, transition, d.patterns)) {
    out.push(await propose(d, p));
  }
  return out;
}

/** Schedules the `open_for` checks of an incident that just opened or reopened. */
async function scheduleOpenFor(d: ProposeDeps, inc: IncidentJson): Promise<void> {
  for (const hook of d.settings.hooks) {
    const wait = hook.match.open_for_ms;
    if (hook.match.transition !== 'open_for' || wait === undefined) continue;
    const data: OpenForJob = { incident: inc.id, hook: hook.name, reopened: inc.reopened };
    await d.queue.add(JobNames.RemediationOpenFor, data, {
      jobId: jobIdOf(`open-for.${inc.id}.${hook.name}.${inc.reopened}`),
      delay: wait,
      attempts: RUN_ATTEMPTS,
      ...KEEP,
    });
  }
}

/**
 * The correlator's `onTransition` part for remediation: returns, per incident id, the
 * remediations its transitions made (so notifications can list them).
 */
export function remediateTransitions(
  d: ProposeDeps,
): (events: readonly IncidentEvent[]) => Promise<Map<string, IncidentRemediation[]>> {
  return async (events) => {
    const byIncident = new Map<string, IncidentRemediation[]>();
    if (d.settings.hooks.length === 0) return byIncident;
    for (const e of events) {
      if (e.type !== 'opened' && e.type !== 'reopened') continue;
      const inc = incidentJson(e.incident);
      const records = await proposeFor(d, inc, e.type);
      await scheduleOpenFor(d, inc);
      if (records.length > 0) byIncident.set(inc.id, records.map(asIncidentRemediation));
    }
    return byIncident;
  };
}
