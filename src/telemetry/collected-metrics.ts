/**
 * Metrics read from Redis at scrape time: the anomaly scores of the score board (the same
 * bounded view on every process) and the depth of every queue. A Redis fault leaves these
 * out of one scrape; it never fails /metrics.
 */
import type { Queue } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';
import type { ScoreBoard } from '../detect/score-board.js';
import type { Logger } from './logger.js';
import { withTimeout } from '../util/with-timeout.js';

const SCRAPE_TIMEOUT_MS = 2000;

export function registerScoreMetrics(
  registry: Registry,
  board: ScoreBoard,
  opts: { topN: number; minScore: number; staleAfterMs: number; now: () => number },
  log: Logger,
): void {
  const labelNames = ['service', 'metric', 'series'] as const;
  const expected = new Gauge({
    name: 'aiops_anomaly_expected',
    help: 'Value the detector expected for the series at its latest sample (exported series only).',
    labelNames,
    registers: [registry],
  });
  const value = new Gauge({
    name: 'aiops_anomaly_value',
    help: 'Latest value scored for the series (a per-second rate for counters).',
    labelNames,
    registers: [registry],
  });
  new Gauge({
    name: 'aiops_anomaly_score',
    help: 'Latest anomaly score in [0,1] of a series: the top N series plus every series at or above the export minimum.',
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      expected.reset();
      value.reset();
      try {
        const entries = await withTimeout(
          board.read({ ...opts, nowMs: opts.now() }),
          SCRAPE_TIMEOUT_MS,
          'score read',
        );
        for (const e of entries) {
          const labels = { service: e.service, metric: e.metric, series: e.key };
          this.set(labels, e.score);
          expected.set(labels, e.expected);
          value.set(labels, e.value);
        }
      } catch (err) {
        log.warn({ err }, 'could not read anomaly scores for /metrics');
      }
    },
  });
}

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
