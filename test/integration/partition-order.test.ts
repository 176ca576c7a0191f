/**
 * Two detect processes against the same Redis: a partition is scored by the process that leases
 * it, and handed over to the other when that one stops. The detector sees every sample exactly
 * once, in timestamp order, and the handover loses no learning (the states are checkpointed
 * before the lease goes).
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

const series: SeriesMeta = {
  key: 'latency_ms{service="auth"}',
  metric: 'latency_ms',
  service: 'auth',
  labels: { service: 'auth' },
  counter: false,
};
const PER_JOB = 50;

const storedLast = async (p: number): Promise<number | undefined> => {
  const stored = await redis.getBuffer(`${prefix}:detect:s:${p}:${series.key}`);
  const detector = detectorRegistry[DEFAULT_DETECTOR]?.create({});
  const state = stored && detector ? decodeSeriesState(detector, stored) : undefined;
  return state && detector?.lastTimestamp(state.det);
};

describe('partition order across processes', () => {
  it('one process scores a partition at a time, and hands it over with its states', async () => {
    // The default write-behind: states reach Redis at a handover or a shutdown, not per batch.
    const env = { REDIS_URL: TEST_REDIS_URL, AIOPS_REDIS__PREFIX: prefix };
    workers.push(
      ...(await Promise.all(
        [1, 2].map(() => startWorkerProcess({ args: ['--role', 'detect'], env })),
      )),
    );
    const p = partitionOf(series.key, 16);
    const queue = new Queue(QueueNames.samples(p), { connection: redis, prefix });
    let t = Date.UTC(2026, 10, 25);
    const addJobs = async (n: number): Promise<void> => {
      for (let j = 0; j < n; j++) {
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
        // Small groups with pauses: idle workers of both processes would compete for a job.
        if (j % 3 === 2) await new Promise((r) => setTimeout(r, 15));
      }
    };
    const completed = async (n: number): Promise<void> => {
      await waitFor(
        `${n} batches processed`,
        async () => (await queue.getJobCounts('completed')).completed === n,
        60_000,
      );
    };
    const byWorker = async (): Promise<Map<string, number>> => {
      const jobs: Job[] = await queue.getJobs(['completed'], 0, -1);
      const m = new Map<string, number>();
      for (const j of jobs) {
        const w = (j.returnvalue as { worker: string }).worker;
        m.set(w, (m.get(w) ?? 0) + 1);
      }
      return m;
    };

    // Both processes took a share of the 16 partitions: only the holder of p scores it.
    await waitFor(
      'both processes holding partitions',
      async () => (await redis.hlen(`${prefix}:detect:leases`)) === 16 + 2, // and 2 heartbeats
      15_000,
    );
    await addJobs(60);
    await completed(60);
    const first = await byWorker();
    expect(first.size).toBe(1);
    const holderId = [...first.keys()][0] ?? '';
    const holder = workers.find((w) => holderId.startsWith(`${w.child.pid}-`));
    if (!holder) throw new Error(`no process named ${holderId}`);
    const tAfterFirst = t;

    // The holder stops: it finishes, checkpoints its states, and gives the lease up.
    holder.child.kill('SIGTERM');
    expect(await holder.exited).toBe(0);
    expect(await storedLast(p)).toBe(tAfterFirst);

    await addJobs(60);
    await completed(120);
    const all = await byWorker();
    expect(all.size).toBe(2);
    expect(all.get(holderId)).toBe(60);

    const stats = await redis.hgetall(`${prefix}:detect:stats`);
    expect(Number(stats.taken)).toBe(120 * PER_JOB);
    // A batch run out of order, twice, or beside its neighbour would have had samples ignored.
    expect(Number(stats.not_newer ?? 0)).toBe(0);
    expect(Number(stats.invalid ?? 0)).toBe(0);

    // The second holder went on from the first one's states: at its shutdown, its checkpoint
    // holds the last sample.
    const other = workers.find((w) => w !== holder);
    other?.child.kill('SIGTERM');
    expect(await other?.exited).toBe(0);
    expect(await storedLast(p)).toBe(t);
    await queue.close();
  });
});
