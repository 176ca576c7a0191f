/**
 * `POST /api/v1/samples`: JSON (one record or an array) or NDJSON (one record per line) in the
 * replay record format. Valid records of a mixed batch are kept; the answer says how many were
 * rejected and why. 202 when all were queued (meta-series dropped by design are counted in
 * `dropped`, not rejected), 400 when some records were malformed or refused (the valid ones are
 * still queued: a person or script typed them, and the answer says which line to fix),
 * 503 + Retry-After when nothing could be queued.
 */
import { setImmediate as yieldLoop } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { AiopsError, errorDocsPath } from '../errors.js';
import { withSpan } from '../telemetry/tracing.js';
import { bodyFormatOf, bodyItems, type BodyItem } from './body.js';
import { ingestRoute } from './ingest-route.js';
import { queueRecords, type IngestRouteDeps } from './queue-records.js';
import { envelopeHint, looksLikeExposition } from './misdirected.js';
import { isDropReason, parseRecord, type LogSample, type MetricSample } from './records.js';

/** Rejections listed in a response at most (the counts cover all). */
const MAX_LISTED = 20;
const YIELD_EVERY = 2000;

export interface RejectedItem {
  /** Line (NDJSON) or array index (JSON); for a series-limit refusal, its first refused record. */
  readonly at?: number;
  readonly reason: string;
  readonly message: string;
}

export function registerSamplesRoute(
  app: FastifyInstance,
  deps: IngestRouteDeps & {
    /** Records in one request at most. */
    readonly maxRecords: number;
  },
): void {
  app.post(
    '/api/v1/samples',
    ingestRoute('samples', 'any', {
      accepts: 'application/json or application/x-ndjson',
    }),
    async (req, reply) => {
      const format = bodyFormatOf(req.headers['content-type']);
      if (format === undefined || typeof req.body !== 'string') {
        throw new AiopsError(
          'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
          `Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')} is not supported; use application/json or application/x-ndjson`,
        );
      }
      // After the type: a snappy protobuf body is told where it belongs by its type.
      refuseEncoding(req.headers['content-encoding']);
      const text = req.body;
      if (looksLikeExposition(text)) {
        // Every line would be refused on its own; say once what the body is (ingest-errors.ts
        // adds where it belongs).
        throw new AiopsError('AIOPS_ERR_INGEST_INVALID_JSON', 'the body is not JSON records');
      }
      return withSpan('ingest.samples', { format, bytes: text.length }, async (span) => {
        let items: Iterable<BodyItem>;
        try {
          items = bodyItems(text, format);
          if (format === 'json') items = [...items]; // JSON parses whole: its error surfaces here
        } catch (err) {
          throw new AiopsError(
            'AIOPS_ERR_INGEST_INVALID_JSON',
            `the body is not valid JSON: ${(err as Error).message}`,
          );
        }
        const metrics: MetricSample[] = [];
        /** The line (or index) of each metric sample, to place a series refusal. */
        const metricAt: number[] = [];
        const logs: LogSample[] = [];
        const rejected: RejectedItem[] = [];
        let rejectedCount = 0;
        let dropped = 0;
        let seen = 0;
        const rejectedBy = new Map<string, { n: number; example: string }>();
        const note = (at: number, reason: string, message: string): void => {
          const by = rejectedBy.get(reason);
          if (by) by.n += 1;
          else rejectedBy.set(reason, { n: 1, example: message });
          // Meta-series are dropped by design: counted, not an error to answer.
          if (isDropReason(reason)) {
            dropped += 1;
            return;
          }
          rejectedCount += 1;
          if (rejected.length < MAX_LISTED) rejected.push({ at, reason, message });
        };
        for (const item of items) {
          seen += 1;
          if (seen > deps.maxRecords) {
            throw new AiopsError(
              'AIOPS_ERR_INGEST_BODY_TOO_LARGE',
              `the body holds more than ${deps.maxRecords} records (ingest.max_records_per_request); split it`,
              { reason: 'too_many_records' },
            );
          }
          // Long bodies are validated in slices, so ingest never holds the event loop for long.
          if (seen % YIELD_EVERY === 0) await yieldLoop();
          if (!item.ok) {
            note(item.at, 'invalid_json', item.message);
            continue;
          }
          // Another protocol's body (OTLP JSON, a Loki push) sent here: say where it goes.
          const envelope = envelopeHint(item.value);
          if (envelope !== undefined) {
            note(item.at, 'invalid_record', `not a record (no "metric" or "message"); ${envelope}`);
            continue;
          }
          const r = parseRecord(item.value, deps.limits);
          if (!r.ok) note(item.at, r.rejection.reason, r.rejection.message);
          else if (r.sample.kind === 'metric') {
            metrics.push(r.sample);
            metricAt.push(item.at);
          } else logs.push(r.sample);
        }
        for (const [reason, by] of rejectedBy) {
          deps.metrics.samplesRejected.inc({ reason }, by.n, by.example);
        }
        if (seen === 0) {
          throw new AiopsError('AIOPS_ERR_INGEST_NO_RECORDS', 'the body holds no records');
        }
        const queued = await queueRecords(deps, reply, metrics, logs);
        const accepted = queued.metrics + queued.logs;
        rejectedCount += queued.refused;
        // A series refusal is placed at the first record it refused (the others of its series
        // and limit are in the count).
        for (const r of queued.refusals) {
          if (rejected.length >= MAX_LISTED) break;
          const at = metricAt[r.index];
          rejected.push({ ...(at !== undefined && { at }), reason: r.reason, message: r.message });
        }
        span.setAttributes({ accepted, rejected: rejectedCount, dropped });
        const drops = dropped > 0 ? { dropped } : {};
        if (rejectedCount === 0) return reply.code(202).send({ accepted, rejected: 0, ...drops });
        const unit = format === 'ndjson' ? 'line' : 'record';
        return reply.code(400).send({
          code: 'AIOPS_ERR_INGEST_INVALID_RECORD',
          message: `${rejectedCount} of ${seen} records rejected${firstError(rejected[0], unit)}; ${accepted} accepted${dropped > 0 ? `; ${dropped} meta-series dropped` : ''}`,
          docs: errorDocsPath('AIOPS_ERR_INGEST_INVALID_RECORD'),
          accepted,
          rejected: rejectedCount,
          ...drops,
          errors: rejected,
        });
      });
    },
  );
}

/**
 * This endpoint takes no compression (gzip is for the Loki and OTLP endpoints, whose senders
 * compress): a compressed body would otherwise be read as text and refused line by line.
 */
function refuseEncoding(header: string | undefined): void {
  const encoding = (header ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return;
  throw new AiopsError(
    'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
    `Content-Encoding ${JSON.stringify(encoding)} is not taken by /api/v1/samples: send the body uncompressed (no Content-Encoding)`,
  );
}

/** ` (line 3: ...)` for the first error; ` (...)` when it has no position. */
function firstError(first: RejectedItem | undefined, unit: string): string {
  if (first === undefined) return '';
  return first.at === undefined
    ? ` (${first.message})`
    : ` (${unit} ${first.at}: ${first.message})`;
}
