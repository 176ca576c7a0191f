/**
 * `POST /loki/api/v1/push`: Loki's push API, snappy protobuf (promtail, Alloy, Grafana Agent)
 * or JSON (Vector), decoded by body.ts. Answers 204 when every line was queued; 400 naming
 * the first bad stream or line when some were rejected (the rest are queued), or for a body
 * that does not decode; 413 when the body decompresses past `ingest.max_decompressed_bytes`;
 * 415 for another type or encoding; 503 + Retry-After when Redis cannot take the lines. A
 * refused request is counted by the server's error handler (the route is tagged with
 * `ingestRoute`); refused streams and lines are counted here, one by one.
 */
import type { FastifyInstance } from 'fastify';
import { AiopsError } from '../../errors.js';
import { ingestRoute } from '../ingest-route.js';
import { decodeLokiBody } from './body.js';
import { queueRecords, type IngestRouteDeps } from '../queue-records.js';

export function registerLokiRoute(
  app: FastifyInstance,
  deps: IngestRouteDeps & {
    /** Largest decompressed (snappy or gzip) body, bytes. */
    readonly maxDecompressedBytes: number;
    /** Lines in one push at most; more gets 413. */
    readonly maxRecords?: number;
  },
): void {
  void app.register((scope, _opts, done) => {
    // Bytes here: the body is compressed, and is parsed only after it is decompressed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, next) => {
      next(null, body);
    });
    scope.post('/loki/api/v1/push', ingestRoute('loki', 'logs'), async (req, reply) => {
      const push = decodeLokiBody(
        {
          body: req.body instanceof Buffer ? (req.body as Buffer) : Buffer.alloc(0),
          contentType: req.headers['content-type'],
          contentEncoding: req.headers['content-encoding'],
        },
        deps.maxDecompressedBytes,
        deps.limits,
        deps.maxRecords,
      );
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
