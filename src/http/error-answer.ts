/**
 * How any HTTP failure is answered: the catalogue's code and status with a message that says
 * what went wrong. Bad input is a 4xx; a 500 is only ever our own fault, and is logged. The
 * server's error handler uses this for every route; a scope with handling of its own (ingest
 * counts refusals) uses the same mapping, so every route answers alike.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AiopsError, ErrorCodes, errorDocsPath, type ErrorCode } from '../errors.js';
import { closesMidBody, drainBody } from './drain-body.js';

/**
 * How a route answers an error, when not as `{code, message}` (OTLP answers a google.rpc.Status
 * in the request's encoding). The error handler still picks the code.
 */
export type SendError = (
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  message: string,
) => unknown;

declare module 'fastify' {
  interface FastifyContextConfig {
    sendError?: SendError;
    /** What the route takes, for the 415 answer (`application/json, or no body` when unset). */
    accepts?: string;
  }
}

/** fastify's own error codes, mapped onto the catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'AIOPS_ERR_INGEST_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'AIOPS_ERR_API_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'AIOPS_ERR_INGEST_NO_RECORDS',
};

export interface ErrorAnswer {
  readonly code: ErrorCode;
  readonly message: string;
}

/** The code and message for an error raised while serving `req` (logs our own faults). */
export function errorAnswer(err: FastifyError | AiopsError, req: FastifyRequest): ErrorAnswer {
  if (err instanceof AiopsError) return { code: err.code, message: err.message };
  const mapped = FASTIFY_CODES[err.code];
  if (mapped === 'AIOPS_ERR_INGEST_BODY_TOO_LARGE') {
    const limit = req.routeOptions.bodyLimit;
    const message = `the body is larger than the limit of ${limit} bytes (server.body_limit_bytes)`;
    return { code: mapped, message };
  }
  if (mapped === 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE') {
    const takes = req.routeOptions.config.accepts ?? 'application/json, or no body';
    const type = JSON.stringify(req.headers['content-type'] ?? '');
    return { code: mapped, message: `Content-Type ${type} is not taken here: send ${takes}` };
  }
  if (mapped) return { code: mapped, message: err.message };
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { code: 'AIOPS_ERR_API_BAD_REQUEST', message: err.message };
  }
  req.log.error({ err, url: req.url }, 'request failed');
  const code = 'AIOPS_ERR_SERVER_INTERNAL';
  return { code, message: ErrorCodes[code].message };
}

/**
 * Sends the answer: `{code, message, docs}` with the code's status (`docs` names the section of
 * docs/errors.md that says how to fix it), or as the route's `sendError`. An answer that closes
 * the connection before the body has all arrived (past the body limit) is sent once the rest is
 * read (drain-body.ts), so the sender gets the status rather than a reset.
 */
export function sendErrorAnswer(req: FastifyRequest, reply: FastifyReply, a: ErrorAnswer): void {
  const status = ErrorCodes[a.code].status;
  const answer = (): void => {
    const send = req.routeOptions.config.sendError;
    if (send) void send(req, reply, status, a.code, a.message);
    else
      void reply
        .code(status)
        .send({ code: a.code, message: a.message, docs: errorDocsPath(a.code) });
  };
  if (closesMidBody(req, reply)) void drainBody(req.raw).then(answer);
  else answer();
}
