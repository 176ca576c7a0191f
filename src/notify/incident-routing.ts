/**
 * Which incident transitions reach whom: every transition asks the Alertmanagers for a sync,
 * and opened/acknowledged/reopened/resolved go to each matching direct receiver. `updated` (new
 * evidence on an open incident) is no page: receivers are not told, Alertmanager gets the new
 * annotations on the same labels. `raised` (an open warning became critical) pages as critical:
 * each receiver that routes the incident now gets the page it would have got had it opened
 * critical (`opened`, or `reopened` after a reopening), with the same delivery id, so a
 * receiver already paged for it is not paged again and one that routes critical incidents only
 * gets its first page. While the root cause's service is in a maintenance window, new pages
 * (opened, reopened, raised, reminders) are held back, but acknowledgements and resolves still
 * go out so nothing is left dangling.
 */
import type { Queue } from 'bullmq';
import type { Config } from '../config/schema.js';
import { incidentJson } from '../correlate/incident-json.js';
import type { Incident, IncidentEvent } from '../correlate/incidents.js';
import { maintenanceCheck } from '../maintenance/maintenance.js';
import type { IncidentRemediation, Transition } from '../queues/contract.js';
import { requestAlertmanagerSync } from './alertmanager-sync.js';
import { DELIVERY_ATTEMPTS } from './delivery-policy.js';
import { queueDeliveries } from './deliver.js';

/** True for an incident that pages nobody now: its root cause is in a maintenance window. */
export function mutedBy(
  maintenance: Config['maintenance'],
  now: () => number = Date.now,
): (inc: Incident) => boolean {
  const inMaintenance = maintenanceCheck(maintenance);
  return (inc) => inMaintenance?.(inc.root_cause?.service ?? '', now()) ?? false;
}

/**
 * The correlator's `onTransition`: queues what each transition owes the receivers (idempotent
 * job ids, so a retried correlator job queues nothing twice), listing the remediation hooks a
 * transition called for (`remediations`, by incident id) on the incident it sends.
 */
export function notifyTransitions(
  config: Pick<Config, 'notify' | 'maintenance' | 'queues'>,
  notify: Queue,
): (
  events: readonly IncidentEvent[],
  remediations?: ReadonlyMap<string, readonly IncidentRemediation[]>,
) => Promise<void> {
  const muted = mutedBy(config.maintenance);
  return async (events, remediations) => {
    if (config.notify.alertmanagers.length > 0) await requestAlertmanagerSync(notify);
    for (const e of events) {
      if (e.type === 'updated' || e.type === 'dropped') continue;
      const page = e.type === 'opened' || e.type === 'reopened' || e.type === 'raised';
      if (page && muted(e.incident)) continue;
      const transition: Transition =
        e.type === 'raised' ? (e.incident.reopened > 0 ? 'reopened' : 'opened') : e.type;
      const hooks = remediations?.get(e.incident.id);
      const inc = incidentJson(e.incident);
      await queueDeliveries(
        notify,
        config.notify.receivers,
        hooks && hooks.length > 0 ? { ...inc, remediations: hooks } : inc,
        transition,
        DELIVERY_ATTEMPTS,
      );
    }
  };
}
