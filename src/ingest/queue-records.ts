/**
 * What every ingest route does with the records it accepted: let the series limits refuse the
 * samples of series that would pass them, queue the rest (group commit), count them, and when
 * Redis cannot take them answer 503 with Retry-After so the sender retries.
 */
import type { FastifyReply } from 'fastify';
import { AiopsError } from '../errors.js';
import { EPISODE_SUMMARY_MS, FailureEpisodeLog, seconds } from '../redis/failure-episode-log.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { FamilyMeta } from '../queues/metric-families.js';
import type { IngestWriter } from './ingest-writer.js';
import type { LogSample, MetricSample, RecordLimits } from './records.js';
import type { SeriesLimiter, SeriesRejection } from './series-limiter.js';

const RETRY_AFTER_SECONDS = 5;

/**
 * Requests refused because Redis did not take their records, logged as one episode per writer
 * (a line when they start, a count per interval, a line when they stop), never a line each:
 * while Redis is away every request fails, and Redis' own outage line says why.
 */
const writeFailures = new WeakMap<IngestWriter, FailureEpisodeLog>();

function writeFailuresOf(deps: IngestRouteDeps): FailureEpisodeLog {
  let episode = writeFailures.get(deps.writer);
  if (episode === undefined) {
    episode = new FailureEpisodeLog(deps.log, {
      started: `ingest could not queue records; answering 503 with Retry-After until Redis takes them again (further failures are counted in one line per ${seconds(EPISODE_SUMMARY_MS)})`,
      repeated: (n, forMs) =>
        `ingest still cannot queue records: ${n} more requests answered 503 (failing for ${seconds(forMs)})`,
      ended: (n, forMs) =>
        `ingest queues records again after ${seconds(forMs)}; ${n} requests were answered 503 meanwhile`,
    });
    writeFailures.set(deps.writer, episode);
  }
  return episode;
}

/** What an ingest route needs. */
export interface IngestRouteDeps {
  readonly writer: IngestWriter;
  readonly limits: RecordLimits;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly series: SeriesLimiter;
}

/** What was queued, and what the series limits refused (already counted). */
export interface Queued {
  readonly metrics: number;
  readonly logs: number;
  /** Samples refused by a series limit. */
  readonly refused: number;
  /** The first refusal, for the route's answer. */
  readonly refusal?: SeriesRejection | undefined;
  /** Every refusal, one per limit that refused some (each with its first refused sample). */
  readonly refusals: readonly SeriesRejection[];
  /** The metric samples the series limits let through (the same objects as given). */
  readonly admitted: readonly MetricSample[];
}

export async function queueRecords(
  deps: IngestRouteDeps,
  reply: FastifyReply,
  metrics: readonly MetricSample[],
  logs: readonly LogSample[],
  /** Metric families' declared types and units (remote_write's metadata), kept even alone. */
  families?: ReadonlyMap<string, FamilyMeta>,
): Promise<Queued> {
  const admitted = deps.series.admit(metrics);
  let refused = 0;
  for (const r of admitted.rejections) {
    refused += r.samples;
    deps.metrics.samplesRejected.inc({ reason: r.reason }, r.samples, r.message);
  }
  const queued: Queued = {
    metrics: admitted.samples.length,
    logs: logs.length,
    refused,
    refusal: admitted.rejections[0],
    refusals: admitted.rejections,
    admitted: admitted.samples,
  };
  metrics = admitted.samples;
  if (metrics.length + logs.length === 0 && (families?.size ?? 0) === 0) return queued;
  try {
    await deps.writer.write(metrics, logs, families);
  } catch (err) {
    writeFailuresOf(deps).failed(err, { url: reply.request.url });
    void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    throw new AiopsError('AIOPS_ERR_INGEST_QUEUE_UNAVAILABLE', undefined, { cause: err });
  }
  writeFailures.get(deps.writer)?.succeeded();
  if (metrics.length > 0) deps.metrics.samplesReceived.inc({ kind: 'metric' }, metrics.length);
  if (logs.length > 0) deps.metrics.samplesReceived.inc({ kind: 'log' }, logs.length);
  return queued;
}
