/**
 * `POST /loki/api/v1/push`: Loki's push API in its JSON form (gzip allowed), as Vector's loki
 * sink sends it with gzip or no compression (promtail and Alloy send snappy protobuf: 415 for
 * now). Answers 204 when every line was queued; 400 naming the first bad stream or line when
 * some were rejected (the rest are queued); 413 when the body inflates past
 * `ingest.max_decompressed_bytes`; 415 for the snappy-protobuf form or another type;
 * 503 + Retry-After when Redis cannot take the lines.
 */
import type { FastifyInstance } from 'fastify';
import { AiopsError } from '../errors.js';
import { inflateBody } from './inflate.js';
import { LokiFormatError, parseLokiPush } from './loki-push.js';
import { ingestRoute } from './ingest-route.js';
import { queueRecords, type IngestRouteDeps } from './queue-records.js';

export function registerLokiRoute(
  app: FastifyInstance,
  deps: IngestRouteDeps & {
    /** Largest decompressed (gzip) body, bytes. */
    readonly maxDecompressedBytes: number;
  },
): void {
  void app.register((scope, _opts, done) => {
    // Bytes here: the body may be gzip, and is parsed only after it is inflated.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, next) => {
      next(null, body);
    });
    scope.post('/loki/api/v1/push', ingestRoute('loki', 'logs'), async (req, reply) => {
      const media = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (media === 'application/x-protobuf') {
        throw new AiopsError(
          'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
          "Loki's snappy-protobuf push is not supported yet: send the JSON form (Vector: compression gzip or none)",
        );
      }
      if (media !== 'application/json' || !(req.body instanceof Buffer)) {
        throw new AiopsError(
          'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
          `Loki push needs Content-Type application/json, got ${JSON.stringify(media ?? '')}`,
        );
      }
      const bytes = inflateBody(
        req.body,
        req.headers['content-encoding'],
        deps.maxDecompressedBytes,
      );
      let push;
      try {
        push = parseLokiPush(JSON.parse(bytes.toString('utf8')) as unknown, deps.limits);
      } catch (err) {
        throw err instanceof LokiFormatError
          ? new AiopsError('AIOPS_ERR_INGEST_INVALID_RECORD', err.message, {
              reason: 'invalid_record',
            })
          : new AiopsError('AIOPS_ERR_INGEST_INVALID_JSON', (err as Error).message);
      }
      await queueRecords(deps, reply, [], push.samples);
      for (const r of push.rejections) {
        deps.metrics.samplesRejected.inc({ reason: r.reason }, 1, r.message);
      }
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
