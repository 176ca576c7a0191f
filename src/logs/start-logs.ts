/**
 * The logs stage: one worker per log partition, mining templates and scoring the log series
 * (line counts per template, error ratio, new templates) with detect's scoring core.
 */
import { ScoreBoard } from '../detect/score-board.js';
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
  const { config, connection } = d;
  const prefix = config.redis.prefix;
  await d.queues.enforcePartitionOrder();
  const anomalies = createAnomaliesQueue(connection, d.queueSettings);
  const workers = startLogWorkers({
    connection,
    prefix,
    partitions: config.queues.partitions,
    store: new LogStateStore(connection, prefix, logSettingsFromConfig(config)),
    anomalies,
    board: new ScoreBoard(connection, prefix),
    log: d.log.child({ component: 'logs' }),
    metrics: d.metrics,
    serviceLabel: d.serviceLabel,
  });
  return { workers, close: () => anomalies.close() };
}
