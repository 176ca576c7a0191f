/**
 * kill -9 of a worker under load (issue 21's fault tests): one ingest process and two detect
 * processes on a Redis of their own, each detect process leasing half of the partitions and
 * checkpointing its states every 2 s (write-behind). Sequence-numbered samples are posted
 * throughout; one detect process is SIGKILLed mid-stream, while it holds a batch. Every sample
 * ingest acknowledged (202) is counted as scored exactly once (the learning of the dead
 * process's last 2 s is lost, its counts are not), and each series' checkpointed state ends at
 * its last acknowledged sample: the survivor takes the dead process's partitions once their
 * leases expire, and the batch it held once its lock expires.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectorRegistry } from '../../detectors/registry.js';
import { decodeSeriesState } from '../../src/detect/series-state.js';
import { StateStore } from '../../src/detect/state-store.js';
import { QueueNames } from '../../src/queues/contract.js';
import { partitionOf } from '../../src/queues/partition.js';
import { seriesKey } from '../../src/queues/series-key.js';
import { randomPrefix, singleLayout, waitFor } from '../helpers/redis.js';
import { TestRedisServer } from '../helpers/redis-server.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const PARTITIONS = 4;
const SERIES = 24;
const prefix = randomPrefix();
let server: TestRedisServer;
let redis: Redis;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  server = await TestRedisServer.start();
  redis = new Redis(server.url);
  const env = {
    REDIS_URL: server.url,
    AIOPS_REDIS__PREFIX: prefix,
    AIOPS_QUEUES__PARTITIONS: String(PARTITIONS),
    AIOPS_DETECT__DETECTORS__DEFAULT: 'ewma',
    AIOPS_DETECT__CHECKPOINT_MS: '2000',
  };
  workers.push(
    ...(await Promise.all([
      startWorkerProcess({ args: ['--role', 'ingest'], env }),
      startWorkerProcess({ args: ['--role', 'detect'], env }),
      startWorkerProcess({ args: ['--role', 'detect'], env }),
    ])),
  );
}, 90_000);

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  redis.disconnect();
  await server.down();
}, 60_000);

/** Posts rounds of one new sample per series until stopped; counts what was acknowledged. */
class Load {
  acked = 0;
  readonly last = new Map<string, number>();
  #stop = false;
  readonly #done: Promise<void>;

  constructor(url: string, t0: number) {
    this.#done = (async () => {
      for (let round = 0; !this.#stop; round++) {
        const ts = t0 + round * 1000;
        const lines = Array.from({ length: SERIES }, (_, i) => ({
          ts,
          metric: 'queue_depth',
          labels: { service: `svc-${i % 4}`, shard: String(i) },
          value: 100 + ((round * 7 + i) % 13),
        }));
        const res = await fetch(`${url}/api/v1/samples`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: lines.map((l) => JSON.stringify(l)).join('\n'),
        }).catch(() => undefined);
        // Only a 202 is an acknowledgement; anything else is the sender's to retry (not here).
        if (res?.status !== 202) break;
        this.acked += lines.length;
        for (const l of lines) this.last.set(seriesKey(l.metric, l.labels), l.ts);
        if (round % 10 === 9) await new Promise((r) => setTimeout(r, 5));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#done;
  }
}

const taken = async (): Promise<number> =>
  Number((await redis.hget(`${prefix}:detect:stats`, 'taken')) ?? 0);

describe('kill -9 of a detect process under load', () => {
  it('scores every acknowledged sample exactly once, in order, after taking over its batches', async () => {
    const [ingest, doomed, survivor] = workers as [WorkerProcess, WorkerProcess, WorkerProcess];
    const load = new Load(ingest.url, Date.UTC(2026, 11, 7));
    await waitFor('both detect processes scoring', async () => (await taken()) > 2000, 30_000);
    // Killed while it holds a batch (its worker name starts with its pid), so that batch has
    // to be taken over; not between two batches, which would leave nothing to recover.
    const queues = Array.from(
      { length: PARTITIONS },
      (_, p) => new Queue(QueueNames.samples(p), { connection: redis, prefix }),
    );
    const held = async (): Promise<Job | undefined> => {
      for (const q of queues) {
        const jobs = (await q.getJobs(['active'])) as Job[];
        const mine = jobs.find((j) => j.processedBy?.startsWith(`${doomed.child.pid}-`));
        if (mine) return mine;
      }
      return undefined;
    };
    // Completions as they happen: the finished jobs of a partition are kept only 200 deep, so
    // the held batch may be gone from Redis by the time the survivor has worked through the
    // batches queued behind it; its completed event is not.
    const completedAt = new Map<string, number>();
    const events = Array.from({ length: PARTITIONS }, (_, p) => {
      const { hostname: host, port } = new URL(server.url);
      const qe = new QueueEvents(QueueNames.samples(p), {
        connection: { host, port: Number(port) },
        prefix,
      });
      qe.on('completed', ({ jobId }) => completedAt.set(`${p}/${jobId}`, Date.now()));
      return qe;
    });
    await Promise.all(events.map((qe) => qe.waitUntilReady()));
    // Frozen first (SIGSTOP), so that a batch seen active cannot finish before the kill lands.
    let caught: Job | undefined;
    await waitFor(
      'the doomed process holding a batch',
      async () => {
        doomed.child.kill('SIGSTOP');
        caught = await held();
        doomed.child.kill(caught ? 'SIGKILL' : 'SIGCONT');
        return caught !== undefined;
      },
      30_000,
    );
    const exited = doomed.exited;
    const ackedAtKill = load.acked;
    expect(await exited).toBeNull();
    const deadAt = Date.now();
    // Load goes on while the dead process's batch stays locked (briefly: the partition's
    // finished jobs are kept 200 deep, and the held one is looked at once it is done).
    await new Promise((r) => setTimeout(r, 400));
    await load.stop();
    expect(load.acked).toBeGreaterThan(ackedAtKill);

    // The survivor takes the dead process's partitions once their leases expire (15 s); BullMQ
    // moves the batch it held back once its lock (30 s) expired and a stalled check (every
    // 30 s) finds it: up to about 75 s.
    await waitFor(
      'every acknowledged sample scored',
      async () => (await taken()) >= load.acked,
      120_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const stats = await redis.hgetall(`${prefix}:detect:stats`);
    expect(Number(stats.taken)).toBe(load.acked);
    expect(Number(stats.invalid ?? 0)).toBe(0);

    const detector = detectorRegistry.ewma?.create({});
    if (!detector) throw new Error('no ewma detector');
    const store = new StateStore(redis, singleLayout(prefix, PARTITIONS), () => detector);
    const lastStored = async (key: string): Promise<number | undefined> => {
      const bytes = await redis.getBuffer(store.stateKey(partitionOf(key, PARTITIONS), key));
      const state = bytes ? decodeSeriesState(detector, bytes) : undefined;
      return state && detector.lastTimestamp(state.det);
    };
    // Checkpointed within 2 s of the last batch (the checkpoint runs every second).
    await waitFor(
      'every state checkpointed',
      async () => {
        for (const [key, ts] of load.last) if ((await lastStored(key)) !== ts) return false;
        return true;
      },
      10_000,
    );
    for (const [key, ts] of load.last) expect(await lastStored(key), key).toBe(ts);
    // The batch it held was run again, after the doomed process was dead: by the survivor.
    const partition = Number(/\d+$/.exec(caught?.queueName ?? '')?.[0]);
    expect(completedAt.get(`${partition}/${caught?.id}`)).toBeGreaterThan(deadAt);
    await Promise.all([...queues, ...events].map((q) => q.close()));
    expect(survivor.child.exitCode).toBeNull();
    expect(ingest.child.exitCode).toBeNull();
  }, 240_000);
});
