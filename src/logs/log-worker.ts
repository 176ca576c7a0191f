/**
 * The log stage's I/O shell: one BullMQ worker per log partition queue (a service always hashes
 * to the same partition). Each job loads the states of its services (cache + Redis), runs the
 * pure core (log-analysis.ts), queues the log anomalies (deduplicated by id), then commits the
 * states fenced on the partition epoch and marks the job done, so a redelivered job is skipped
 * instead of counted twice.
 */
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobNames, QueueNames, type LogBatch, type LogRecord } from '../queues/contract.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { onJobFailed } from '../queues/job-failures.js';
import { analyzeLogs } from './log-analysis.js';
import { emptyLogOutcome } from './log-outcome.js';
import type { ServiceLogState } from './log-service-state.js';
import type { LogStateStore } from './log-state-store.js';
import type { ScoreBoard } from '../detect/score-board.js';
import type { SeriesHistory } from '../detect/series-history.js';
import { normaliseLevel } from './levels.js';
import type { KeyLayout } from '../queues/key-layout.js';
import { IDLE_WORKER } from '../queues/worker-options.js';
import { logWorkerErrors } from '../queues/worker-errors.js';

export interface LogWorkerDeps {
  readonly connection: Redis;
  /** Where the partition queues live (`layout.partitions` of them). */
  readonly layout: KeyLayout;
  readonly store: LogStateStore;
  readonly anomalies: Queue;
  /** The log series' latest scores go on the same board as metrics' (aiops_anomaly_score). */
  readonly board: ScoreBoard;
  /** Their recent points, for the status and incident pages (as metrics' are). */
  readonly history?: SeriesHistory;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly serviceLabel: (service: string) => string;
}

export interface LogJobResult {
  readonly records: number;
  readonly invalid: number;
  readonly anomalies: number;
  readonly skipped?: 'already done';
}

const isRecord = (r: unknown): r is LogRecord => {
  const x = r as Partial<LogRecord> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.ts === 'number' &&
    Number.isFinite(x.ts) &&
    typeof x.service === 'string' &&
    typeof x.level === 'string' &&
    typeof x.message === 'string'
  );
};

/** Records dated further ahead than this (a sender's clock gone wrong) are skipped. */
const MAX_FUTURE_MS = 10 * 60_000;

export function startLogWorkers(deps: LogWorkerDeps): Worker[] {
  const workers: Worker[] = [];
  let lastFutureWarning = 0;
  for (let p = 0; p < deps.layout.partitions; p++) {
    const worker = new Worker(
      QueueNames.logs(p),
      async (job: Job<LogBatch>): Promise<LogJobResult> => {
        const started = performance.now();
        const raw: unknown = (job.data as Partial<LogBatch>).records;
        if (!Array.isArray(raw)) throw new UnrecoverableError('not a log batch');
        const jobId = job.id ?? `${job.name}-${String(job.timestamp)}`;
        if (await deps.store.done(p, jobId)) {
          return { records: raw.length, invalid: 0, anomalies: 0, skipped: 'already done' };
        }
        const records = raw.filter(isRecord);
        try {
          const services = [...new Set(records.map((r) => r.service))];
          const { epoch, states } = await deps.store.load(p, services);
          const out = emptyLogOutcome();
          analyzeLogs(
            deps.store.settings,
            records,
            (service) => states.get(service) as ServiceLogState,
            out,
            Date.now() + MAX_FUTURE_MS,
          );
          if (out.anomalies.length > 0) {
            await deps.anomalies.addBulk(
              out.anomalies.map((a) => ({
                name: JobNames.Anomaly,
                data: a,
                opts: { jobId: a.id },
              })),
            );
          }
          await deps.store.commit(p, epoch, states, out, jobId);
          if (out.latest.size > 0 || out.stepEnds.length > 0) {
            try {
              const pipe = deps.connection.pipeline();
              deps.board.record(pipe, out.latest.values(), Date.now());
              deps.history?.record(pipe, [...out.stepEnds, ...out.latest.values()]);
              await pipe.exec();
            } catch (err) {
              deps.log.warn({ err, partition: p }, 'score board update failed for log series');
            }
          }
          for (const a of out.anomalies) {
            deps.metrics.anomalies.inc({ service: deps.serviceLabel(a.service) });
          }
          for (const a of out.suppressedAnomalies) {
            deps.metrics.anomaliesSuppressed.inc({ service: deps.serviceLabel(a.service) });
          }
          const maxTs = Date.now() + MAX_FUTURE_MS;
          for (const r of records) {
            if (r.ts > maxTs) continue; // skipped, not counted
            deps.metrics.logLines.inc({
              service: deps.serviceLabel(r.service),
              level: normaliseLevel(r.level),
            });
          }
          if (out.future > 0 && Date.now() - lastFutureWarning > 60_000) {
            lastFutureWarning = Date.now();
            deps.log.warn(
              { partition: p, records: out.future },
              'log records dated more than 10 minutes ahead of this clock were skipped',
            );
          }
          if (out.created > 0 || out.changed > 0) {
            deps.log.debug(
              { partition: p, created: out.created, changed: out.changed },
              'log templates changed',
            );
          }
          deps.metrics.jobDuration.observe({ stage: 'logs' }, (performance.now() - started) / 1000);
          return {
            records: records.length,
            invalid: raw.length - records.length,
            anomalies: out.anomalies.length,
          };
        } catch (err) {
          deps.store.invalidate(p);
          throw err;
        }
      },
      {
        ...IDLE_WORKER,
        connection: deps.connection,
        prefix: deps.layout.logs(p),
        concurrency: 1,
      },
    );
    worker.on('failed', onJobFailed('logs', deps.metrics, deps.log));
    workers.push(worker);
  }
  logWorkerErrors(workers, deps.log, 'logs', (p) => ({ partition: p }));
  return workers;
}
