/**
 * Ingest as one fastify plugin: its routes (JSON samples, remote_write, Loki push, OTLP), the
 * body parser remote_write needs, the guard (auth, backpressure) and the error handler that
 * counts refusals. fastify's encapsulation keeps all of it to the plugin's own routes, so the
 * server knows none of ingest's paths, and the API's routes are neither guarded nor counted.
 */
import type { FastifyInstance } from 'fastify';
import type { RejectionCounter } from '../telemetry/rejection-counter.js';
import { registerIngestErrorHandler } from './ingest-errors.js';
import { registerIngestGuard, type IngestGuardDeps } from './ingest-guard.js';
import { registerLokiRoute } from './loki/route.js';
import { registerOtlpRoutes } from './otlp/route.js';
import type { IngestRouteDeps } from './queue-records.js';
import { registerRemoteWriteRoute } from './remote-write/route.js';
import { registerSamplesRoute } from './samples-route.js';

export interface IngestPluginOptions extends IngestRouteDeps, IngestGuardDeps {
  /** Records (samples, lines, data points) per request at most. */
  readonly maxRecords: number;
  /** Largest decompressed body (snappy, gzip), bytes. */
  readonly maxDecompressedBytes: number;
  /** Where whole-request refusals are counted (`aiops_ingest_rejected_total`). */
  readonly rejections: RejectionCounter;
}

export function ingestPlugin(
  scope: FastifyInstance,
  o: IngestPluginOptions,
  done: (err?: Error) => void,
): void {
  // remote_write bodies: bytes, decoded by the route (snappy, then protobuf).
  scope.addContentTypeParser(
    'application/x-protobuf',
    { parseAs: 'buffer' },
    (_req, body, next) => {
      next(null, body);
    },
  );
  registerIngestErrorHandler(scope, o.rejections);
  registerIngestGuard(scope, o);
  registerSamplesRoute(scope, o);
  registerLokiRoute(scope, o);
  registerRemoteWriteRoute(scope, o);
  registerOtlpRoutes(scope, o);
  done();
}
