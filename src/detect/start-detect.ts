/**
 * The detect stage: one worker per sample partition this process leases (partition-leases.ts),
 * each scoring its batches against the series' states (cached here, checkpointed to Redis every
 * `detect.checkpoint_ms`) and writing anomalies to the anomalies queue. Suppressions are read
 * in the background (suppression-cache.ts) and honoured by the scoring.
 */
import { createAnomaliesQueue, type QueueSettings } from '../queues/queues.js';
import { EdgeRecorder } from '../queues/edge-recorder.js';
import { DetectWorkers } from './detect-worker.js';
import { PartitionLeases } from './partition-leases.js';
import { Counter, Gauge, type Registry } from 'prom-client';
import { withTimeout } from '../util/with-timeout.js';
import { detectorChoiceOrThrow } from './detector-choice.js';
import { ScoreBoard } from './score-board.js';
import { scoringFromConfig } from './scoring-options.js';
import { SeriesHistory } from './series-history.js';
import { SeriesLifecycle, seriesLifecycleMetrics } from './series-lifecycle.js';
import { StateStore } from './state-store.js';
import { SuppressionCache } from './suppression-cache.js';
import { SuppressionStore } from './suppression-store.js';
import type { StageDeps } from '../queues/stage-deps.js';

/** How long a job keeps retrying a transient fault (Redis away) in place before BullMQ retries it. */
const INLINE_RETRY_MS = 60_000;
/**
 * A partition lease not renewed for this long is free for another process: how long a dead
 * process's partitions wait (its batch in hand waits for its job lock, 30 s, anyway).
 */
const LEASE_MS = 15_000;
/**
 * How often leases are renewed and shares rebalanced (a process joining waits about this): one
 * script of about eight commands, so an idle process spends under 2 commands a second on it.
 */
const LEASE_RENEW_MS = 5_000;
/** How often the due states are checkpointed, at most (a fraction of `detect.checkpoint_ms`). */
const CHECKPOINT_TICK_MS = 5_000;

export interface DetectStageDeps extends StageDeps<'enforcePartitionOrder'> {
  readonly queueSettings: QueueSettings;
  readonly workerId: string;
  readonly serviceLabel: (service: string) => string;
}

export async function startDetect(d: DetectStageDeps) {
  const { config, connection, layout } = d;
  const prefix = layout.main;
  await d.queues.enforcePartitionOrder();
  // Anomalies go out on the worker connection, so a Redis blip delays one instead of failing its batch.
  const anomalies = createAnomaliesQueue(connection, d.queueSettings);
  const ttlMs = config.detect.state_ttl_ms;
  const keepMs = config.detect.history_keep_ms;
  // A series' history goes with its state, if that expires first.
  const history = new SeriesHistory(connection, prefix, {
    keepMs,
    ttlMs: ttlMs > 0 ? Math.min(keepMs, ttlMs) : keepMs,
  });
  const log = d.log.child({ component: 'detect' });
  const store = new StateStore(connection, layout, detectorChoiceOrThrow(config.detect).forSeries, {
    ttlMs,
    checkpointMs: config.detect.checkpoint_ms,
  });
  const board = new ScoreBoard(connection, prefix);
  const lifecycle = new SeriesLifecycle(
    { store, board, metrics: seriesLifecycleMetrics(d.metrics.registry, store), log },
    { ttlMs },
  );
  const suppressions = new SuppressionCache(new SuppressionStore(connection, prefix), log);
  await suppressions.start();
  const edges = new EdgeRecorder(connection, prefix);
  const workers = new DetectWorkers({
    connection,
    layout,
    store,
    board,
    history,
    anomalies,
    scoring: {
      ...scoringFromConfig(config),
      suppressed: suppressions.check,
      // The history writes each minute a batch closed, not only its latest scores.
      keepStepEnds: history.enabled,
    },
    sliceSamples: config.detect.slice_samples,
    inlineRetryMs: INLINE_RETRY_MS,
    maxStalledCount: config.queues.attempts,
    metrics: d.metrics,
    log,
    workerId: d.workerId,
    serviceLabel: d.serviceLabel,
    edges,
  });
  // A partition given up is stopped and checkpointed before it can be taken again.
  const stopping = new Map<number, Promise<void>>();
  const handOver = (p: number): Promise<void> => {
    const done = (async () => {
      await workers.stop(p);
      await store.release(p);
    })().finally(() => stopping.delete(p));
    stopping.set(p, done);
    return done;
  };
  const leases = new PartitionLeases(
    connection,
    prefix,
    d.workerId,
    {
      acquired: (p) => {
        const begin = (): void => {
          // Still ours (a tick may have lost it meanwhile): from Redis's states.
          if (!leases.held.includes(p)) return;
          store.invalidate(p);
          workers.start(p);
        };
        // A handover of the same partition still finishing (its batch, its checkpoint) goes
        // first; not awaited, so the renewals of the other leases go on meanwhile.
        const pending = stopping.get(p);
        if (pending) void pending.catch(() => undefined).then(begin);
        else begin();
        return Promise.resolve();
      },
      released: handOver,
      lost: (p) => {
        // Not awaited: the renewals of the other leases go on while its batch finishes.
        void handOver(p).catch((err: unknown) => {
          log.warn({ err, partition: p }, 'partition lost: its unsaved states are dropped');
        });
        return Promise.resolve();
      },
    },
    log,
    { partitions: layout.partitions, leaseMs: LEASE_MS, renewMs: LEASE_RENEW_MS },
  );
  await leases.start();
  const checkpointMs = store.checkpointMs;
  const checkpoints =
    checkpointMs > 0
      ? setInterval(
          () => {
            for (const p of workers.partitions) {
              store.checkpoint(p).catch((err: unknown) => {
                log.debug({ err, partition: p }, 'checkpoint failed; the next one tries again');
              });
            }
          },
          Math.min(CHECKPOINT_TICK_MS, Math.max(100, checkpointMs / 2)),
        )
      : undefined;
  checkpoints?.unref();
  registerDetectGauges(d.metrics.registry, leases, store);
  lifecycle.start();
  return {
    workers: workers.list,
    async reassert(): Promise<void> {
      await d.queues.enforcePartitionOrder();
      // Edges this process recorded before Redis lost them are recorded again when next seen.
      edges.forget();
      // Leases lost with Redis's data are taken again at once, not at the next renewal.
      await leases.tick();
    },
    /** Hands every partition over: workers finish their batch, states are checkpointed. */
    async drain(deadline: number): Promise<void> {
      clearInterval(checkpoints);
      await withTimeout(leases.stop(), Math.max(0, deadline - Date.now()), 'detect handover').catch(
        (err: unknown) => {
          log.warn(
            { err },
            'detect states not all checkpointed by the deadline: up to detect.checkpoint_ms of learning is lost',
          );
        },
      );
    },
    close: async () => {
      suppressions.stop();
      await lifecycle.stop();
      // The points still waiting for their step to end; a later process may write the same
      // step again, and readers keep the newer point.
      await history.flush().catch((err: unknown) => {
        log.warn({ err }, 'series history flush failed: its last minute is lost');
      });
      await anomalies.close();
    },
  };
}

/** How many partitions this process scores, and what it holds unsaved or had to drop. */
function registerDetectGauges(
  registry: Registry,
  leases: PartitionLeases,
  store: StateStore,
): void {
  if (registry.getSingleMetric('aiops_detect_partitions_held')) return;
  new Gauge({
    name: 'aiops_detect_partitions_held',
    help: 'Sample partitions this process leases and scores (a fair share of queues.partitions among the live detect processes).',
    registers: [registry],
    collect() {
      this.set(leases.held.length);
    },
  });
  new Gauge({
    name: 'aiops_series_state_unsaved',
    help: 'Detector states this process changed since their last checkpoint to Redis (detect.checkpoint_ms): what a kill -9 would lose of their learning.',
    registers: [registry],
    collect() {
      this.set(store.unsaved);
    },
  });
  new Counter({
    name: 'aiops_series_state_dropped_total',
    help: 'Series whose unsaved learning this process dropped: another process had taken their partition (this one was frozen or cut off past its lease), or a batch failed after scoring. They go on from their last checkpoint.',
    registers: [registry],
    collect() {
      const n = store.takeDropped();
      if (n > 0) this.inc(n);
    },
  });
}
