/**
 * Runs before any ingest route (tagged by `ingestRoute`) reads its body: checks the bearer
 * token when `ingest.auth` is configured (401/403), then pushes back while the queues the route
 * feeds are past their high-water mark (Retry-After; 503 for remote_write, whose senders drop a
 * 429 unless told to retry it, 429 for the others, which retry it). Both answers cost no body
 * parsing; the server's error handler counts them.
 */
import type { FastifyInstance } from 'fastify';
import { AiopsError } from '../errors.js';
import type { BearerAuth } from './bearer-auth.js';
import type { IngestStream } from './ingest-route.js';
import type { QueueBacklog } from './queue-backlog.js';

type Backlog = Pick<QueueBacklog, 'overloaded' | 'retryAfterSeconds' | 'reason'> &
  Partial<Pick<QueueBacklog, 'refreshIfStale'>>;

export interface IngestGuardDeps {
  readonly auth: BearerAuth | undefined;
  /** The backlog of the metric and of the log queues (each route waits on those it feeds). */
  readonly backlogs: { readonly metrics?: Backlog; readonly logs?: Backlog };
}

function overloadedBacklog(deps: IngestGuardDeps, stream: IngestStream): Backlog | undefined {
  const { metrics, logs } = deps.backlogs;
  if (stream !== 'logs' && metrics?.overloaded) return metrics;
  if (stream !== 'metrics' && logs?.overloaded) return logs;
  return undefined;
}

export function registerIngestGuard(app: FastifyInstance, deps: IngestGuardDeps): void {
  app.addHook('onRequest', async (req, reply) => {
    const tag = req.routeOptions.config.ingest;
    if (tag === undefined) return;
    if (deps.auth) {
      try {
        deps.auth.check(req.headers.authorization, tag.source);
      } catch (err) {
        // RFC 6750 section 3: the challenge, with the error when a token was presented.
        if (err instanceof AiopsError && err.code === 'AIOPS_ERR_INGEST_UNAUTHORIZED') {
          const error = req.headers.authorization === undefined ? '' : ', error="invalid_token"';
          void reply.header('www-authenticate', `Bearer realm="aiops-worker"${error}`);
        }
        throw err;
      }
    }
    const { metrics, logs } = deps.backlogs;
    await Promise.all([
      tag.stream !== 'logs' ? metrics?.refreshIfStale?.() : undefined,
      tag.stream !== 'metrics' ? logs?.refreshIfStale?.() : undefined,
    ]);
    const backlog = overloadedBacklog(deps, tag.stream);
    if (backlog) {
      void reply.header('retry-after', String(backlog.retryAfterSeconds));
      throw new AiopsError(
        // Prometheus drops a 429 unless told to retry it; every sender retries a 503.
        tag.source === 'remote_write'
          ? 'AIOPS_ERR_INGEST_QUEUE_UNAVAILABLE'
          : 'AIOPS_ERR_INGEST_OVERLOADED',
        `${backlog.reason}; retry later`,
        { reason: 'backlog' },
      );
    }
  });
}
