/**
 * How a route says it is an ingest endpoint: `ingestRoute(source, stream)` in its options tags
 * it, and the guard (auth, backpressure) and the refusal counting act on every tagged route,
 * whatever its path or plugin scope. An ingest route without the tag gets neither, so every
 * ingest route passes its options through this.
 */
import type { SendError } from '../api/server.js';
import type { IngestSource } from './bearer-auth.js';

/** Which queues a route feeds: its backpressure follows theirs. */
export type IngestStream = 'metrics' | 'logs' | 'any';

export interface IngestRouteTag {
  readonly source: IngestSource;
  readonly stream: IngestStream;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    ingest?: IngestRouteTag;
  }
}

/** Route options tagging an ingest route; `sendError` when its errors are not `{code, message}`. */
export function ingestRoute(
  source: IngestSource,
  stream: IngestStream,
  sendError?: SendError,
): { config: { ingest: IngestRouteTag; sendError?: SendError } } {
  return { config: { ingest: { source, stream }, ...(sendError ? { sendError } : {}) } };
}
