/**
 * The logs stage: one worker per log partition, mining templates and scoring the log series
 * (line counts per template, error ratio, new templates) with detect's scoring core. Log
 * anomalies honour the suppressions as metric ones do (detect/suppression-cache.ts).
 */
import { ScoreBoard } from '../detect/score-board.js';
import { SeriesHistory } from '../detect/series-history.js';
import { SuppressionCache } from '../detect/suppression-cache.js';
import { SuppressionStore } from '../detect/suppression-store.js';
import { createAnomaliesQueue, type QueueSettings } from '../queues/queues.js';
import { LogStateStore } from './log-state-store.js';
import { logSettingsFromConfig } from './log-settings.js';
import { startLogWorkers } from './log-worker.js';
import type { StageDeps } from '../queues/stage-deps.js';

export interface LogsStageDeps extends StageDeps<'enforcePartitionOrder'> {
  readonly queueSettings: QueueSettings;
  readonly serviceLabel: (service: string) => string;
}

export async function startLogs(d: LogsStageDeps) {
  const { config, connection, layout } = d;
  const prefix = layout.main;
  await d.queues.enforcePartitionOrder();
  const anomalies = createAnomaliesQueue(connection, d.queueSettings);
  const log = d.log.child({ component: 'logs' });
  const suppressions = new SuppressionCache(new SuppressionStore(connection, prefix), log);
  await suppressions.start();
  const settings = logSettingsFromConfig(config);
  const history = new SeriesHistory(connection, prefix, { keepMs: config.detect.history_keep_ms });
  const workers = startLogWorkers({
    connection,
    layout,
    store: new LogStateStore(connection, layout, {
      ...settings,
      scoring: {
        ...settings.scoring,
        suppressed: suppressions.check,
        // The history writes each minute a batch closed, not only its latest scores.
        keepStepEnds: history.enabled,
      },
    }),
    anomalies,
    board: new ScoreBoard(connection, prefix),
    history,
    log,
    metrics: d.metrics,
    serviceLabel: d.serviceLabel,
  });
  return {
    workers,
    close: async () => {
      suppressions.stop();
      await history.flush().catch((err: unknown) => {
        log.warn({ err }, 'log series history flush failed: its last minute is lost');
      });
      await anomalies.close();
    },
  };
}
