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
import type { StageDeps } from '../queues/stage-deps.js';

export type NotifyStageDeps = StageDeps<'notify'>;

export async function startNotify(d: NotifyStageDeps) {
  const { config, connection, metrics } = d;
  const prefix = config.redis.prefix;
  const log = d.log.child({ component: 'notify' });
  const store = new IncidentStore(connection, prefix);
  const muted = mutedBy(config.maintenance);
  const notify = d.queues.notify;
  await scheduleAlertmanagerSync(notify, config.notify.resend_ms);
  if (config.notify.receivers.some((r) => r.repeat_interval_ms !== undefined)) {
    await scheduleReminders(notify);
  }
  /** The notify queue's jobs other than deliveries. */
  const other = async (job: Job): Promise<void> => {
    if (job.name === JobNames.Reminders) {
      const open = (await store.open()).filter((i) => !muted(i)).map(incidentJson);
      await queueReminders(
        notify,
        config.notify.receivers,
        open,
        Date.now(),
        config.queues.attempts,
      );
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
        config.queues.attempts,
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
    backoffMs: config.queues.backoff_ms,
    log,
    metrics,
    other,
  });
  return { workers: [worker] };
}
