/**
 * The notify stage: one worker on the `notify` queue that delivers to direct receivers, syncs
 * the Alertmanagers (on a schedule every `notify.resend_ms`, and on demand after a transition)
 * and queues reminders (minutely, when a receiver has a `repeat_interval_ms`).
 */
import type { Job } from 'bullmq';
import { incidentJson } from '../correlate/incident-json.js';
import { IncidentStore } from '../correlate/incident-store.js';
import { JobNames, type EscalationJob } from '../queues/contract.js';
import {
  scheduleAlertmanagerSync,
  scheduleReminders,
  syncAlertmanagers,
} from './alertmanager-sync.js';
import { queueDeliveries, queueReminders, startDeliveryWorker } from './deliver.js';
import { mutedBy } from './incident-routing.js';
import { notifyTargets, probeTargets } from './target-probe.js';
import { DeliveryLedger } from './delivery-ledger.js';
import { DELIVERY_ATTEMPTS, deliveryPolicy } from './delivery-policy.js';
import { DeadLetterStore } from '../queues/dead-letters.js';
import type { StageDeps } from '../queues/stage-deps.js';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../telemetry/metrics.js';

export type NotifyStageDeps = StageDeps<'notify'>;

const OUTCOMES = ['sent', 'retryable', 'rejected', 'skipped'] as const;
const DEAD_LETTER_REASONS = ['rejected', 'expired', 'never_opened'] as const;

/**
 * Exports `aiops_notifications_total` at 0 for every receiver type this process delivers to
 * (and `alertmanager` when Alertmanagers are configured) and every outcome, and
 * `aiops_notifications_dead_lettered_total` for every receiver type and reason, so `increase()`
 * in the AiopsNotificationsFailing and AiopsNotificationsDeadLettered rules
 * (config/prometheus/rules.yml) sees the first failure: a series born at 1 shows no increase.
 */
export function primeNotificationMetrics(metrics: Metrics, notify: Config['notify']): void {
  const receivers = new Set<string>(notify.receivers.map((r) => r.type));
  if (notify.alertmanagers.length > 0) receivers.add('alertmanager');
  for (const receiver of receivers) {
    for (const outcome of OUTCOMES) metrics.notifications.inc({ receiver, outcome }, 0);
  }
  for (const receiver of new Set(notify.receivers.map((r) => r.type))) {
    for (const reason of DEAD_LETTER_REASONS) metrics.deadLettered.inc({ receiver, reason }, 0);
  }
  // A delivery whose receiver left the config meanwhile (its type is gone with it).
  if (notify.receivers.length > 0) {
    metrics.deadLettered.inc({ receiver: 'unknown', reason: 'unconfigured' }, 0);
  }
}

export async function startNotify(d: NotifyStageDeps) {
  const { config, connection, metrics } = d;
  const prefix = d.layout.main;
  const log = d.log.child({ component: 'notify' });
  const store = new IncidentStore(connection, prefix);
  const muted = mutedBy(config.maintenance);
  const notify = d.queues.notify;
  primeNotificationMetrics(metrics, config.notify);
  // In the background: a target that is down is a warning, never a reason to wait or stop.
  const targets = notifyTargets(config.notify);
  const probes = targets.length > 0 ? probeTargets(targets, log) : undefined;
  // The schedulers, written at start and again whenever Redis lost them.
  const reassert = async (): Promise<void> => {
    await scheduleAlertmanagerSync(notify, config.notify.resend_ms);
    if (config.notify.receivers.some((r) => r.repeat_interval_ms !== undefined)) {
      await scheduleReminders(notify);
    }
  };
  await reassert();
  /** The notify queue's jobs other than deliveries. */
  const other = async (job: Job): Promise<void> => {
    if (job.name === JobNames.Reminders) {
      const open = (await store.open()).filter((i) => !muted(i)).map(incidentJson);
      await queueReminders(notify, config.notify.receivers, open, Date.now(), DELIVERY_ATTEMPTS);
    }
    if (job.name === JobNames.Escalation) {
      const e = job.data as EscalationJob;
      const inc = await store.get(e.incident);
      if (!inc) return;
      await queueDeliveries(
        notify,
        config.notify.receivers,
        incidentJson(inc),
        'escalated',
        DELIVERY_ATTEMPTS,
        { note: e.note, key: e.remediation },
      );
    }
    if (job.name === JobNames.AlertmanagerSync) {
      await syncAlertmanagers({ store, settings: config.notify, log, metrics, muted });
    }
  };
  const worker = startDeliveryWorker({
    connection,
    prefix,
    receivers: config.notify.receivers,
    externalUrl: config.notify.external_url,
    policy: deliveryPolicy(config.notify),
    queue: notify,
    ledger: new DeliveryLedger(connection, prefix),
    deadLetters: new DeadLetterStore(connection, prefix),
    log,
    metrics,
    other,
  });
  return {
    workers: [worker],
    reassert,
    ...(probes
      ? {
          warnings: () => probes.warnings(),
          close: () => {
            probes.stop();
            return Promise.resolve();
          },
        }
      : {}),
  };
}
