/**
 * The remediate stage: one worker on the `remediate` queue that runs approved remediations
 * through the guardrails, verifies them `verify_within_ms` later, and checks the `open_for`
 * hooks. Proposing (recording what a transition calls for) happens where the correlator runs,
 * through `remediateTransitions`, which the service hands the correlator.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { IncidentStore } from '../correlate/incident-store.js';
import { incidentJson } from '../correlate/incident-json.js';
import { signalPatternsOf } from '../correlate/signal-kind.js';
import { ScoreBoard } from '../detect/score-board.js';
import { maintenanceCheck } from '../maintenance/maintenance.js';
import { JobNames, QueueNames, type OpenForJob, type RemediationJob } from '../queues/contract.js';
import { onJobFailed } from '../queues/job-failures.js';
import { createAction, type ActionHandle } from './actions/create-action.js';
import { proposeFor, queueRun } from './propose.js';
import type { RemediationMetrics } from './remediation-metrics.js';
import { RemediationStore } from './remediation-store.js';
import { runRemediation } from './run-remediation.js';
import { verifyRemediation } from './verify-remediation.js';
import type { StageDeps } from '../queues/stage-deps.js';
import { IDLE_WORKER } from '../queues/worker-options.js';
import { logWorkerErrors } from '../queues/worker-errors.js';

/**
 * A run whose process died is taken again after this (BullMQ's stall check), with the same
 * idempotency key; the lock is renewed while the process lives, however long the action runs.
 */
const LOCK_MS = 10_000;
const STALLED_CHECK_MS = 5_000;

/** How often, and after how long still, stranded remediations are queued again. */
const SWEEP_MS = 60_000;
const STRANDED_AFTER_MS = 2 * 60_000;

/** Queues again what has stayed approved, running, succeeded or failed for too long. */
export async function sweepStranded(
  store: Pick<RemediationStore, 'list'>,
  queue: Queue,
  now: number,
): Promise<number> {
  const stranded = (await store.list(1000)).filter(
    (r) =>
      ['approved', 'running', 'succeeded', 'failed'].includes(r.state) &&
      now - r.updated_at > STRANDED_AFTER_MS,
  );
  // One extra job per remediation and sweep minute at most.
  const minute = String(Math.floor(now / SWEEP_MS));
  for (const r of stranded) await queueRun(queue, r.id, `sweep.${minute}`);
  return stranded.length;
}

export interface RemediateStageDeps extends StageDeps<'remediate' | 'notify'> {
  readonly remediationMetrics: RemediationMetrics;
  /** The worker's environment (a command action sees only the names it lists). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function startRemediate(d: RemediateStageDeps) {
  const { config, connection } = d;
  const prefix = d.layout.main;
  const settings = config.remediation;
  const log = d.log.child({ component: 'remediate' });
  const store = new RemediationStore(connection, prefix, settings.audit_max_entries);
  const incidents = new IncidentStore(connection, prefix);
  const actions = new Map<string, ActionHandle>(
    settings.hooks.map((h) => [
      h.name,
      createAction(h.action, {
        externalUrl: config.notify.external_url,
        env: d.env,
        connection,
        prefix,
      }),
    ]),
  );
  // The stage's own queue handles on the worker connection, which waits through a Redis blip:
  // a verification or an escalation queued after an action must not fail on a fail-fast one.
  const remediateQueue = new Queue(QueueNames.remediate, { connection, prefix });
  const notifyQueue = new Queue(QueueNames.notify, { connection, prefix });
  const inMaintenance = maintenanceCheck(config.maintenance);
  const deps = {
    settings,
    store,
    incidents,
    actions,
    queue: remediateQueue,
    notify: notifyQueue,
    inMaintenance: (service: string) => inMaintenance?.(service, Date.now()) ?? false,
    metrics: d.remediationMetrics,
    board: new ScoreBoard(connection, prefix),
    log,
  };
  const patterns = signalPatternsOf(config.correlate.signals);
  const openFor = async (job: Job<OpenForJob>): Promise<void> => {
    const inc = await incidents.get(job.data.incident);
    if (!inc || inc.status !== 'open' || inc.reopened !== job.data.reopened) return;
    const hook = settings.hooks.filter((h) => h.name === job.data.hook);
    await proposeFor(
      {
        settings: { ...settings, hooks: hook },
        patterns,
        store,
        queue: remediateQueue,
        metrics: d.remediationMetrics,
      },
      incidentJson(inc),
      'open_for',
    );
  };
  const worker = new Worker(
    QueueNames.remediate,
    async (job: Job, token?: string) => {
      if (job.name === JobNames.RemediationRun)
        await runRemediation(deps, job as Job<RemediationJob>, token);
      else if (job.name === JobNames.RemediationVerify)
        await verifyRemediation(deps, job as Job<RemediationJob>);
      else if (job.name === JobNames.RemediationOpenFor) await openFor(job as Job<OpenForJob>);
    },
    {
      ...IDLE_WORKER,
      connection,
      prefix,
      // A slow action does not hold verifications back; the guardrails hold across jobs as they
      // do across processes.
      concurrency: 4,
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
      maxStalledCount: 2,
    },
  );
  worker.on('failed', onJobFailed('remediate', d.metrics, log));
  logWorkerErrors([worker], log, 'remediate');
  // The safety net: a remediation left approved, running or unverified by a process that died
  // between two of its steps is queued once more (the run's own checks make that a no-op when
  // nothing is left to do).
  const sweep = setInterval(() => {
    sweepStranded(store, remediateQueue, Date.now()).catch((err: unknown) => {
      log.warn({ err }, 'remediation sweep failed; next time');
    });
  }, SWEEP_MS);
  sweep.unref();
  return {
    workers: [worker],
    /**
     * Fails closed when Redis lost its data: the guardrails' memory (what ran, what is blocked,
     * approvals, an engaged kill switch) went with it, so no hook runs until an operator has
     * looked and turns the kill switch off (POST /api/v1/remediations/kill-switch).
     */
    async reassert({ lostData }: { readonly lostData: boolean }): Promise<void> {
      if (!lostData || (await store.killSwitch())) return;
      await store.setKillSwitch(true);
      log.warn(
        'remediation paused: Redis lost its data, and with it what the hooks did, approvals and blocks; the kill switch is on until an operator turns it off',
      );
    },
    async close(): Promise<void> {
      clearInterval(sweep);
      await Promise.all([
        ...[...actions.values()].map((a) => a.close()),
        remediateQueue.close(),
        notifyQueue.close(),
      ]);
    },
  };
}
