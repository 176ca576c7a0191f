/**
 * The BullMQ queues of one deployment: partitioned sample and log queues (each worked by one
 * job at a time across all processes) and the anomalies queue.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueueNames } from './contract.js';
import type { KeyLayout } from './key-layout.js';

export interface QueueSettings {
  /** Where each queue lives (the partition queues in their own slots on a Redis Cluster). */
  readonly layout: KeyLayout;
  readonly partitions: number;
  readonly attempts: number;
  readonly backoffMs: number;
}

export interface Queues {
  readonly samples: readonly Queue[];
  readonly logs: readonly Queue[];
  readonly anomalies: Queue;
  readonly notify: Queue;
  /** Remediation runs, verifications and open-for checks. */
  readonly remediate: Queue;
  all(): Queue[];
  /** Sets global concurrency 1 on every partition queue (idempotent). */
  enforcePartitionOrder(): Promise<void>;
  close(): Promise<void>;
}

export function batchJobOptions(s: QueueSettings): JobsOptions {
  return {
    attempts: s.attempts,
    backoff: { type: 'exponential', delay: s.backoffMs },
    removeOnComplete: { count: 200 },
    removeOnFail: { count: 5000 },
  };
}

/**
 * The anomalies queue on a given connection. Detect workers write to it through their own
 * (retrying) connection, so a Redis blip delays an anomaly instead of failing its batch.
 */
export function createAnomaliesQueue(connection: Redis, s: QueueSettings): Queue {
  return new Queue(QueueNames.anomalies, {
    connection,
    prefix: s.layout.main,
    defaultJobOptions: {
      attempts: s.attempts,
      backoff: { type: 'exponential', delay: s.backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { count: 10_000 },
    },
  });
}

/** `connection` should fail fast (producer): ingest answers 503 rather than hang. */
export function createQueues(connection: Redis, s: QueueSettings): Queues {
  const make = (name: string, prefix: string, defaultJobOptions: JobsOptions): Queue =>
    new Queue(name, { connection, prefix, defaultJobOptions });
  const batchOpts = batchJobOptions(s);
  const range = Array.from({ length: s.partitions }, (_, p) => p);
  const samples = range.map((p) => make(QueueNames.samples(p), s.layout.samples(p), batchOpts));
  const logs = range.map((p) => make(QueueNames.logs(p), s.layout.logs(p), batchOpts));
  const anomalies = createAnomaliesQueue(connection, s);
  const notify = make(QueueNames.notify, s.layout.main, batchOpts);
  // Remediation jobs set their own attempts and retention (run-remediation.ts, propose.ts).
  const remediate = make(QueueNames.remediate, s.layout.main, {});
  const all = (): Queue[] => [...samples, ...logs, anomalies, notify, remediate];
  return {
    samples,
    logs,
    anomalies,
    notify,
    remediate,
    all,
    async enforcePartitionOrder() {
      await Promise.all([...samples, ...logs].map((q) => q.setGlobalConcurrency(1)));
    },
    async close() {
      await Promise.allSettled(all().map((q) => q.close()));
    },
  };
}
