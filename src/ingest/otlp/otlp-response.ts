/**
 * OTLP/HTTP answers, in the request's encoding (protobuf or JSON) as the spec asks: an
 * `Export*ServiceResponse` with `partialSuccess` when some data was rejected, and a
 * `google.rpc.Status` for a request that failed (4xx, 503).
 */
import type { FastifyReply } from 'fastify';
import type { OtlpEncoding } from './otlp-body.js';
import { OtlpTypes, encodeMessage } from './proto.js';

const CONTENT_TYPE = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;

/** The gRPC status code that goes with an HTTP status (google.rpc.Code). */
export function grpcCodeOf(httpStatus: number): number {
  if (httpStatus === 400 || httpStatus === 415) return 3; // INVALID_ARGUMENT
  if (httpStatus === 401) return 16; // UNAUTHENTICATED
  if (httpStatus === 403) return 7; // PERMISSION_DENIED
  if (httpStatus === 413 || httpStatus === 429) return 8; // RESOURCE_EXHAUSTED
  if (httpStatus === 503) return 14; // UNAVAILABLE
  return 13; // INTERNAL
}

/** 200 with the export response; `partial` names the rejected-count field and its value. */
export function sendExportResponse(
  reply: FastifyReply,
  encoding: OtlpEncoding,
  kind: 'metrics' | 'logs',
  partial: { readonly rejected: number; readonly errorMessage: string } | undefined,
): FastifyReply {
  const countField = kind === 'metrics' ? 'rejectedDataPoints' : 'rejectedLogRecords';
  const body =
    partial === undefined
      ? {}
      : {
          partialSuccess: {
            [countField]: String(partial.rejected),
            errorMessage: partial.errorMessage,
          },
        };
  const type = kind === 'metrics' ? OtlpTypes.metricsResponse : OtlpTypes.logsResponse;
  return reply
    .code(200)
    .type(CONTENT_TYPE[encoding])
    .send(encoding === 'json' ? JSON.stringify(body) : Buffer.from(encodeMessage(type, body)));
}

/** A failure as a google.rpc.Status with the HTTP status. */
export function sendStatus(
  reply: FastifyReply,
  encoding: OtlpEncoding,
  httpStatus: number,
  message: string,
): FastifyReply {
  const body = { code: grpcCodeOf(httpStatus), message };
  return reply
    .code(httpStatus)
    .type(CONTENT_TYPE[encoding])
    .send(
      encoding === 'json'
        ? JSON.stringify(body)
        : Buffer.from(encodeMessage(OtlpTypes.status, body)),
    );
}
