/**
 * The detect stage's I/O shell: one BullMQ worker per sample partition queue. Each job loads
 * the states of its series (cache + Redis), scores the batch with the pure core in slices that
 * yield to the event loop, queues anomaly events (deduplicated by id), then commits the states
 * fenced on the partition epoch. At-least-once: a retried batch changes nothing, because a
 * detector ignores samples not newer than the last it took.
 */
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Detector } from '../../detectors/contract.js';
import { JobNames, QueueNames, type SampleBatch } from '../queues/contract.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { withSpan } from '../telemetry/tracing.js';
import { emptyOutcome, eventTimeOrder, scoreSlice } from './score-batch.js';
import type { ScoreBoard } from './score-board.js';
import type { StateStore } from './state-store.js';
import { isSampleBatch } from './validate-batch.js';

export interface DetectDeps<S> {
  readonly connection: Redis;
  readonly prefix: string;
  readonly partitions: number;
  readonly detector: Detector<S>;
  readonly store: StateStore<S>;
  readonly board: ScoreBoard;
  readonly anomalies: Queue;
  readonly threshold: number;
  readonly sliceSamples: number;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Names this process in job results and logs. */
  readonly workerId: string;
}

export interface DetectResult {
  readonly worker: string;
  readonly taken: number;
  readonly notNewer: number;
  readonly invalid: number;
  readonly anomalies: number;
}

export function processSampleBatch<S>(deps: DetectDeps<S>, partition: number) {
  return async (job: Job): Promise<DetectResult> => {
    if (job.name !== JobNames.SampleBatch || !isSampleBatch(job.data)) {
      deps.metrics.jobFailures.inc({ stage: 'detect', kind: 'final' });
      throw new UnrecoverableError(`job ${job.id ?? '?'} is not a valid ${JobNames.SampleBatch}`);
    }
    const batch: SampleBatch = job.data;
    return withSpan('detect.batch', { partition, samples: batch.ts.length }, async () => {
      const started = performance.now();
      const keys = batch.series.map((s) => s.key);
      const { epoch, states } = await deps.store.load(partition, keys);
      const seriesStates = keys.map((k) => states.get(k));
      const out = emptyOutcome();
      try {
        const order = eventTimeOrder(batch.ts);
        for (let from = 0; from < order.length; from += deps.sliceSamples) {
          if (from > 0) await yieldLoop();
          const to = Math.min(order.length, from + deps.sliceSamples);
          scoreSlice(
            deps.detector,
            deps.threshold,
            batch,
            order,
            from,
            to,
            (i) => {
              const s = seriesStates[i];
              if (!s) throw new Error(`series index ${i} out of range`);
              return s;
            },
            out,
          );
        }
        if (out.anomalies.length > 0) {
          await deps.anomalies.addBulk(
            out.anomalies.map((a) => ({ name: JobNames.Anomaly, data: a, opts: { jobId: a.id } })),
          );
        }
        const touchedKeys = [...out.touched].map((i) => keys[i] ?? '');
        await deps.store.commit(partition, epoch, states, touchedKeys, {
          taken: out.taken,
          not_newer: out.notNewer,
          invalid: out.invalid,
          counter_primed: out.counterPrimed,
        });
      } catch (err) {
        deps.store.invalidate(partition);
        throw err;
      }
      try {
        const pipe = deps.connection.pipeline();
        deps.board.record(pipe, out.latest.values(), Date.now());
        await pipe.exec();
      } catch (err) {
        deps.log.warn(
          { err, partition },
          'score board update failed; /metrics catches up on the next batch',
        );
      }
      const m = deps.metrics;
      m.samplesProcessed.inc({ outcome: 'taken' }, out.taken);
      if (out.notNewer) m.samplesProcessed.inc({ outcome: 'not_newer' }, out.notNewer);
      if (out.invalid) m.samplesProcessed.inc({ outcome: 'invalid' }, out.invalid);
      if (out.counterPrimed)
        m.samplesProcessed.inc({ outcome: 'counter_primed' }, out.counterPrimed);
      for (const a of out.anomalies) m.anomalies.inc({ service: a.service });
      m.detectorLag.observe(Math.max(0, Date.now() - batch.queuedAt) / 1000);
      m.jobDuration.observe({ stage: 'detect' }, (performance.now() - started) / 1000);
      return {
        worker: deps.workerId,
        taken: out.taken,
        notNewer: out.notNewer,
        invalid: out.invalid,
        anomalies: out.anomalies.length,
      };
    });
  };
}

export function startDetectWorkers<S>(deps: DetectDeps<S>): Worker[] {
  const workers: Worker[] = [];
  for (let p = 0; p < deps.partitions; p++) {
    const worker = new Worker(QueueNames.samples(p), processSampleBatch(deps, p), {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: 1,
      name: deps.workerId,
    });
    worker.on('failed', (job, err) => {
      const final =
        !job || job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
      deps.metrics.jobFailures.inc({ stage: 'detect', kind: final ? 'final' : 'retry' });
      deps.log.warn({ err, partition: p, jobId: job?.id, final }, 'detect job failed');
    });
    worker.on('error', (err) => {
      deps.log.error({ err, partition: p }, 'detect worker error');
    });
    workers.push(worker);
  }
  return workers;
}
