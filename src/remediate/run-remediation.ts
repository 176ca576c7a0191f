/**
 * One remediation run, as the `remediate` worker takes it from its queue: an approved record
 * (by a person, or `auto`) passes the process-wide checks (dry-run, maintenance windows for auto
 * runs), then the guardrails in Redis (one Lua script: kill switch, blocked, blast radius, one
 * run per target, cooldown, hourly limits), then its action runs with the remediation id as
 * idempotency key. Every decision goes to the audit stream and `aiops_remediations_total`. A
 * run that crashed after it started resumes with the same key and is audited as started once.
 */
import { DelayedError, type Job, type Queue } from 'bullmq';
import type { HookConfig, RemediationConfig } from '../config/schema-remediation.js';
import { incidentJson } from '../correlate/incident-json.js';
import type { IncidentStore } from '../correlate/incident-store.js';
import { JobNames, jobIdOf, type RemediationJob } from '../queues/contract.js';
import type { Logger } from '../telemetry/logger.js';
import type { ActionHandle } from './actions/create-action.js';
import type { RunRequest } from './guardrails.js';
import type { RemediationMetrics } from './remediation-metrics.js';
import type { RemediationRecord, RemediationState, RemediationStore } from './remediation-store.js';

/**
 * How long a run holds its target without renewing (it renews every third of it while acting):
 * after a crash the target is free again this long after the last renewal. A command may
 * outlive a worker killed with -9 (nothing kills it then), so its lease is its own timeout and
 * more; an HTTP request or a queued job ends with the process.
 */
const LEASE_MS = 15_000;
const COMMAND_LEASE_MARGIN_MS = 10_000;

export interface RunDeps {
  readonly settings: RemediationConfig;
  readonly store: RemediationStore;
  readonly incidents: Pick<IncidentStore, 'get'>;
  readonly actions: ReadonlyMap<string, ActionHandle>;
  /** The `remediate` queue (verification jobs). */
  readonly queue: Queue;
  /** True while `service` is in a maintenance window (auto runs wait it out). */
  readonly inMaintenance: (service: string) => boolean;
  readonly metrics: RemediationMetrics;
  readonly log: Logger;
  readonly now?: () => number;
}

export function runRequestOf(
  r: Pick<RemediationRecord, 'id' | 'incident' | 'hook' | 'target'>,
  hook: HookConfig,
  settings: RemediationConfig,
): RunRequest {
  const a = hook.action;
  const lockMs = a.type === 'command' ? a.timeout_ms + COMMAND_LEASE_MARGIN_MS : LEASE_MS;
  return {
    id: r.id,
    incident: r.incident,
    hook: r.hook,
    target: r.target,
    maxTargets: hook.max_targets,
    lockMs,
    cooldownMs: hook.cooldown_ms,
    hookMaxPerHour: hook.max_runs_per_hour,
    allMaxPerHour: settings.max_runs_per_hour,
  };
}

/** Moves the record and audits the decision (the state names the decision, but for would_run). */
async function decide(
  d: RunDeps,
  r: RemediationRecord,
  from: readonly RemediationState[],
  to: RemediationState,
  decision: string,
  reason: string,
  patch: { started_at?: number; anomalies_at_start?: number } = {},
): Promise<boolean> {
  const now = (d.now ?? Date.now)();
  const { moved } = await d.store.move(r.id, from, to, { reason, ...patch }, now);
  if (!moved) return false;
  await d.store.auditDecision(r, decision, reason, now, r.by);
  d.metrics.count(r.hook, decision);
  const line = { remediation: r.id, hook: r.hook, target: r.target, reason };
  if (to === 'failed' || to === 'skipped') d.log.warn(line, `remediation ${decision}`);
  else d.log.info(line, `remediation ${decision}`);
  return true;
}

/** Queues the run's verification (its job id makes a second queueing a no-op). */
async function queueVerify(d: RunDeps, r: RemediationRecord, hook: HookConfig): Promise<void> {
  const data: RemediationJob = { id: r.id };
  await d.queue.add(JobNames.RemediationVerify, data, {
    jobId: jobIdOf(`verify.${r.id}`),
    delay: hook.verify_within_ms,
    attempts: 3,
    removeOnComplete: { age: 7 * 86_400 },
    removeOnFail: { age: 7 * 86_400 },
  });
}

/** Asked again this long after finding a run of it still holding its target. */
const IN_PROGRESS_RETRY_MS = 5000;

export async function runRemediation(
  d: RunDeps,
  job: Job<RemediationJob>,
  token?: string,
): Promise<void> {
  const r = await d.store.get(job.data.id);
  if (!r) return;
  const hook = d.settings.hooks.find((h) => h.name === r.hook);
  // Finished, but a redelivery: make sure its verification is queued (the first try may have
  // died between the two).
  if ((r.state === 'succeeded' || r.state === 'failed') && hook) {
    await queueVerify(d, r, hook);
    return;
  }
  if (r.state !== 'approved' && r.state !== 'running') return;
  const action = d.actions.get(r.hook);
  if (!hook || !action) {
    const reason = 'the hook is no longer configured';
    await decide(d, r, ['approved', 'running'], 'skipped', 'skipped', reason);
    return;
  }
  const inc = await d.incidents.get(r.incident);
  if (!inc) {
    await decide(d, r, ['approved', 'running'], 'skipped', 'skipped', 'the incident is gone');
    return;
  }
  if (r.state === 'approved') {
    // Approved after the incident resolved (a late approval): nothing is left to fix.
    if (inc.status === 'resolved') {
      await decide(d, r, ['approved'], 'skipped', 'skipped', 'the incident resolved');
      return;
    }
    if (d.settings.kill_switch) {
      await decide(d, r, ['approved'], 'skipped', 'skipped', 'kill_switch');
      return;
    }
    if (d.settings.dry_run) {
      await decide(d, r, ['approved'], 'dry_run', 'would_run', 'dry_run');
      return;
    }
    if (r.mode === 'auto' && d.inMaintenance(r.target)) {
      await decide(d, r, ['approved'], 'skipped', 'skipped', 'maintenance');
      return;
    }
  }
  const now = (d.now ?? Date.now)();
  const request = runRequestOf(r, hook, d.settings);
  const verdict = await d.store.request(request, now);
  if ('skip' in verdict) {
    await decide(d, r, ['approved'], 'skipped', 'skipped', verdict.skip);
    return;
  }
  if ('wait' in verdict) {
    // A run of it may still be acting (another delivery, or a process that has not yet lost its
    // lease): never act beside it; ask again once its lease may have lapsed.
    d.log.info({ remediation: r.id }, 'remediation still held by a run in progress; asking again');
    if (token !== undefined) {
      await job.moveToDelayed(Date.now() + IN_PROGRESS_RETRY_MS, token);
      throw new DelayedError();
    }
    return;
  }
  if (verdict.start === 'resume') {
    d.log.info(
      { remediation: r.id, attempt: job.attemptsMade + 1 },
      job.attemptsMade > 0
        ? 'remediation retried with the same key'
        : 'remediation resumes after an interrupted run (same key)',
    );
  }
  if (r.state === 'approved') {
    // A new run, or a resumed one whose process died before this move: of two deliveries of the
    // job at once, one moves it and acts; the other stops here.
    const started = await decide(d, r, ['approved'], 'running', 'started', 'guardrails passed', {
      started_at: now,
      anomalies_at_start: inc.anomaly_count,
    });
    if (!started) return;
  }
  // The target's lock is a lease this run renews while its action runs: it lapses only when the
  // run is gone, so a resumed run never acts beside a live one.
  const heartbeat = setInterval(() => {
    d.store.renew(request).then(
      (held) => {
        if (!held) d.log.warn({ remediation: r.id }, 'remediation lost its hold on the target');
      },
      (err: unknown) => {
        d.log.warn({ err, remediation: r.id }, 'remediation could not renew its hold');
      },
    );
  }, request.lockMs / 3);
  const result = await action
    .run({
      idempotencyKey: r.id,
      hook: r.hook,
      target: r.target,
      incident: incidentJson(inc),
      nowMs: now,
    })
    .catch((err: unknown) => ({
      ok: false,
      retryable: true,
      detail: `the action failed: ${(err as Error).message}`.slice(0, 300),
    }))
    .finally(() => {
      clearInterval(heartbeat);
    });
  // The attempt is over: the target is free until the retry or the next run takes it.
  await d.store.release({ id: r.id, target: r.target });
  const attempts = job.opts.attempts ?? 1;
  if (!result.ok && result.retryable === true && job.attemptsMade + 1 < attempts) {
    // The same key goes out again on the retry: the receiver deduplicates.
    throw new Error(`remediation ${r.id}: ${result.detail}`);
  }
  // Verification first: if this process dies before the move, the redelivery finds the record
  // still running and acts again with the same key; after it, the verification is queued.
  await queueVerify(d, r, hook);
  const current = (await d.store.get(r.id)) ?? r;
  await decide(
    d,
    current,
    ['running'],
    result.ok ? 'succeeded' : 'failed',
    result.ok ? 'succeeded' : 'failed',
    result.detail,
  );
}
