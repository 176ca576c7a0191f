/**
 * The detect stage's I/O shell: one BullMQ worker per sample partition queue. Each job loads
 * the states of its series (cache + Redis), scores the batch with the pure core in slices that
 * yield to the event loop, queues anomaly events (deduplicated by id), then commits the states
 * fenced on the partition epoch. At-least-once: a re-run batch changes nothing, because a
 * detector ignores samples not newer than the last it took.
 *
 * Order: a job that hits a transient fault (Redis blip, lost epoch fence) is retried in place,
 * while it still holds its partition. Failing it would let BullMQ run the partition's next
 * batch first, and the retried samples would then be older than the state and be skipped.
 */
import type { EdgeRecorder } from '../queues/edge-recorder.js';
import { setTimeout as sleep, setImmediate as yieldLoop } from 'node:timers/promises';
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobNames, QueueNames, type SampleBatch } from '../queues/contract.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { withSpan } from '../telemetry/tracing.js';
import {
  emptyOutcome,
  eventTimeOrder,
  scoreSlice,
  type BatchOutcome,
  type ScoringOptions,
} from './score-batch.js';
import type { ScoreBoard } from './score-board.js';
import type { SeriesHistory } from './series-history.js';
import { StaleEpochError, type StateStore } from './state-store.js';
import { sampleBatchOf } from './validate-batch.js';
import { onJobFailed } from '../queues/job-failures.js';
import type { KeyLayout } from '../queues/key-layout.js';
import { IDLE_WORKER } from '../queues/worker-options.js';
import { isConnectionError, workerErrorLog } from '../queues/worker-errors.js';

export interface DetectDeps {
  /** Worker connection (retries for ever), shared by the workers, the store and the board. */
  readonly connection: Redis;
  /** Where the partition queues live (`layout.partitions` of them). */
  readonly layout: KeyLayout;
  readonly store: StateStore;
  readonly board: ScoreBoard;
  /** The recent points of each series, for the status page (written with the board). */
  readonly history?: SeriesHistory;
  /** The anomalies queue, on a connection that waits through a Redis restart. */
  readonly anomalies: Queue;
  readonly scoring: ScoringOptions;
  readonly sliceSamples: number;
  /** How long a job keeps retrying a transient fault in place before it fails to BullMQ. */
  readonly inlineRetryMs: number;
  /** A job that stalled this many times fails for good (set from queues.attempts). */
  readonly maxStalledCount: number;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Names this process in job results and logs. */
  readonly workerId: string;
  /** Maps a service to a bounded metric label (configured services, else "other"). */
  readonly serviceLabel: (service: string) => string;
  /** Records dependency edges that service-graph series reveal, for the correlator. */
  readonly edges?: EdgeRecorder;
}

export interface DetectResult {
  readonly worker: string;
  readonly taken: number;
  readonly notNewer: number;
  readonly invalid: number;
  readonly anomalies: number;
}

/** Load, score, queue anomalies, commit: one attempt, all or nothing for the state. */
async function scoreAndCommit(
  deps: DetectDeps,
  partition: number,
  batch: SampleBatch,
  jobId: string,
): Promise<BatchOutcome> {
  const keys = batch.series.map((s) => s.key);
  await deps.edges?.record(batch.series);
  const { epoch, states } = await deps.store.load(partition, batch.series);
  const cached = keys.map((k) => states.get(k));
  const out = emptyOutcome();
  try {
    const order = eventTimeOrder(batch.ts);
    const at = (i: number) => {
      const c = cached[i];
      if (!c) throw new Error(`series index ${i} out of range`);
      return c;
    };
    const detectorOf = (i: number) => at(i).detector;
    const stateOf = (i: number) => at(i).state;
    for (let from = 0; from < order.length; from += deps.sliceSamples) {
      if (from > 0) await yieldLoop();
      const to = Math.min(order.length, from + deps.sliceSamples);
      scoreSlice(detectorOf, deps.scoring, batch, order, from, to, stateOf, out);
    }
    if (out.anomalies.length > 0) {
      await deps.anomalies.addBulk(
        out.anomalies.map((a) => ({ name: JobNames.Anomaly, data: a, opts: { jobId: a.id } })),
      );
    }
    await deps.store.commit(
      partition,
      epoch,
      states,
      [...out.touched].map((i) => keys[i] ?? ''),
      {
        taken: out.taken,
        not_newer: out.notNewer,
        invalid: out.invalid,
        counter_primed: out.counterPrimed,
      },
      jobId,
    );
  } catch (err) {
    // The batch's series were changed by a scoring that did not commit: drop those (a moved
    // epoch has dropped the whole partition already); the partition's other unsaved states
    // stay, and the retry reloads the batch's series.
    deps.store.forget(partition, keys);
    throw err;
  }
  return out;
}

/** The lock a job's worker holds while it runs the job (BullMQ's default, 30 s). */
const JOB_LOCK_MS = 30_000;

export class BatchTakenOverError extends Error {
  override name = 'BatchTakenOverError';
}

/**
 * Whether this worker still holds the job's lock (extending it): false once BullMQ gave the job
 * to another worker after this one stalled. A job without a token (tests drive the handler
 * directly) is held.
 */
async function holdsLock(job: Job): Promise<boolean> {
  if (!job.token || typeof job.extendLock !== 'function') return true;
  try {
    return (await job.extendLock(job.token, JOB_LOCK_MS)) === 1;
  } catch {
    return true; // Redis away: the retry finds out, and asks again
  }
}

export function processSampleBatch(deps: DetectDeps, partition: number) {
  return async (job: Job): Promise<DetectResult> => {
    const batch = job.name === JobNames.SampleBatch ? sampleBatchOf(job.data) : undefined;
    if (!batch) {
      throw new UnrecoverableError(`job ${job.id ?? '?'} is not a valid ${JobNames.SampleBatch}`);
    }
    return withSpan('detect.batch', { partition, samples: batch.ts.length }, async () => {
      const started = performance.now();
      let out: BatchOutcome | undefined;
      for (let attempt = 0; !out; attempt++) {
        try {
          // In the partition's turn: a checkpoint must not move the epoch under the batch.
          out = await deps.store.exclusive(partition, () =>
            scoreAndCommit(deps, partition, batch, job.id ?? ''),
          );
        } catch (err) {
          const elapsed = performance.now() - started;
          if (elapsed > deps.inlineRetryMs) throw err;
          // A process frozen past its job's lock must not go on: another process has taken the
          // batch (and the partition), and a retry here would commit over the new holder's.
          if (!(await holdsLock(job))) {
            deps.log.info(
              { partition, jobId: job.id },
              'detect batch taken over by another process while this one was stalled; dropped here',
            );
            throw new BatchTakenOverError(`job ${job.id ?? '?'} is no longer this process's`);
          }
          deps.metrics.jobFailures.inc({ stage: 'detect', kind: 'inline_retry' });
          // Redis away is the connections' to log (once per outage); a moved epoch (another
          // process committed, or a commit whose answer was lost) is routine; the rest warns.
          const level = isConnectionError(err)
            ? 'debug'
            : err instanceof StaleEpochError
              ? 'info'
              : 'warn';
          deps.log[level](
            { err, partition, jobId: job.id, attempt },
            'detect batch failed; retrying in place',
          );
          await sleep(Math.min(250 * 2 ** attempt, 5000));
        }
      }
      try {
        const pipe = deps.connection.pipeline();
        deps.board.record(pipe, out.latest.values(), Date.now());
        deps.history?.record(pipe, [...out.stepEnds, ...out.latest.values()]);
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
      if (out.paused) m.samplesProcessed.inc({ outcome: 'paused' }, out.paused);
      for (const a of out.anomalies) m.anomalies.inc({ service: deps.serviceLabel(a.service) });
      for (const a of out.suppressedAnomalies) {
        m.anomaliesSuppressed.inc({ service: deps.serviceLabel(a.service) });
      }
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

/**
 * The detect workers of this process: one per sample partition it holds (partition-leases.ts
 * starts and stops them as it gains and hands over partitions). `list` is live: the readiness
 * check and the shutdown read the workers running at that moment.
 */
export class DetectWorkers {
  readonly list: Worker[] = [];
  readonly #deps: DetectDeps;
  readonly #byPartition = new Map<number, Worker>();
  readonly #attachErrors: ReturnType<typeof workerErrorLog>;

  constructor(deps: DetectDeps) {
    this.#deps = deps;
    this.#attachErrors = workerErrorLog(deps.log, 'detect');
  }

  /** Starts scoring partition `p` (no-op when it runs already). */
  start(p: number): void {
    if (this.#byPartition.has(p)) return;
    const deps = this.#deps;
    const worker = new Worker(QueueNames.samples(p), processSampleBatch(deps, p), {
      ...IDLE_WORKER,
      connection: deps.connection,
      prefix: deps.layout.samples(p),
      concurrency: 1,
      name: deps.workerId,
      // Re-running a stalled batch is harmless (epoch fence, not-newer samples, job ids counted
      // once), so a batch whose worker died more than once is still run rather than failed.
      maxStalledCount: deps.maxStalledCount,
    });
    worker.on('failed', onJobFailed('detect', deps.metrics, deps.log));
    worker.on('completed', (job: Job) => {
      deps.store.forgetCommitted(p, job.id ?? '').catch((err: unknown) => {
        deps.log.debug({ err, partition: p }, 'could not forget a committed job id (it expires)');
      });
    });
    this.#attachErrors(worker, { partition: p });
    this.#byPartition.set(p, worker);
    this.list.push(worker);
  }

  /** Stops scoring partition `p` once its running batch is done (`force`: at once). */
  async stop(p: number, force = false): Promise<void> {
    const worker = this.#byPartition.get(p);
    if (!worker) return;
    this.#byPartition.delete(p);
    this.list.splice(this.list.indexOf(worker), 1);
    await worker.close(force);
  }

  /** Partitions with a running worker. */
  get partitions(): number[] {
    return [...this.#byPartition.keys()].sort((a, b) => a - b);
  }
}

/** Workers for every partition at once (the tests' and tools' way; the stage leases). */
export function startDetectWorkers(deps: DetectDeps): Worker[] {
  const workers = new DetectWorkers(deps);
  for (let p = 0; p < deps.layout.partitions; p++) workers.start(p);
  return workers.list;
}
