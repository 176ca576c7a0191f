/**
 * Runs before any ingest endpoint reads its body: checks the bearer token when `ingest.auth`
 * is configured (401/403), then pushes back while the queues are past their high-water mark
 * (Retry-After; 503 for remote_write, whose senders drop a 429 unless told to retry it, 429 for
 * the others, which retry it). Both answers cost no body parsing.
 */
import type { FastifyInstance } from 'fastify';
import { AiopsError } from '../errors.js';
import type { RejectionCounter } from '../telemetry/rejection-counter.js';
import type { BearerAuth, IngestSource } from './bearer-auth.js';
import type { QueueBacklog } from './queue-backlog.js';

/** The ingest endpoints, by route path. */
export const IngestEndpoints: Readonly<Record<string, IngestSource>> = {
  '/api/v1/samples': 'samples',
  '/api/v1/write': 'remote_write',
  '/loki/api/v1/push': 'loki',
  '/v1/metrics': 'otlp',
  '/v1/logs': 'otlp',
};

export interface IngestGuardDeps {
  readonly auth: BearerAuth | undefined;
  readonly backlog: Pick<QueueBacklog, 'overloaded' | 'retryAfterSeconds' | 'waiting'> | undefined;
  readonly rejections: RejectionCounter;
}

export function registerIngestGuard(app: FastifyInstance, deps: IngestGuardDeps): void {
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST') return;
    const source = IngestEndpoints[req.routeOptions.url ?? ''];
    if (source === undefined) return;
    if (deps.auth) {
      try {
        deps.auth.check(req.headers.authorization, source);
      } catch (err) {
        deps.rejections.inc({ reason: 'unauthorized' }, 1, (err as Error).message);
        if (err instanceof AiopsError && err.code === 'AIOPS_ERR_INGEST_UNAUTHORIZED') {
          void reply.header('www-authenticate', 'Bearer realm="aiops-worker"');
        }
        throw err;
      }
    }
    const backlog = deps.backlog;
    if (backlog?.overloaded) {
      const message = `the ingest queues hold ${backlog.waiting} waiting jobs, past ingest.queue_high_water_jobs; retry later`;
      deps.rejections.inc({ reason: 'backlog' }, 1, message);
      void reply.header('retry-after', String(backlog.retryAfterSeconds));
      throw new AiopsError(
        source === 'remote_write'
          ? 'AIOPS_ERR_INGEST_QUEUE_UNAVAILABLE'
          : 'AIOPS_ERR_INGEST_OVERLOADED',
        message,
      );
    }
  });
}
