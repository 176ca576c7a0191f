/**
 * Drives the detect stage's job handler directly (no BullMQ worker): what the lifecycle and
 * churn tests need to score batches against a real Redis and read back what they left there.
 */
import { randomPrefix, singleLayout } from './redis.js';
import { createAnomaliesQueue } from '../../src/queues/queues.js';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Detector } from '../../detectors/contract.js';
import { processSampleBatch, type DetectResult } from '../../src/detect/detect-worker.js';
import { ScoreBoard } from '../../src/detect/score-board.js';
import { SeriesHistory } from '../../src/detect/series-history.js';
import { StateStore } from '../../src/detect/state-store.js';
import { JobNames, type SampleBatch, type SeriesMeta } from '../../src/queues/contract.js';
import { createMetrics, type Metrics } from '../../src/telemetry/metrics.js';

export interface DetectDriver {
  readonly store: StateStore;
  readonly board: ScoreBoard;
  readonly history: SeriesHistory;
  readonly metrics: Metrics;
  /** Scores one batch of partition `p` as the worker would (as job `jobId`: a new id else). */
  run(p: number, batch: SampleBatch, jobId?: string): Promise<DetectResult>;
}

export function detectDriver(o: {
  redis: Redis;
  prefix: string;
  anomalies: Queue;
  detector: () => Detector<unknown>;
  ttlMs: number;
  historyKeepMs?: number;
  partitions?: number;
  /** `detect.checkpoint_ms` (default 0: every state written with its batch). */
  checkpointMs?: number;
  /** The store's wall clock. */
  now?: () => number;
}): DetectDriver {
  const detector = o.detector();
  const layout = singleLayout(o.prefix, o.partitions ?? 4);
  const store = new StateStore(o.redis, layout, () => detector, {
    ttlMs: o.ttlMs,
    checkpointMs: o.checkpointMs ?? 0,
    ...(o.now ? { now: o.now } : {}),
  });
  const board = new ScoreBoard(o.redis, o.prefix);
  const keepMs = o.historyKeepMs ?? 6 * 3_600_000;
  const history = new SeriesHistory(o.redis, o.prefix, {
    keepMs,
    ttlMs: o.ttlMs > 0 ? Math.min(keepMs, o.ttlMs) : keepMs,
  });
  const metrics = createMetrics('test');
  const deps = {
    connection: o.redis,
    layout,
    store,
    board,
    history,
    anomalies: o.anomalies,
    scoring: { threshold: 0.9, holdMs: 0, keepStepEnds: history.enabled },
    sliceSamples: 5000,
    inlineRetryMs: 5000,
    maxStalledCount: 1,
    metrics,
    log: pino({ level: 'silent' }),
    workerId: 'test',
    serviceLabel: (s: string) => s,
  };
  let jobs = 0;
  return {
    store,
    board,
    history,
    metrics,
    run: (p, batch, jobId) =>
      processSampleBatch(
        deps,
        p,
      )({
        name: JobNames.SampleBatch,
        data: batch,
        id: jobId ?? `${o.prefix}-${++jobs}`,
      } as unknown as Job),
  };
}

/**
 * A fresh prefix and its anomalies queue, for a test that drives the detect stage: the prefix
 * goes into `prefixes` (to delete) and the queue's close into `closers`.
 */
export function freshAnomalies(
  redis: Redis,
  prefixes: string[],
  closers: (() => Promise<unknown>)[],
): { prefix: string; anomalies: Queue } {
  const prefix = randomPrefix();
  prefixes.push(prefix);
  const anomalies = createAnomaliesQueue(redis, {
    layout: singleLayout(prefix, 1),
    partitions: 1,
    attempts: 1,
    backoffMs: 10,
  });
  closers.push(() => anomalies.close());
  return { prefix, anomalies };
}

export function seriesMeta(name: string, service = 'churn'): SeriesMeta {
  return {
    key: `${name}{service="${service}"}`,
    metric: name,
    service,
    labels: { service },
    counter: false,
  };
}

/** A columnar batch: every series gets `samples` samples, `stepMs` apart from `t0`. */
export function batchOf(
  series: readonly SeriesMeta[],
  t0: number,
  samples: number,
  stepMs: number,
): SampleBatch {
  const idx: number[] = [];
  const ts: number[] = [];
  const val: number[] = [];
  for (let k = 0; k < samples; k++) {
    series.forEach((_, i) => {
      idx.push(i);
      ts.push(t0 + k * stepMs);
      val.push(100 + ((i + k) % 7));
    });
  }
  return { v: 1, queuedAt: Date.now(), series, idx, ts, val };
}

/** Keys under `prefix` and the bytes Redis reports for them (`MEMORY USAGE ... SAMPLES 0`). */
export async function prefixMemory(
  redis: Redis,
  prefix: string,
  group: (key: string) => string = () => 'all',
): Promise<Map<string, { keys: number; bytes: number }>> {
  const out = new Map<string, { keys: number; bytes: number }>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipe = redis.pipeline();
    for (const k of keys) pipe.memory('USAGE', k, 'SAMPLES', 0);
    const replies = (await pipe.exec()) ?? [];
    keys.forEach((k, i) => {
      const bytes = Number(replies[i]?.[1] ?? 0);
      if (!bytes) return; // expired between SCAN and MEMORY USAGE
      const g = group(k.slice(prefix.length + 1));
      const acc = out.get(g) ?? { keys: 0, bytes: 0 };
      acc.keys += 1;
      acc.bytes += bytes;
      out.set(g, acc);
    });
  } while (cursor !== '0');
  return out;
}
