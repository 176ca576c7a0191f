/**
 * The depth of every queue on /metrics, read from Redis at scrape time. A Redis fault leaves it
 * out of one scrape; it never fails /metrics.
 */
import type { Queue } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';

const SCRAPE_TIMEOUT_MS = 2000;

export function registerQueueMetrics(registry: Registry, queues: () => Queue[], log: Logger): void {
  new Gauge({
    name: 'aiops_queue_jobs',
    help: 'Jobs in each queue by state (waiting, active, delayed, failed).',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const all = queues();
        const counts = await withTimeout(
          Promise.all(all.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'failed'))),
          SCRAPE_TIMEOUT_MS,
          'queue depth read',
        );
        all.forEach((q, i) => {
          for (const [state, n] of Object.entries(counts[i] ?? {}))
            this.set({ queue: q.name, state }, n);
        });
      } catch (err) {
        log.warn({ err }, 'could not read queue depths for /metrics');
      }
    },
  });
}
