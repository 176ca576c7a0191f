/**
 * What every ingest route does with the records it accepted: queue them (group commit), count
 * them, and when Redis cannot take them answer 503 with Retry-After so the sender retries.
 */
import type { FastifyReply } from 'fastify';
import { AiopsError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { IngestWriter } from './ingest-writer.js';
import type { LogSample, MetricSample, RecordLimits } from './records.js';

const RETRY_AFTER_SECONDS = 5;

/** What an ingest route needs. */
export interface IngestRouteDeps {
  readonly writer: IngestWriter;
  readonly limits: RecordLimits;
  readonly metrics: Metrics;
  readonly log: Logger;
}

export async function queueRecords(
  deps: IngestRouteDeps,
  reply: FastifyReply,
  metrics: readonly MetricSample[],
  logs: readonly LogSample[],
): Promise<void> {
  if (metrics.length + logs.length === 0) return;
  try {
    await deps.writer.write(metrics, logs);
  } catch (err) {
    deps.log.warn({ err, url: reply.request.url }, 'ingest could not queue records; answering 503');
    void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    throw new AiopsError('AIOPS_ERR_INGEST_QUEUE_UNAVAILABLE', undefined, { cause: err });
  }
  if (metrics.length > 0) deps.metrics.samplesReceived.inc({ kind: 'metric' }, metrics.length);
  if (logs.length > 0) deps.metrics.samplesReceived.inc({ kind: 'log' }, logs.length);
}
