/**
 * Two worker processes against the same Redis interleave the batches of one partition, and the
 * detector still sees every sample exactly once, in timestamp order.
 */
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR, detectorRegistry } from '../../detectors/registry.js';
import { decodeSeriesState } from '../../src/detect/series-state.js';
import {
  JobNames,
  QueueNames,
  type SampleBatch,
  type SeriesMeta,
} from '../../src/queues/contract.js';
import { partitionOf } from '../../src/queues/partition.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const prefix = randomPrefix();
const workers: WorkerProcess[] = [];
const redis = new Redis(TEST_REDIS_URL);

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  redis.disconnect();
  await deletePrefix(prefix);
});

describe('partition order across processes', () => {
  it('two processes interleave one partition, and each sample is taken once, in order', async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, AIOPS_REDIS__PREFIX: prefix };
    // Both processes up before any job exists, so either may take the first one.
    workers.push(
      ...(await Promise.all(
        [1, 2].map(() => startWorkerProcess({ args: ['--role', 'detect'], env })),
      )),
    );

    const series: SeriesMeta = {
      key: 'latency_ms{service="auth"}',
      metric: 'latency_ms',
      service: 'auth',
      labels: { service: 'auth' },
      counter: false,
    };
    const p = partitionOf(series.key, 16);
    const queue = new Queue(QueueNames.samples(p), { connection: redis, prefix });
    const JOBS = 120;
    const PER_JOB = 50;
    let t = Date.UTC(2026, 10, 25);
    for (let j = 0; j < JOBS; j++) {
      const ts = Array.from({ length: PER_JOB }, () => (t += 1000));
      const batch: SampleBatch = {
        v: 1,
        queuedAt: Date.now(),
        series: [series],
        idx: ts.map(() => 0),
        ts,
        val: ts.map((_, i) => 100 + (i % 7)),
      };
      await queue.add(JobNames.SampleBatch, batch, { removeOnComplete: false, attempts: 5 });
      // Add in small groups with pauses, so both idle workers compete for the next job.
      if (j % 3 === 2) await new Promise((r) => setTimeout(r, 15));
    }
    await waitFor(
      'all batches processed',
      async () => (await queue.getJobCounts('completed')).completed === JOBS,
      60_000,
    );

    const stats = await redis.hgetall(`${prefix}:detect:stats`);
    expect(Number(stats.taken)).toBe(JOBS * PER_JOB);
    expect(Number(stats.not_newer ?? 0)).toBe(0);
    expect(Number(stats.invalid ?? 0)).toBe(0);

    const stored = await redis.getBuffer(`${prefix}:detect:s:${p}:${series.key}`);
    const detector = detectorRegistry[DEFAULT_DETECTOR]?.create({});
    const state = stored && detector ? decodeSeriesState(detector, stored) : undefined;
    expect(state && detector?.lastTimestamp(state.det)).toBe(t);

    // Order and exclusivity follow from the stats above: batches hold disjoint, increasing time
    // ranges, so a batch run out of order, twice or concurrently with its neighbour would have
    // had samples ignored as not newer. (Job timestamps are not used: processedOn and finishedOn
    // come from the clocks of two processes taken at different moments.)
    const jobs: Job[] = await queue.getJobs(['completed'], 0, -1);
    expect(jobs).toHaveLength(JOBS);
    const byWorker = new Map<string, number>();
    for (const j of jobs) {
      const w = (j.returnvalue as { worker: string }).worker;
      byWorker.set(w, (byWorker.get(w) ?? 0) + 1);
    }
    expect(byWorker.size).toBe(2);
    await queue.close();
  });
});
