/**
 * Wires the running service for the roles asked: HTTP server (always: health, readiness,
 * /metrics; ingest routes with the ingest role), queues, and the stage workers. Receives its
 * config, logger and Redis URL from the composition root (src/main.ts); reads no environment.
 */
import { scoringFromConfig } from '../detect/scoring-options.js';
import { randomUUID } from 'node:crypto';
import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { registerHealthRoutes, type ReadinessCheck } from '../api/health-routes.js';
import { registerMetricsRoute } from '../api/metrics-route.js';
import { createHttpServer } from '../api/server.js';
import type { Config } from '../config/schema.js';
import { scheduleTicks, startCorrelateWorker } from '../correlate/correlate-worker.js';
import { correlatorFromConfig } from '../correlate/from-config.js';
import { IncidentStore } from '../correlate/incident-store.js';
import { JobNames } from '../queues/contract.js';
import {
  requestAlertmanagerSync,
  scheduleReminders,
  scheduleAlertmanagerSync,
  syncAlertmanagers,
} from '../notify/alertmanager-sync.js';
import { queueDeliveries, queueReminders, startDeliveryWorker } from '../notify/deliver.js';
import { incidentJson } from '../correlate/incident-json.js';
import type { Incident, IncidentEvent } from '../correlate/incidents.js';
import { maintenanceCheck } from '../maintenance/maintenance.js';
import { EdgeRecorder } from '../correlate/edge-recorder.js';
import { serviceGraph } from '../correlate/graph.js';
import { registerIncidentRoutes } from '../api/incident-routes.js';
import { registerIncidentMetrics } from '../correlate/incident-metrics.js';
import { startDetectWorkers } from '../detect/detect-worker.js';
import { detectorChoiceOrThrow } from '../detect/detector-choice.js';
import { ScoreBoard } from '../detect/score-board.js';
import { StateStore } from '../detect/state-store.js';
import { IngestWriter } from '../ingest/ingest-writer.js';
import { limitsFromConfig } from '../ingest/records.js';
import { registerSamplesRoute } from '../ingest/samples-route.js';
import { registerRemoteWriteRoute } from '../ingest/remote-write/route.js';
import { registerLokiRoute } from '../ingest/loki/route.js';
import { resolveTokens, type BearerAuth } from '../ingest/bearer-auth.js';
import { registerIngestGuard } from '../ingest/ingest-guard.js';
import { QueueBacklog } from '../ingest/queue-backlog.js';
import { startRejectionLog } from '../ingest/rejection-log.js';
import { SeriesLimiter } from '../ingest/series-limiter.js';
import { registerIngestMetrics } from '../ingest/ingest-metrics.js';
import { registerOtlpRoutes } from '../ingest/otlp/route.js';
import { startPull, type RunningPull } from '../ingest/pull/pull-worker.js';
import { startLogWorkers } from '../logs/log-worker.js';
import { LogStateStore } from '../logs/log-state-store.js';
import { logSettingsFromConfig } from '../logs/log-settings.js';
import { registerLogMetrics } from '../logs/log-metrics.js';
import { createAnomaliesQueue, createQueues, type Queues } from '../queues/queues.js';
import { producerConnection, workerConnection } from '../redis/connections.js';
import { registerScoreMetrics } from '../detect/score-metrics.js';
import { registerQueueMetrics } from '../queues/queue-metrics.js';
import type { Logger } from '../telemetry/logger.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import type { Role } from './roles.js';
import { withTimeout } from '../util/with-timeout.js';

export interface ServiceOptions {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly redisUrl: string;
  readonly roles: ReadonlySet<Role>;
  readonly version: string;
  /** Overrides config.server.port (0 = any free port). */
  readonly port?: number;
  readonly host?: string;
  readonly workerId?: string;
  /** Ingest's bearer tokens, resolved by the caller (main reports a missing one as a config error); resolved here when unset. */
  readonly ingestAuth?: BearerAuth | undefined;
}

export interface RunningService {
  /** `http://host:port` the server listens on. */
  readonly url: string;
  readonly metrics: Metrics;
  readonly queues: Queues;
  readonly workerId: string;
  /**
   * Stops accepting, drains buffered ingest and in-flight jobs within `deadlineMs`, then
   * closes everything. Resolves `true` when all drained in time, `false` when it had to force.
   */
  close(deadlineMs?: number): Promise<boolean>;
}

export async function startService(o: ServiceOptions): Promise<RunningService> {
  const { config, log } = o;
  const workerId = o.workerId ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
  const prefix = config.redis.prefix;
  const metrics = createMetrics(o.version);
  const producer = producerConnection(o.redisUrl, log, 'producer');
  const workerConn: Redis = workerConnection(o.redisUrl, log, 'worker');
  const queueSettings = {
    prefix,
    partitions: config.queues.partitions,
    attempts: config.queues.attempts,
    backoffMs: config.queues.backoff_ms,
  };
  const queues = createQueues(producer, queueSettings);
  const closers: (() => Promise<unknown>)[] = [];
  const known = new Set(Object.keys(config.services));
  /** Metric labels from the wire stay bounded: unknown services count as "other". */
  const serviceLabel = (service: string): string => (known.has(service) ? service : 'other');
  const choice = detectorChoiceOrThrow(config.detect);
  const board = new ScoreBoard(producer, prefix);
  registerScoreMetrics(
    metrics.registry,
    board,
    {
      topN: config.metrics.export_top_n,
      minScore: config.metrics.export_min_score,
      staleAfterMs: config.metrics.stale_after_ms,
      now: Date.now,
    },
    log,
  );
  registerQueueMetrics(metrics.registry, () => queues.all(), log);
  const logStore = new LogStateStore(workerConn, prefix, logSettingsFromConfig(config));
  registerLogMetrics(metrics.registry, () => logStore.activeTemplates(), log, serviceLabel);
  registerIncidentMetrics(
    metrics.registry,
    new IncidentStore(workerConn, prefix),
    log,
    serviceLabel,
  );

  const workers: Worker[] = [];
  const inMaintenance = maintenanceCheck(config.maintenance);
  const muted = (inc: Incident): boolean =>
    inMaintenance?.(inc.root_cause?.service ?? '', Date.now()) ?? false;
  const needsOrder = o.roles.has('ingest') || o.roles.has('detect') || o.roles.has('logs');
  if (needsOrder) await queues.enforcePartitionOrder();

  if (o.roles.has('detect')) {
    const detectAnomalies = createAnomaliesQueue(workerConn, queueSettings);
    closers.push(() => detectAnomalies.close());
    workers.push(
      ...startDetectWorkers({
        connection: workerConn,
        prefix,
        partitions: config.queues.partitions,
        store: new StateStore(workerConn, prefix, choice.forSeries),
        board: new ScoreBoard(workerConn, prefix),
        anomalies: detectAnomalies,
        scoring: scoringFromConfig(config),
        sliceSamples: config.detect.slice_samples,
        inlineRetryMs: 60_000,
        maxStalledCount: config.queues.attempts,
        metrics,
        log: log.child({ component: 'detect' }),
        workerId,
        serviceLabel,
        edges: new EdgeRecorder(workerConn, prefix),
      }),
    );
  }
  if (o.roles.has('logs')) {
    const logAnomalies = createAnomaliesQueue(workerConn, queueSettings);
    closers.push(() => logAnomalies.close());
    workers.push(
      ...startLogWorkers({
        connection: workerConn,
        prefix,
        partitions: config.queues.partitions,
        store: logStore,
        anomalies: logAnomalies,
        board: new ScoreBoard(workerConn, prefix),
        log: log.child({ component: 'logs' }),
        metrics,
        serviceLabel,
      }),
    );
  }
  if (o.roles.has('correlate')) {
    // One correlator job at a time across every process: incidents are one shared state.
    await queues.anomalies.setGlobalConcurrency(1);
    await scheduleTicks(queues.anomalies, config.correlate.tick_ms);
    workers.push(
      startCorrelateWorker({
        connection: workerConn,
        prefix,
        correlator: correlatorFromConfig(config),
        graphFor: (discovered) => serviceGraph(config.services, discovered),
        latenessMs: config.correlate.lateness_ms,
        onTransition: async (events: readonly IncidentEvent[]) => {
          if (config.notify.alertmanagers.length > 0) await requestAlertmanagerSync(queues.notify);
          for (const e of events) {
            if (e.type === 'updated' || e.type === 'dropped') continue;
            // A window mutes new pages; acknowledgements and resolves still go out.
            if ((e.type === 'opened' || e.type === 'reopened') && muted(e.incident)) continue;
            await queueDeliveries(
              queues.notify,
              config.notify.receivers,
              incidentJson(e.incident),
              e.type,
              config.queues.attempts,
            );
          }
        },
        log: log.child({ component: 'correlate' }),
        metrics,
      }),
    );
  }

  if (o.roles.has('notify')) {
    const notifyLog = log.child({ component: 'notify' });
    const store = new IncidentStore(workerConn, prefix);
    await scheduleAlertmanagerSync(queues.notify, config.notify.resend_ms);
    if (config.notify.receivers.some((r) => r.repeat_interval_ms !== undefined)) {
      await scheduleReminders(queues.notify);
    }
    workers.push(
      startDeliveryWorker({
        connection: workerConn,
        prefix,
        receivers: config.notify.receivers,
        externalUrl: config.notify.external_url,
        backoffMs: config.queues.backoff_ms,
        log: notifyLog,
        metrics,
        other: async (job) => {
          if (job.name === JobNames.Reminders) {
            const open = (await store.open()).filter((i) => !muted(i)).map(incidentJson);
            await queueReminders(
              queues.notify,
              config.notify.receivers,
              open,
              Date.now(),
              config.queues.attempts,
            );
          }
          if (job.name === JobNames.AlertmanagerSync) {
            await syncAlertmanagers({
              store,
              settings: config.notify,
              log: notifyLog,
              metrics,
              muted,
            });
          }
        },
      }),
    );
  }

  const app = createHttpServer({
    bodyLimit: config.server.body_limit_bytes,
    log,
    ingestRejections: metrics.samplesRejected,
  });
  let writer: IngestWriter | undefined;
  let pull: RunningPull | undefined;
  if (o.roles.has('ingest')) {
    writer = new IngestWriter({
      samplesQueues: queues.samples,
      logsQueues: queues.logs,
      maxItems: config.ingest.batch_max_samples,
      lingerMs: config.ingest.batch_linger_ms,
      writeTimeoutMs: 5000,
    });
    const ingestLog = log.child({ component: 'ingest' });
    const series = new SeriesLimiter({
      maxActive: config.ingest.max_active_series,
      maxActivePerService: config.ingest.max_active_series_per_service,
      maxNewPerMinute: config.ingest.max_new_series_per_minute,
      idleMs: config.ingest.series_idle_ms,
      warmupMs: config.ingest.new_series_warmup_ms,
    });
    const sweep = setInterval(
      () => {
        series.sweep();
      },
      Math.min(60_000, config.ingest.series_idle_ms / 10),
    );
    sweep.unref();
    closers.push(() => {
      clearInterval(sweep);
      return Promise.resolve();
    });
    const backlogOf = (queueList: readonly Queue[]): QueueBacklog => {
      const backlog = new QueueBacklog({
        queues: queueList,
        highWater: config.ingest.queue_high_water_jobs,
        pollMs: 1000,
        log: ingestLog,
      });
      backlog.start();
      closers.push(() => backlog.stop());
      return backlog;
    };
    const backlogs = { metrics: backlogOf(queues.samples), logs: backlogOf(queues.logs) };
    const rejectionLog = startRejectionLog(
      metrics.samplesRejected,
      ingestLog,
      config.ingest.rejection_log_interval_ms,
    );
    closers.push(() => {
      rejectionLog.stop();
      return Promise.resolve();
    });
    registerIngestMetrics(metrics.registry, {
      activeSeries: () => series.active,
      queuedJobs: (stream) => backlogs[stream].waiting,
      overloaded: (stream) => backlogs[stream].overloaded,
    });
    registerIngestGuard(app, {
      auth: 'ingestAuth' in o ? o.ingestAuth : resolveTokens(config.ingest.auth.tokens),
      backlogs,
    });
    const ingest = {
      writer,
      limits: limitsFromConfig(config.ingest),
      metrics,
      log: ingestLog,
      series,
    };
    registerSamplesRoute(app, { ...ingest, maxRecords: config.ingest.max_records_per_request });
    const maxDecompressedBytes = config.ingest.max_decompressed_bytes;
    registerLokiRoute(app, {
      ...ingest,
      maxDecompressedBytes,
      maxRecords: config.ingest.max_records_per_request,
    });
    registerRemoteWriteRoute(app, { ...ingest, maxDecompressedBytes });
    registerOtlpRoutes(app, {
      ...ingest,
      maxDecompressedBytes,
      maxRecords: config.ingest.max_records_per_request,
    });
    pull = await startPull({
      connection: workerConn,
      prefix,
      settings: config.pull,
      writer,
      limits: ingest.limits,
      series,
      metrics,
      log: log.child({ component: 'pull' }),
    });
  }
  const checks: ReadinessCheck[] = [
    {
      name: 'redis',
      check: async () => {
        await withTimeout(producer.ping(), 1000, 'Redis PING');
        return true;
      },
    },
  ];
  if (workers.length > 0) {
    checks.push({
      name: 'workers',
      check: () => Promise.resolve(workers.every((w) => w.isRunning())),
    });
  }
  const incidents = new IncidentStore(workerConn, prefix);
  registerIncidentRoutes(
    app,
    incidents,
    {
      edges: new EdgeRecorder(workerConn, prefix),
      graphFor: (discovered) => serviceGraph(config.services, discovered),
    },
    queues.anomalies,
  );
  registerHealthRoutes(app, checks);
  registerMetricsRoute(app, metrics.registry);

  const host = o.host ?? config.server.host;
  const port = o.port ?? config.server.port;
  const address = await app.listen({ host, port });
  log.info({ address, roles: [...o.roles], workerId }, 'aiops-worker listening');

  let closing: Promise<boolean> | undefined;
  const close = (deadlineMs = config.shutdown.drain_timeout_ms): Promise<boolean> => {
    closing ??= (async () => {
      const deadline = Date.now() + deadlineMs;
      // Stop accepting; requests in flight finish (their samples are queued before they answer).
      // Keep-alive connections that turn idle after close() began are closed as they do, so
      // clients cannot hold the server open; at the deadline every connection is cut.
      const reaper = setInterval(() => {
        app.server.closeIdleConnections();
      }, 100);
      const httpClosed = await withTimeout(
        app.close().then(() => true),
        deadlineMs,
        'HTTP close',
      ).catch(() => false);
      clearInterval(reaper);
      if (!httpClosed) app.server.closeAllConnections();
      // Pull runs stop before the ingest buffers drain, so their last samples are flushed too;
      // a run cut short keeps its watermark, and the next start reads its window again.
      if (pull) {
        const running = pull;
        await withTimeout(
          running.close(),
          Math.max(1000, deadline - Date.now()),
          'pull close',
        ).catch(async (err: unknown) => {
          log.warn({ err }, 'pull run did not finish in time; forcing it closed');
          await withTimeout(running.close(true), 2000, 'pull force close').catch(() => undefined);
        });
      }
      if (writer) {
        await withTimeout(
          writer.drain(),
          Math.max(1000, deadline - Date.now()),
          'ingest drain',
        ).catch((err: unknown) => {
          log.warn({ err }, 'ingest buffers not flushed in time (their requests got no 2xx)');
        });
      }
      const drained = await withTimeout(
        Promise.all(workers.map((w) => w.close())).then(() => true),
        Math.max(0, deadline - Date.now()),
      ).catch(() => false);
      if (!drained) {
        log.warn(
          { deadlineMs },
          'drain deadline passed; forcing workers closed (their jobs will be retried)',
        );
        await withTimeout(
          Promise.allSettled(workers.map((w) => w.close(true))),
          2000,
          'force close',
        ).catch(() => undefined);
      }
      // Queue handles hold nothing to flush; a connection stuck in a reconnect must not hold up
      // the exit, so these get a short bound of their own.
      await withTimeout(
        Promise.allSettled([...closers.map((c) => c()), queues.close()]),
        2000,
        'queue close',
      ).catch(() => {
        log.warn('queue handles did not close in time; disconnecting');
      });
      producer.disconnect();
      workerConn.disconnect();
      return drained;
    })();
    return closing;
  };
  return { url: address, metrics, queues, workerId, close };
}
