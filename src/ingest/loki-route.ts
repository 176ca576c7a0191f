/**
 * `POST /loki/api/v1/push`: Loki's push API, snappy protobuf (promtail, Alloy, Grafana Agent)
 * or JSON (Vector), decoded by loki-body.ts. Answers 204 when every line was queued; 400 naming
 * the first bad stream or line when some were rejected (the rest are queued), or for a body
 * that does not decode; 413 when the body decompresses past `ingest.max_decompressed_bytes`;
 * 415 for another type or encoding; 503 + Retry-After when Redis cannot take the lines. Every
 * rejection is counted in `aiops_samples_rejected_total{reason}`.
 */
import type { FastifyInstance } from 'fastify';
import { AiopsError } from '../errors.js';
import type { Metrics } from '../telemetry/metrics.js';
import { decodeLokiBody, type LokiBody } from './loki-body.js';
import type { LokiPush } from './loki-streams.js';
import { queueRecords, type IngestRouteDeps } from './queue-records.js';
import type { RecordLimits } from './records.js';

/** The rejection reason a whole-body error is counted under. */
const BODY_REASONS: Partial<Record<AiopsError['code'], string>> = {
  AIOPS_ERR_INGEST_BODY_TOO_LARGE: 'body_too_large',
  AIOPS_ERR_INGEST_MALFORMED_BODY: 'malformed_body',
  AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  AIOPS_ERR_INGEST_INVALID_JSON: 'invalid_json',
};

export function registerLokiRoute(
  app: FastifyInstance,
  deps: IngestRouteDeps & {
    /** Largest decompressed (snappy or gzip) body, bytes. */
    readonly maxDecompressedBytes: number;
  },
): void {
  void app.register((scope, _opts, done) => {
    // Bytes here: the body is compressed, and is parsed only after it is decompressed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, next) => {
      next(null, body);
    });
    scope.post('/loki/api/v1/push', async (req, reply) => {
      const push = counted(
        deps.metrics,
        {
          body: req.body instanceof Buffer ? (req.body as Buffer) : Buffer.alloc(0),
          contentType: req.headers['content-type'],
          contentEncoding: req.headers['content-encoding'],
        },
        deps.maxDecompressedBytes,
        deps.limits,
      );
      await queueRecords(deps, reply, [], push.samples);
      for (const r of push.rejections) deps.metrics.samplesRejected.inc({ reason: r.reason });
      if (push.rejections.length === 0) return reply.code(204).send();
      const first = push.rejections[0];
      throw new AiopsError(
        'AIOPS_ERR_INGEST_INVALID_RECORD',
        `${push.rejections.length} streams or lines rejected${first ? ` (${first.message})` : ''}; ${push.samples.length} lines accepted`,
      );
    });
    done();
  });
}

/** Decodes the body; a whole-body rejection is counted before it is answered. */
function counted(
  metrics: Metrics,
  body: LokiBody,
  maxBytes: number,
  limits: RecordLimits,
): LokiPush {
  try {
    return decodeLokiBody(body, maxBytes, limits);
  } catch (err) {
    if (err instanceof AiopsError) {
      metrics.samplesRejected.inc({ reason: BODY_REASONS[err.code] ?? 'invalid_record' });
    }
    throw err;
  }
}
