/**
 * `POST /api/v1/write`: Prometheus remote_write 1.0 (protobuf WriteRequest, snappy block).
 * Answers as the spec asks: 204 when every sample was queued; 400 when some series were
 * invalid (the valid ones are still queued, and Prometheus does not retry a 4xx); 413 when the
 * body would decompress past the limit; 415 for another encoding, content type or a
 * remote_write 2.0 request (the sender falls back to 1.0); 503 + Retry-After when Redis cannot
 * take the samples (the sender retries).
 */
import type { FastifyInstance } from 'fastify';
import { AiopsError } from '../../errors.js';
import { ingestRoute } from '../ingest-route.js';
import { queueRecords, type IngestRouteDeps } from '../queue-records.js';
import { snappyBodyError, withUncompressedBlock } from './snappy-block.js';
import { toSamples } from './to-samples.js';
import { ProtoError, decodeWriteRequest } from './write-request.js';

const V1_PROTO = 'prometheus.WriteRequest';

const unsupported = (message: string): AiopsError =>
  new AiopsError('AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE', message);

export function registerRemoteWriteRoute(
  app: FastifyInstance,
  deps: IngestRouteDeps & {
    /** Largest decompressed body, bytes. */
    readonly maxDecompressedBytes: number;
  },
): void {
  app.post(
    '/api/v1/write',
    ingestRoute('remote_write', 'metrics', {
      accepts: 'application/x-protobuf (a snappy-compressed remote_write 1.0 WriteRequest)',
    }),
    async (req, reply) => {
      const [media = '', ...params] = (req.headers['content-type'] ?? '')
        .toLowerCase()
        .split(';')
        .map((p) => p.trim());
      const proto = params.find((p) => p.startsWith('proto='))?.slice('proto='.length);
      const version = String(req.headers['x-prometheus-remote-write-version'] ?? '0.1.0');
      if (media !== 'application/x-protobuf' || !(req.body instanceof Buffer)) {
        throw unsupported(
          `remote_write needs Content-Type application/x-protobuf, got ${JSON.stringify(media)}`,
        );
      }
      if ((proto !== undefined && proto !== V1_PROTO.toLowerCase()) || !version.startsWith('0.1')) {
        throw unsupported(
          'remote_write 2.0 is not supported: send remote_write 1.0 (protobuf_message: prometheus.WriteRequest)',
        );
      }
      const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
      if (encoding !== 'snappy') {
        throw unsupported(
          `remote_write needs Content-Encoding snappy, got ${JSON.stringify(encoding)}`,
        );
      }
      let decoded;
      try {
        decoded = withUncompressedBlock(req.body, deps.maxDecompressedBytes, decodeWriteRequest);
      } catch (err) {
        throw snappyBodyError(err, ProtoError);
      }
      const out = toSamples(decoded, deps.limits);
      const queued = await queueRecords(deps, reply, out.samples, []);
      for (const r of out.rejections)
        deps.metrics.samplesRejected.inc({ reason: r.reason }, r.samples, r.message);
      if (out.invalid > 0) {
        deps.metrics.samplesRejected.inc(
          { reason: 'invalid_value' },
          out.invalid,
          out.invalidExample,
        );
      }
      if (out.nan > 0) {
        deps.metrics.samplesRejected.inc({ reason: 'nan_value' }, out.nan, out.nanExample);
      }
      if (out.histograms > 0) {
        deps.metrics.samplesRejected.inc({ reason: 'native_histogram' }, out.histograms);
      }
      if (out.rejections.length === 0 && queued.refused === 0) return reply.code(204).send();
      const rejectedSamples = out.rejections.reduce((n, r) => n + r.samples, 0) + queued.refused;
      const skipped = out.invalid + out.nan + out.histograms;
      const first = out.rejections[0]?.message ?? queued.refusal?.message;
      throw new AiopsError(
        'AIOPS_ERR_INGEST_INVALID_RECORD',
        `${rejectedSamples} samples rejected (${out.rejections.length} of ${decoded.series.length} series invalid` +
          `${queued.refused > 0 ? `, ${queued.refused} samples over a series limit` : ''})` +
          `${first ? `, the first: ${first}` : ''}; ${queued.metrics} samples accepted` +
          (skipped > 0 ? `; ${skipped} NaN, infinite or native histogram samples skipped` : ''),
      );
    },
  );
}
