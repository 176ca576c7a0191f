/**
 * The anomaly scores of the score board on /metrics, read from Redis at scrape time (the same
 * bounded view on every process). A Redis fault leaves them out of one scrape; it never fails
 * /metrics.
 */
import { Gauge, type Registry } from 'prom-client';
import type { BoardEntry, ScoreBoard } from './score-board.js';
import { fnv1a32 } from '../queues/partition.js';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';

const SCRAPE_TIMEOUT_MS = 2000;

export function registerScoreMetrics(
  registry: Registry,
  board: ScoreBoard,
  opts: { topN: number; minScore: number; staleAfterMs: number; now: () => number },
  log: Logger,
): void {
  const labelNames = ['service', 'metric', 'series'] as const;
  // One Redis read per scrape, shared by the three gauges: the score gauge is registered (and
  // so collected) first and starts the read; the other two await the same promise.
  let current: Promise<BoardEntry[]> = Promise.resolve([]);
  const read = async (): Promise<BoardEntry[]> => {
    try {
      return await withTimeout(
        board.read({ ...opts, nowMs: opts.now() }),
        SCRAPE_TIMEOUT_MS,
        'score read',
      );
    } catch (err) {
      log.warn({ err }, 'could not read anomaly scores for /metrics');
      return [];
    }
  };
  const fill = (
    gauge: Gauge<(typeof labelNames)[number]>,
    entries: BoardEntry[],
    pick: (e: BoardEntry) => number,
  ): void => {
    gauge.reset();
    for (const e of entries) {
      const v = pick(e);
      // A non-finite value (a broken series) is left out rather than failing the scrape.
      if (Number.isFinite(v))
        gauge.set({ service: e.service, metric: e.metric, series: seriesLabel(e.key) }, v);
    }
  };
  new Gauge({
    name: 'aiops_anomaly_score',
    help: 'Latest anomaly score in [0,1] of a series: the top N series plus every series at or above the export minimum.',
    labelNames,
    registers: [registry],
    async collect() {
      current = read();
      fill(this, await current, (e) => e.score);
    },
  });
  new Gauge({
    name: 'aiops_anomaly_expected',
    help: 'Value the detector expected for the series at its latest sample (exported series only).',
    labelNames,
    registers: [registry],
    async collect() {
      fill(this, await current, (e) => e.expected);
    },
  });
  new Gauge({
    name: 'aiops_series_learning',
    help: '1 while the exported series is still learning (its detector warming up; its score is 0 meanwhile), else 0.',
    labelNames,
    registers: [registry],
    async collect() {
      fill(this, await current, (e) => (e.learning ? 1 : 0));
    },
  });
  new Gauge({
    name: 'aiops_anomaly_value',
    help: 'Latest value scored for the series (a per-second rate for counters).',
    labelNames,
    registers: [registry],
    async collect() {
      fill(this, await current, (e) => e.value);
    },
  });
}

const MAX_SERIES_LABEL = 200;

/** The series key as a label, cut to a bounded length (with a hash so cut keys stay distinct). */
export function seriesLabel(key: string): string {
  if (key.length <= MAX_SERIES_LABEL) return key;
  return `${key.slice(0, MAX_SERIES_LABEL - 12)}…#${fnv1a32(key).toString(16).padStart(8, '0')}`;
}
