/**
 * How a route says it is an ingest endpoint: `ingestRoute(source, stream)` in its options tags
 * it, and the guard (auth, backpressure) and the refusal counting act on every tagged route,
 * whatever its path or plugin scope. An ingest route without the tag gets neither, so every
 * ingest route passes its options through this.
 */
import type { SendError } from '../http/error-answer.js';
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

export interface IngestRouteOptions {
  /** When its errors are not `{code, message}` (OTLP's google.rpc.Status). */
  readonly sendError?: SendError;
  /** What it takes, named in its 415 answer. */
  readonly accepts?: string;
}

/** Route options tagging an ingest route. */
export function ingestRoute(
  source: IngestSource,
  stream: IngestStream,
  options: IngestRouteOptions = {},
): { config: { ingest: IngestRouteTag; sendError?: SendError; accepts?: string } } {
  return { config: { ingest: { source, stream }, ...options } };
}
