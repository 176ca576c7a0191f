/**
 * The detect stage: one worker per sample partition, each scoring its batches against the
 * series' states in Redis and writing anomalies to the anomalies queue. Suppressions are read
 * in the background (suppression-cache.ts) and honoured by the scoring.
 */
import { createAnomaliesQueue, type QueueSettings } from '../queues/queues.js';
import { EdgeRecorder } from '../queues/edge-recorder.js';
import { startDetectWorkers } from './detect-worker.js';
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
  });
  const board = new ScoreBoard(connection, prefix);
  const lifecycle = new SeriesLifecycle(
    { store, board, metrics: seriesLifecycleMetrics(d.metrics.registry, store), log },
    { ttlMs },
  );
  const suppressions = new SuppressionCache(new SuppressionStore(connection, prefix), log);
  await suppressions.start();
  const edges = new EdgeRecorder(connection, prefix);
  const workers = startDetectWorkers({
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
  lifecycle.start();
  return {
    workers,
    async reassert(): Promise<void> {
      await d.queues.enforcePartitionOrder();
      // Edges this process recorded before Redis lost them are recorded again when next seen.
      edges.forget();
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
