/**
 * `POST /api/v1/write`: Prometheus remote_write 1.0 (protobuf WriteRequest, snappy block).
 * Answers as the spec asks: 204 when the request was valid, even if the worker scores only part
 * of it (series without a service, meta-series, NaN, series over a limit: each counted in
 * `aiops_ingest_rejected_total`); 400 only for a body that does not decode or series that break
 * the spec (bad names, repeated labels; the valid ones are still queued, and Prometheus does not
 * retry a 4xx); 413 when the body would decompress past the limit; 415 for another encoding,
 * content type or a remote_write 2.0 request (the sender falls back to 1.0); 503 + Retry-After
 * when Redis cannot take the samples or the queues are backed up (the sender retries).
 */
import type { FastifyInstance } from 'fastify';
import { AiopsError } from '../../errors.js';
import { ingestRoute } from '../ingest-route.js';
import { queueRecords, type IngestRouteDeps } from '../queue-records.js';
import { snappyBodyError, withUncompressedBlock } from './snappy-block.js';
import { breaksSpec, familiesOf, toSamples } from './to-samples.js';
import { ProtoError, decodeWriteRequest } from './write-request.js';

const V1_PROTO = 'prometheus.WriteRequest';

const samples = (n: number): string => `${n} sample${n === 1 ? '' : 's'}`;

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
      const queued = await queueRecords(deps, reply, out.samples, [], familiesOf(decoded));
      const counter = deps.metrics.samplesRejected;
      for (const r of out.rejections) counter.inc({ reason: r.reason }, r.samples, r.message);
      counter.inc({ reason: 'invalid_value' }, out.invalid, out.invalidExample);
      counter.inc({ reason: 'invalid_timestamp' }, out.badTime, out.badTimeExample);
      counter.inc({ reason: 'nan_value' }, out.nan, out.nanExample);
      counter.inc({ reason: 'native_histogram' }, out.histograms);
      // Only samples that break the spec make the request invalid; the rest were taken or
      // counted, and a 4xx would make Prometheus drop the whole batch, good series included.
      const invalid = out.rejections.filter((r) => breaksSpec(r.reason));
      if (invalid.length === 0) return reply.code(204).send();
      const unscored =
        out.rejections.reduce((n, r) => n + (breaksSpec(r.reason) ? 0 : r.samples), 0) +
        queued.refused +
        out.invalid +
        out.badTime +
        out.nan +
        out.histograms;
      throw new AiopsError(
        'AIOPS_ERR_INGEST_INVALID_RECORD',
        `${invalid.length} of ${decoded.series.length} series break the remote_write spec, the first: ${invalid[0]?.message ?? ''}; ` +
          `the other series were taken: ${samples(queued.metrics)} queued` +
          (unscored > 0
            ? `, ${samples(unscored)} not scored (counted in aiops_ingest_rejected_total by reason)`
            : ''),
      );
    },
  );
}
