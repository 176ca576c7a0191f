/**
 * Keeps every configured Alertmanager told about the incidents: a BullMQ job scheduler on the
 * `notify` queue syncs every `notify.resend_ms` (the notify worker, deliver.ts, runs the jobs), and the correlator asks for a sync at once
 * on each transition (opened, acknowledged, reopened, resolved). A sync posts every open
 * incident and those resolved within `notify.resolved_resend_ms` (alertmanager-alerts.ts).
 * Alertmanager deduplicates on the labels, so repeats, retries and restarts never page twice.
 */
import type { Queue } from 'bullmq';
import { JobNames } from '../queues/contract.js';
import type { Config } from '../config/schema.js';
import type { IncidentStore } from '../correlate/incident-store.js';
import type { Incident } from '../correlate/incidents.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { alertsDue } from './alertmanager-alerts.js';
import { postAlerts } from './alertmanager-client.js';

export async function scheduleReminders(notify: Queue): Promise<void> {
  await notify.upsertJobScheduler(
    JobNames.Reminders,
    { every: 60_000 },
    {
      name: JobNames.Reminders,
      data: {},
      opts: { attempts: 1, removeOnComplete: true, removeOnFail: 100 },
    },
  );
}
/** How many recent incidents a sync looks through for resolved ones. */
const RECENT = 200;

export async function scheduleAlertmanagerSync(notify: Queue, resendMs: number): Promise<void> {
  await notify.upsertJobScheduler(
    JobNames.AlertmanagerSync,
    { every: resendMs },
    // One attempt: the next tick is the retry, so a dead Alertmanager never piles up jobs.
    {
      name: JobNames.AlertmanagerSync,
      data: {},
      opts: { attempts: 1, removeOnComplete: true, removeOnFail: 100 },
    },
  );
}

/** Asks for a sync now (after an incident transition). */
export async function requestAlertmanagerSync(notify: Queue): Promise<void> {
  await notify.add(
    JobNames.AlertmanagerSync,
    {},
    { attempts: 1, removeOnComplete: true, removeOnFail: 100 },
  );
}

/** One sync (the notify worker calls it for JobNames.AlertmanagerSync jobs). */
export async function syncAlertmanagers(deps: {
  store: IncidentStore;
  settings: Config['notify'];
  log: Logger;
  metrics: Metrics;
  /** Incidents that notify nobody now (root cause in a maintenance window). */
  muted?: (inc: Incident) => boolean;
  now?: () => number;
}): Promise<void> {
  if (deps.settings.alertmanagers.length === 0) return;
  const recent = (await deps.store.list(RECENT)).filter((i) => !(deps.muted?.(i) ?? false));
  const alerts = alertsDue(recent, (deps.now ?? Date.now)(), deps.settings);
  if (alerts.length === 0) return;
  const results = await postAlerts(deps.settings.alertmanagers, alerts, 5000);
  for (const r of results) {
    deps.metrics.notifications.inc({ receiver: 'alertmanager', outcome: r.outcome });
    if (r.outcome !== 'sent') {
      deps.log.warn(
        { target: r.target, outcome: r.outcome, detail: r.detail },
        'alertmanager did not take the alerts',
      );
    }
  }
  // Retry (with the queue's backoff) while an Alertmanager may still take them.
  const down = results.filter((r) => r.outcome === 'retryable').map((r) => r.target);
  if (down.length > 0) throw new Error(`alertmanager unreachable: ${down.join(', ')}`);
}
