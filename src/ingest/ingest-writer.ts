/**
 * Turns validated records into partition jobs: metric samples are sharded by series key,
 * log records by service, gathered by the group-commit batcher and written as columnar batches.
 */
import type { Queue } from 'bullmq';
import {
  JobNames,
  type CompactSampleBatch,
  type CompactSeries,
  type LogBatch,
  type LogRecord,
  type SeriesMeta,
} from '../queues/contract.js';
import { keyIsParseable } from '../queues/series-key.js';
import { partitionOf } from '../queues/partition.js';
import type { FamilyMeta, MetricFamilies } from '../queues/metric-families.js';
import { noteEarliest, type ServiceSince } from '../queues/service-since.js';
import { PartitionBatcher } from './batcher.js';
import type { LogSample, MetricSample } from './records.js';
import { withTimeout } from '../util/with-timeout.js';

/** Bytes of log text per job at most (about; one long line may exceed it alone). */
const LOG_BATCH_BYTES = 1 << 20;

export interface WriterOptions {
  readonly samplesQueues: readonly Queue[];
  readonly logsQueues: readonly Queue[];
  readonly maxItems: number;
  readonly lingerMs: number;
  /** A queue write that takes longer than this fails (ingest answers 503). */
  readonly writeTimeoutMs: number;
  /**
   * Where each service's first record is noted (its learning starts there), before any of
   * its records is queued; none: not noted (tests of the writer alone).
   */
  readonly since?: ServiceSince | undefined;
  /** Where the metric families' declared types and units are kept; none: not kept. */
  readonly families?: MetricFamilies | undefined;
}

/**
 * Builds the columnar job payload of a batch of samples, compact (v 2): each series once, as
 * its key, service and counter flag; its metric and labels too only when the key cannot give
 * them back.
 */
export function toSampleBatch(
  samples: readonly MetricSample[],
  queuedAt: number,
): CompactSampleBatch {
  const index = new Map<string, number>();
  const series: CompactSeries[] = [];
  const idx: number[] = [];
  const ts: number[] = [];
  const val: number[] = [];
  for (const s of samples) {
    let i = index.get(s.series.key);
    if (i === undefined) {
      i = series.length;
      index.set(s.series.key, i);
      series.push(compactSeries(s.series));
    }
    idx.push(i);
    ts.push(s.ts);
    val.push(s.value);
  }
  return { v: 2, queuedAt, series, idx, ts, val };
}

function compactSeries(m: SeriesMeta): CompactSeries {
  const counter = m.counter ? 1 : 0;
  return keyIsParseable(m.metric, m.labels)
    ? [m.key, m.service, counter]
    : [m.key, m.service, counter, m.metric, m.labels];
}

export class IngestWriter {
  readonly #samples: PartitionBatcher<MetricSample>;
  readonly #logs: PartitionBatcher<LogRecord>;
  readonly #partitions: number;
  readonly #since: ServiceSince | undefined;
  readonly #families: MetricFamilies | undefined;
  readonly #writeTimeoutMs: number;

  constructor(o: WriterOptions) {
    this.#partitions = o.samplesQueues.length;
    this.#since = o.since;
    this.#families = o.families;
    this.#writeTimeoutMs = o.writeTimeoutMs;
    const queueOf = (queues: readonly Queue[], p: number): Queue => {
      const q = queues[p];
      if (!q) throw new Error(`no queue for partition ${p}`);
      return q;
    };
    this.#samples = new PartitionBatcher<MetricSample>({
      maxItems: o.maxItems,
      lingerMs: o.lingerMs,
      flush: async (p, items) => {
        const batch = toSampleBatch(items, Date.now());
        await withTimeout(
          queueOf(o.samplesQueues, p).add(JobNames.SampleBatch, batch),
          o.writeTimeoutMs,
          'queue write',
        );
      },
    });
    this.#logs = new PartitionBatcher<LogRecord>({
      maxItems: o.maxItems,
      // A job stays small enough to parse quickly in the worker, whatever the line sizes.
      maxBytes: LOG_BATCH_BYTES,
      sizeOf: (r) => r.message.length + 64,
      lingerMs: o.lingerMs,
      flush: async (p, records) => {
        const batch: LogBatch = { v: 1, queuedAt: Date.now(), records };
        await withTimeout(
          queueOf(o.logsQueues, p).add(JobNames.LogBatch, batch),
          o.writeTimeoutMs,
          'queue write',
        );
      },
    });
  }

  /**
   * Resolves once every record is durably queued; rejects if any write failed. `families`: the
   * declared types and units of metric families the records came with (a scrape's `# TYPE`,
   * remote_write's metadata), kept before the records are queued.
   */
  async write(
    metrics: readonly MetricSample[],
    logs: readonly LogSample[],
    families?: ReadonlyMap<string, FamilyMeta>,
  ): Promise<void> {
    if (this.#families && families && families.size > 0) {
      await withTimeout(
        this.#families.record(families),
        this.#writeTimeoutMs,
        'metric family write',
      );
    }
    const since = this.#since;
    // Only services this process has not recorded as early: usually none, and no Redis call.
    const earliest = new Map<string, number>();
    if (since) {
      for (const m of metrics) {
        if (since.isNew(m.series.service, m.ts)) noteEarliest(earliest, m.series.service, m.ts);
      }
      for (const { record } of logs) {
        if (since.isNew(record.service, record.ts))
          noteEarliest(earliest, record.service, record.ts);
      }
    }
    if (since && earliest.size > 0) {
      await withTimeout(since.record(earliest), this.#writeTimeoutMs, 'service first-seen write');
    }
    const byPart = new Map<number, MetricSample[]>();
    for (const m of metrics) {
      const p = partitionOf(m.series.key, this.#partitions);
      let list = byPart.get(p);
      if (!list) byPart.set(p, (list = []));
      list.push(m);
    }
    const logsByPart = new Map<number, LogRecord[]>();
    for (const l of logs) {
      const p = partitionOf(l.record.service, this.#partitions);
      let list = logsByPart.get(p);
      if (!list) logsByPart.set(p, (list = []));
      list.push(l.record);
    }
    const writes: Promise<void>[] = [];
    for (const [p, items] of byPart) writes.push(this.#samples.add(p, items));
    for (const [p, items] of logsByPart) writes.push(this.#logs.add(p, items));
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async drain(): Promise<void> {
    await Promise.all([this.#samples.drain(), this.#logs.drain()]);
  }
}
