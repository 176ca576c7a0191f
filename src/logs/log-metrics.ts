/**
 * `aiops_log_templates_active{service}`, read from Redis at scrape time so every process shows
 * the same figures. A Redis fault leaves it out of one scrape; it never fails /metrics.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';

export function registerLogMetrics(
  registry: Registry,
  activeTemplates: () => Promise<Map<string, number>>,
  log: Logger,
  serviceLabel: (service: string) => string,
): void {
  new Gauge({
    name: 'aiops_log_templates_active',
    help: 'Log templates the miner keeps per service.',
    labelNames: ['service'] as const,
    registers: [registry],
    async collect() {
      let active: Map<string, number>;
      try {
        active = await withTimeout(activeTemplates(), 2000, 'log template read');
      } catch (err) {
        log.warn({ err }, 'could not read log templates for /metrics');
        return;
      }
      this.reset();
      // Services outside the configured ones share the label "other": their counts add up.
      const byLabel = new Map<string, number>();
      for (const [service, n] of active) {
        const label = serviceLabel(service);
        byLabel.set(label, (byLabel.get(label) ?? 0) + n);
      }
      for (const [service, n] of byLabel) this.set({ service }, n);
    },
  });
}
