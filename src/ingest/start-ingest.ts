/**
 * The ingest stage: the group-commit writer into the partition queues, the series limits, the
 * backlog watch behind backpressure, the refusal summary log, ingest's gauges, the HTTP plugin
 * and pull (query_range readers and scrapes on job schedulers).
 */
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { withTimeout } from '../util/with-timeout.js';
import type { BearerAuth } from './bearer-auth.js';
import { registerIngestMetrics } from './ingest-metrics.js';
import { ingestPlugin } from './ingest-plugin.js';
import { IngestWriter } from './ingest-writer.js';
import { startPull } from './pull/pull-worker.js';
import { QueueBacklog } from './queue-backlog.js';
import { limitsFromConfig } from './records.js';
import { startRejectionLog } from './rejection-log.js';
import { SeriesLimiter } from './series-limiter.js';
import { liveTimeWindow } from './timestamps.js';
import { MetricFamilies } from '../queues/metric-families.js';
import { ServiceSince } from '../queues/service-since.js';
import type { StageDeps } from '../queues/stage-deps.js';

/** A flush that Redis has not taken by then fails its requests with 503 (the sender retries). */
const WRITE_TIMEOUT_MS = 5000;
/** How often the queue backlogs behind backpressure are read. */
const BACKLOG_POLL_MS = 1000;
/** A pull run that does not stop in its share of the drain is cut; its window is read again. */
const PULL_FORCE_CLOSE_MS = 2000;

export interface IngestStageDeps extends StageDeps<'samples' | 'logs' | 'enforcePartitionOrder'> {
  /** The HTTP server the ingest plugin is registered on. */
  readonly app: FastifyInstance;
  /** Bearer tokens (`ingest.auth`), resolved by the caller; none: no auth. */
  readonly auth: BearerAuth | undefined;
}

export async function startIngest(d: IngestStageDeps) {
  const { config, metrics } = d;
  const ingest = config.ingest;
  const log = d.log.child({ component: 'ingest' });
  const stops: (() => Promise<void>)[] = [];
  await d.queues.enforcePartitionOrder();
  const since = new ServiceSince(d.connection, d.layout.main);
  const families = new MetricFamilies(d.connection, d.layout.main);
  const writer = new IngestWriter({
    since,
    families,
    samplesQueues: d.queues.samples,
    logsQueues: d.queues.logs,
    maxItems: ingest.batch_max_samples,
    lingerMs: ingest.batch_linger_ms,
    writeTimeoutMs: WRITE_TIMEOUT_MS,
  });
  const series = new SeriesLimiter({
    maxActive: ingest.max_active_series,
    maxActivePerService: ingest.max_active_series_per_service,
    maxNewPerMinute: ingest.max_new_series_per_minute,
    idleMs: ingest.series_idle_ms,
    warmupMs: ingest.new_series_warmup_ms,
  });
  const sweep = setInterval(
    () => {
      series.sweep();
    },
    Math.min(60_000, ingest.series_idle_ms / 10),
  );
  sweep.unref();
  stops.push(() => {
    clearInterval(sweep);
    return Promise.resolve();
  });
  const backlogOf = (queues: readonly Queue[]): QueueBacklog => {
    const backlog = new QueueBacklog({
      queues,
      highWater: ingest.queue_high_water_jobs,
      highWaterLagMs: ingest.queue_high_water_lag_ms,
      pollMs: BACKLOG_POLL_MS,
      log,
    });
    backlog.start();
    stops.push(() => backlog.stop());
    return backlog;
  };
  const backlogs = { metrics: backlogOf(d.queues.samples), logs: backlogOf(d.queues.logs) };
  const rejectionLog = startRejectionLog(
    metrics.samplesRejected,
    log,
    ingest.rejection_log_interval_ms,
  );
  stops.push(() => {
    rejectionLog.stop();
    return Promise.resolve();
  });
  registerIngestMetrics(metrics.registry, {
    activeSeries: () => series.active,
    queuedJobs: (stream) => backlogs[stream].waiting,
    queueLagMs: (stream) => backlogs[stream].lagMs,
    overloaded: (stream) => backlogs[stream].overloaded,
  });
  // Live ingest refuses times too far ahead of the clock; replay reads the same limits without.
  const limits = { ...limitsFromConfig(ingest), times: liveTimeWindow() };
  await d.app.register(ingestPlugin, {
    writer,
    limits,
    metrics,
    log,
    series,
    auth: d.auth,
    backlogs,
    maxRecords: ingest.max_records_per_request,
    maxDecompressedBytes: ingest.max_decompressed_bytes,
    rejections: metrics.samplesRejected,
  });
  const pull = await startPull({
    connection: d.connection,
    prefix: d.layout.main,
    settings: config.pull,
    writer,
    limits,
    series,
    metrics,
    log: d.log.child({ component: 'pull' }),
  });

  return {
    // Pull's worker is not among the readiness workers: a process whose sources all belong to
    // other configurations has none, and scrapes are not what readiness promises.
    workers: [],
    async reassert(o?: { readonly lostData: boolean }): Promise<void> {
      await d.queues.enforcePartitionOrder();
      await pull.reassert();
      // The services' first records this process knows, should Redis have lost them.
      if (o?.lostData) {
        await since.reassert();
        // Families are declared again with every scrape and metadata send: written then.
        families.forget();
      }
    },
    async drain(deadline: number): Promise<void> {
      // Pull runs stop before the buffers drain, so their last samples are flushed too; a run
      // cut short keeps its watermark, and the next start reads its window again.
      await withTimeout(pull.close(), Math.max(1000, deadline - Date.now()), 'pull close').catch(
        async (err: unknown) => {
          log.warn({ err }, 'pull run did not finish in time; forcing it closed');
          await withTimeout(pull.close(true), PULL_FORCE_CLOSE_MS, 'pull force close').catch(
            () => undefined,
          );
        },
      );
      await withTimeout(
        writer.drain(),
        Math.max(1000, deadline - Date.now()),
        'ingest drain',
      ).catch((err: unknown) => {
        log.warn({ err }, 'ingest buffers not flushed in time (their requests got no 2xx)');
      });
    },
    async close(): Promise<void> {
      await Promise.all(stops.map((stop) => stop()));
    },
  };
}
