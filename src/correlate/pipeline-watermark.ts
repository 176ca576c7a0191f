/**
 * How far the pipelines feeding the live correlator have come, in event time: the earliest
 * event time still on its way to it. Read from the queues themselves (queues/contract.ts), so
 * it needs nothing from the stages:
 * - each detect partition (`samples.N`) and log partition (`logs.N`): the oldest batch of each
 *   state (active, waiting, prioritized, delayed: a paused queue keeps its jobs waiting), by its earliest record. A log batch
 *   still pending can yield a new-template anomaly stamped at any of its lines, and close log
 *   buckets stamped at or after them;
 * - the anomalies queue: the anomalies waiting behind the job being run (the oldest 200).
 * Records older than `horizon` are left out: their anomalies could join none of the incidents
 * waiting. The caller (correlate-worker.ts) asks only while a candidate's decision is due.
 */
import { Queue, type Job, type JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  JobNames,
  QueueNames,
  type AnomalyEvent,
  type LogBatch,
  type SampleBatch,
} from '../queues/contract.js';
import type { KeyLayout } from '../queues/key-layout.js';

/** The earliest event time still in flight, and the queue that holds it. */
export interface Behind {
  readonly queue: string;
  readonly ts: number;
}

const BATCH_STATES: JobType[] = ['active', 'wait', 'prioritized', 'delayed'];
const ANOMALY_STATES: JobType[] = ['wait', 'prioritized', 'delayed'];
const ANOMALIES_LOOKED_AT = 200;

/** The earliest event time at or after `horizon` in a batch or anomaly job's data. */
export function earliestIn(name: string, data: unknown, horizon: number): number {
  let min = Infinity;
  const take = (ts: unknown): void => {
    if (typeof ts === 'number' && Number.isFinite(ts) && ts >= horizon && ts < min) min = ts;
  };
  if (typeof data !== 'object' || data === null) return min;
  if (name === JobNames.SampleBatch) {
    const ts = (data as Partial<SampleBatch>).ts;
    if (Array.isArray(ts)) for (const t of ts) take(t);
  } else if (name === JobNames.LogBatch) {
    const records = (data as Partial<LogBatch>).records;
    if (Array.isArray(records)) for (const r of records) take((r as { ts?: unknown } | null)?.ts);
  } else if (name === JobNames.Anomaly) {
    take((data as Partial<AnomalyEvent>).ts);
  }
  return min;
}

export class PipelineWatermark {
  readonly #inputs: Queue[];
  readonly #anomalies: Queue;

  constructor(connection: Redis, layout: KeyLayout) {
    const queue = (name: string, prefix: string): Queue => new Queue(name, { connection, prefix });
    const range = Array.from({ length: layout.partitions }, (_, p) => p);
    this.#inputs = [
      ...range.map((p) => queue(QueueNames.samples(p), layout.samples(p))),
      ...range.map((p) => queue(QueueNames.logs(p), layout.logs(p))),
    ];
    this.#anomalies = queue(QueueNames.anomalies, layout.main);
  }

  /** The earliest event time at or after `horizon` still on its way, or undefined. */
  async pending(horizon: number): Promise<Behind | undefined> {
    const looks = [
      ...this.#inputs.map(async (q) => ({
        queue: q.name,
        jobs: await q.getJobs(BATCH_STATES, 0, 0, true),
      })),
      (async () => ({
        queue: this.#anomalies.name,
        jobs: await this.#anomalies.getJobs(ANOMALY_STATES, 0, ANOMALIES_LOOKED_AT - 1, true),
      }))(),
    ];
    let behind: Behind | undefined;
    for (const { queue, jobs } of await Promise.all(looks)) {
      for (const job of jobs as Job[]) {
        const ts = earliestIn(job.name, job.data, horizon);
        if (ts < (behind?.ts ?? Infinity)) behind = { queue, ts };
      }
    }
    return behind;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#inputs, this.#anomalies].map((q) => q.close()));
  }
}
