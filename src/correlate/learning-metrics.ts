/**
 * Services still learning on /metrics, read from Redis at scrape time so every process shows
 * the same: `aiops_service_learning_until_timestamp_seconds{service}`, when each service's
 * learning (`correlate.learning_ms` after its first record) ends, for those still learning.
 * Until then their anomalies open no incident. A Redis fault leaves them out of one scrape; it
 * never fails /metrics.
 */
import { Gauge, type Registry } from 'prom-client';
import { stillLearning, type ServiceSince } from '../queues/service-since.js';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';

export function registerLearningMetrics(
  registry: Registry,
  since: Pick<ServiceSince, 'all'>,
  o: {
    readonly learningMs: number;
    readonly now: () => number;
    readonly log: Logger;
    readonly serviceLabel: (service: string) => string;
  },
): void {
  new Gauge({
    name: 'aiops_service_learning_until_timestamp_seconds',
    help: 'When each service still learning stops learning (correlate.learning_ms after its first record): until then its anomalies open no incident. Services that have learned are not listed.',
    labelNames: ['service'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (o.learningMs <= 0) return;
      let first: Map<string, number>;
      try {
        first = await withTimeout(since.all(), 2000, 'service first-seen read');
      } catch (err) {
        o.log.warn({ err }, 'could not read the services learning for /metrics');
        return;
      }
      // Services not configured share the label `other`: it shows the latest end among them.
      const byLabel = new Map<string, number>();
      for (const [service, until] of stillLearning(first, o.learningMs, o.now())) {
        const label = o.serviceLabel(service);
        byLabel.set(label, Math.max(byLabel.get(label) ?? 0, until));
      }
      for (const [service, until] of byLabel) this.set({ service }, until / 1000);
    },
  });
}
