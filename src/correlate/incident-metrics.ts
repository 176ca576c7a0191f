/**
 * Open incidents on /metrics, read from Redis at scrape time so every process shows the same:
 * `aiops_incident_open{incident,root_cause,severity} 1` per open incident and
 * `aiops_incident_affected{incident,service} 1` per service it touches. A Redis fault leaves
 * them out of one scrape; it never fails /metrics.
 */
import { Gauge, type Registry } from 'prom-client';
import { frozenLabels } from './incident-json.js';
import type { Incident } from './incidents.js';
import type { IncidentStore } from './incident-store.js';
import { withTimeout } from '../util/with-timeout.js';
import type { Logger } from '../telemetry/logger.js';

export function registerIncidentMetrics(
  registry: Registry,
  store: IncidentStore,
  log: Logger,
  serviceLabel: (service: string) => string,
): void {
  let current: Promise<Incident[]> = Promise.resolve([]);
  const read = async (): Promise<Incident[]> => {
    try {
      return await withTimeout(store.open(), 2000, 'incident read');
    } catch (err) {
      log.warn({ err }, 'could not read incidents for /metrics');
      return [];
    }
  };
  new Gauge({
    name: 'aiops_incident_open',
    help: '1 for each open incident, labelled with its root cause and severity.',
    labelNames: ['incident', 'root_cause', 'severity'] as const,
    registers: [registry],
    async collect() {
      current = read();
      this.reset();
      for (const inc of await current) {
        this.set(
          {
            incident: inc.id,
            // Frozen at opening, so the alert rule's series (and the page) stays the same.
            root_cause: serviceLabel(frozenLabels(inc).root_cause),
            severity: frozenLabels(inc).severity,
          },
          1,
        );
      }
    },
  });
  new Gauge({
    name: 'aiops_incident_affected',
    help: '1 for each service an open incident touches.',
    labelNames: ['incident', 'service'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const inc of await current) {
        for (const service of inc.services) {
          this.set({ incident: inc.id, service: serviceLabel(service) }, 1);
        }
      }
    },
  });
}
