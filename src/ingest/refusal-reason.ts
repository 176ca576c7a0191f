/**
 * The `aiops_ingest_rejected_total{reason}` label of a whole request an ingest route refused
 * (the server's error handler counts it, so every refusal is counted once, whichever part of
 * the stack refused: fastify's body limit, a decoder, the guard). Partial refusals
 * (`AIOPS_ERR_INGEST_INVALID_RECORD` without a reason) are counted per record by the routes.
 */
import { AiopsError, type ErrorCode } from '../errors.js';

const REASON_OF: Partial<Record<ErrorCode, string>> = {
  AIOPS_ERR_INGEST_INVALID_JSON: 'invalid_json',
  AIOPS_ERR_INGEST_NO_RECORDS: 'no_records',
  AIOPS_ERR_INGEST_MALFORMED_BODY: 'malformed_body',
  AIOPS_ERR_INGEST_BODY_TOO_LARGE: 'body_too_large',
  AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  AIOPS_ERR_INGEST_QUEUE_UNAVAILABLE: 'queue_unavailable',
  AIOPS_ERR_INGEST_OVERLOADED: 'backlog',
  AIOPS_ERR_INGEST_UNAUTHORIZED: 'unauthorized',
  AIOPS_ERR_INGEST_FORBIDDEN: 'forbidden',
  AIOPS_ERR_API_BAD_REQUEST: 'bad_request',
};

/** The reason to count a refused request under; undefined when the route counted it. */
export function refusalReason(code: ErrorCode, err: unknown): string | undefined {
  if (err instanceof AiopsError && err.reason !== undefined) return err.reason;
  return REASON_OF[code];
}
