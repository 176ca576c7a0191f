/**
 * A batch whose commit fails (a Redis blip, a lost epoch fence) is retried in place, while it
 * still holds its partition: the next batch waits, so no sample of the failed batch is skipped
 * as "not newer".
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createEwmaDetector } from '../../detectors/ewma.js';
import { startDetectWorkers } from '../../src/detect/detect-worker.js';
import { ScoreBoard } from '../../src/detect/score-board.js';
import { StateStore } from '../../src/detect/state-store.js';
import {
  JobNames,
  QueueNames,
  type SampleBatch,
  type SeriesMeta,
} from '../../src/queues/contract.js';
import { createAnomaliesQueue } from '../../src/queues/queues.js';
import { partitionOf } from '../../src/queues/partition.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import {
  deletePrefix,
  randomPrefix,
  singleLayout,
  TEST_REDIS_URL,
  waitFor,
} from '../helpers/redis.js';

const prefix = randomPrefix();
const conn = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
let workers: Worker[] = [];

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  conn.disconnect();
  await deletePrefix(prefix);
});

/** A store whose commit fails the first `failures` times, like a Redis blip. */
class FlakyStore extends StateStore {
  failures = 2;
  override async commit(...args: Parameters<StateStore['commit']>): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('simulated Redis blip');
    }
    return super.commit(...args);
  }
}

describe('transient failure of a detect batch', () => {
  it('is retried in place, so the next batches wait and no sample is skipped', async () => {
    const detector = createEwmaDetector();
    const partitions = 4;
    const layout = singleLayout(prefix, partitions);
    const store = new FlakyStore(conn, layout, () => detector);
    const series: SeriesMeta = {
      key: 'q{service="auth"}',
      metric: 'q',
      service: 'auth',
      labels: { service: 'auth' },
      counter: false,
    };
    const p = partitionOf(series.key, partitions);
    const queue = new Queue(QueueNames.samples(p), { connection: conn, prefix });
    await queue.setGlobalConcurrency(1);
    const settings = { layout, partitions, attempts: 3, backoffMs: 10 };
    workers = startDetectWorkers({
      connection: conn,
      layout,
      store,
      board: new ScoreBoard(conn, prefix),
      anomalies: createAnomaliesQueue(conn, settings),
      scoring: { threshold: 0.9, holdMs: 0 },
      sliceSamples: 1000,
      inlineRetryMs: 30_000,
      maxStalledCount: 3,
      metrics: createMetrics('test'),
      log: pino({ level: 'silent' }),
      workerId: 'w1',
      serviceLabel: (s) => s,
    });
    let t = Date.UTC(2026, 10, 25);
    for (let j = 0; j < 5; j++) {
      const ts = Array.from({ length: 100 }, () => (t += 1000));
      const batch: SampleBatch = {
        v: 1,
        queuedAt: Date.now(),
        series: [series],
        idx: ts.map(() => 0),
        ts,
        val: ts.map(() => 7),
      };
      // attempts: 1 — if the job failed to BullMQ, its samples would be lost and this test would see it.
      await queue.add(JobNames.SampleBatch, batch, { attempts: 1, removeOnComplete: false });
    }
    await waitFor(
      'all batches done',
      async () => (await queue.getJobCounts('completed')).completed === 5,
    );
    expect(store.failures).toBe(0);
    const stats = await store.stats();
    expect(stats.taken).toBe(500);
    expect(stats.not_newer ?? 0).toBe(0);
    await queue.close();
  });
});
