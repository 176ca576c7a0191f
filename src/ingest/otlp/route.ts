/**
 * OTLP/HTTP ingest: `POST /v1/metrics` and `POST /v1/logs`, binary protobuf
 * (`application/x-protobuf`) or OTLP JSON (`application/json`), plain or gzip
 * (`Content-Encoding: gzip`), as the OpenTelemetry SDK exporters and the Collector's `otlphttp`
 * exporter send them. Answers as the OTLP/HTTP spec asks, in the request's encoding:
 * - 200 with an empty `Export*ServiceResponse` when everything was queued, or with
 *   `partialSuccess {rejectedDataPoints | rejectedLogRecords, errorMessage}` when some data points
 *   or records were rejected (the rest are queued; the sender does not retry);
 * - 400 + `google.rpc.Status` for a body that does not decode; 413 past `server.body_limit_bytes`,
 *   `ingest.max_decompressed_bytes`, `ingest.max_records_per_request` (data points or log
 *   records) or a protobuf body of more than `maxValues` values (wire-census.ts); 415 for another Content-Type or Content-Encoding;
 * - 503 + Retry-After + Status when Redis cannot take the samples, 429 + Retry-After + Status
 *   while the queues are past their high-water mark (the sender retries both); 401/403 + Status
 *   without a valid bearer token when `ingest.auth` is configured.
 * Mapping: metrics-to-samples.ts and logs-to-samples.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SendError } from '../../http/error-answer.js';
import { AiopsError, type ErrorCode } from '../../errors.js';
import { inflateBody } from '../inflate.js';
import { queueRecords, type IngestRouteDeps } from '../queue-records.js';
import type { MetricSample } from '../records.js';
import { HistogramWindow } from './histogram-window.js';
import { otlpLogsToSamples } from './logs-to-samples.js';
import { otlpMetricsToSamples } from './metrics-to-samples.js';
import { decodeOtlpBody, encodingOf, type OtlpEncoding } from './otlp-body.js';
import {
  OtlpFormatError,
  OtlpTooLargeError,
  addRejection,
  rejectionSummary,
  type OtlpRejections,
} from './otlp-errors.js';
import { ingestRoute } from '../ingest-route.js';
import { sendExportResponse, sendStatus } from './otlp-response.js';
import { OtlpTypes } from './proto.js';
import { MAX_PROTOBUF_VALUES } from './wire-census.js';

export interface OtlpRouteDeps extends IngestRouteDeps {
  /** Largest decompressed (gzip) body, bytes. */
  readonly maxDecompressedBytes: number;
  /** Data points or log records per request at most (`ingest.max_records_per_request`). */
  readonly maxRecords?: number;
  /** Values per protobuf body at most (see MAX_PROTOBUF_VALUES). */
  readonly maxValues?: number;
  /** Histogram streams whose last cumulative point is kept (least recently seen dropped). */
  readonly histogramStreams?: number;
}

export function registerOtlpRoutes(app: FastifyInstance, deps: OtlpRouteDeps): void {
  const window = new HistogramWindow(deps.histogramStreams);
  void app.register((scope, _opts, done) => {
    // Bytes here: the body may be gzip, and is decoded only after it is inflated.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, next) => {
      next(null, body);
    });
    scope.post(
      '/v1/metrics',
      ingestRoute('otlp', 'metrics', { sendError: sendOtlpError }),
      async (req, reply) => {
        const [encoding, request] = decodeRequest(req, deps, 'metrics');
        // Cumulative histogram points are kept only once their samples are queued (see stage).
        const stage = window.stage();
        const out = mapped(() =>
          otlpMetricsToSamples(request, deps.limits, stage, deps.maxRecords),
        );
        const queued = await queueRecords(deps, reply, out.samples, []);
        stage.commit();
        // Meta-series are dropped by design: counted, and not rejected data points to the sender.
        deps.metrics.samplesRejected.inc(
          { reason: 'meta_series' },
          out.dropped,
          out.droppedExample,
        );
        // Points with a sample the series limits refused are rejected data points too (a
        // histogram point gives two samples: its points are counted, not its samples).
        const refusal = queued.refusal;
        if (refusal) {
          const points = refusedPoints(out.samples, out.pointOf, queued.admitted);
          addRejection(out.rejections, refusal.reason, refusal.message, points, false);
        }
        return answer(reply, encoding, 'metrics', out.rejections, out.points, deps);
      },
    );

    scope.post(
      '/v1/logs',
      ingestRoute('otlp', 'logs', { sendError: sendOtlpError }),
      async (req, reply) => {
        const [encoding, request] = decodeRequest(req, deps, 'logs');
        const out = mapped(() =>
          otlpLogsToSamples(request, deps.limits, Date.now(), deps.maxRecords),
        );
        await queueRecords(deps, reply, [], out.samples);
        return answer(reply, encoding, 'logs', out.rejections, out.records, deps);
      },
    );
    done();
  });
}

/** Distinct data points with a sample that is not among the admitted ones. */
function refusedPoints(
  samples: readonly MetricSample[],
  pointOf: readonly number[],
  admitted: readonly MetricSample[],
): number {
  const kept = new Set(admitted);
  const refused = new Set<number>();
  samples.forEach((s, i) => {
    if (!kept.has(s)) refused.add(pointOf[i] ?? -1);
  });
  return refused.size;
}

/** Errors as the OTLP/HTTP spec asks: a google.rpc.Status in the request's encoding. */
const sendOtlpError: SendError = (req, reply, status, code, message) =>
  sendStatus(
    reply,
    encodingOf(req.headers['content-type']) ?? 'json',
    status,
    `${code}: ${message}`,
  );

function decodeRequest(
  req: FastifyRequest,
  deps: OtlpRouteDeps,
  kind: 'metrics' | 'logs',
): [OtlpEncoding, unknown] {
  const encoding = encodingOf(req.headers['content-type']);
  if (encoding === undefined) {
    throw new AiopsError(
      'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      `OTLP/HTTP needs Content-Type application/x-protobuf or application/json, got ${JSON.stringify(req.headers['content-type'] ?? '')}`,
    );
  }
  const body: Buffer = req.body instanceof Buffer ? (req.body as Buffer) : Buffer.alloc(0);
  const bytes = inflateBody(body, req.headers['content-encoding'], deps.maxDecompressedBytes);
  const type = kind === 'metrics' ? OtlpTypes.metricsRequest : OtlpTypes.logsRequest;
  try {
    return [encoding, decodeOtlpBody(bytes, encoding, type, deps.maxValues ?? MAX_PROTOBUF_VALUES)];
  } catch (err) {
    throw malformed(
      err,
      encoding === 'json' ? 'AIOPS_ERR_INGEST_INVALID_JSON' : 'AIOPS_ERR_INGEST_MALFORMED_BODY',
    );
  }
}

/** Runs a mapping; a body of the wrong shape becomes a 400. */
function mapped<T>(map: () => T): T {
  try {
    return map();
  } catch (err) {
    throw malformed(err, 'AIOPS_ERR_INGEST_INVALID_RECORD');
  }
}

function malformed(err: unknown, code: ErrorCode): unknown {
  if (err instanceof OtlpTooLargeError) {
    return new AiopsError('AIOPS_ERR_INGEST_BODY_TOO_LARGE', err.message, {
      reason: 'too_many_records',
    });
  }
  return err instanceof OtlpFormatError
    ? new AiopsError(code, err.message, { reason: REASON_OF_MALFORMED[code] })
    : err;
}

const REASON_OF_MALFORMED: Partial<Record<ErrorCode, string>> = {
  AIOPS_ERR_INGEST_INVALID_RECORD: 'invalid_record',
};

function answer(
  reply: FastifyReply,
  encoding: OtlpEncoding,
  kind: 'metrics' | 'logs',
  rejections: OtlpRejections,
  total: number,
  deps: OtlpRouteDeps,
): FastifyReply {
  for (const [reason, n] of rejections.byReason) {
    // queueRecords counted the series-limit refusals already.
    if (!rejections.counted.has(reason)) {
      deps.metrics.samplesRejected.inc({ reason }, n, rejections.examples.get(reason));
    }
  }
  if (rejections.total === 0) return sendExportResponse(reply, encoding, kind, undefined);
  const what = kind === 'metrics' ? 'data points' : 'log records';
  return sendExportResponse(reply, encoding, kind, {
    rejected: rejections.total,
    errorMessage: rejectionSummary(rejections, what, total - rejections.total),
  });
}
