/**
 * Ingest's error handler: answers as every route does (src/http/error-answer.ts) and counts each
 * request an ingest route refused as a whole once, in `aiops_ingest_rejected_total{reason}`,
 * whichever part of the stack refused it (fastify's body limit, a decoder, the guard). A 415, or
 * a JSON body that does not parse, gets a hint of where the body belongs (misdirected.ts).
 */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { AiopsError } from '../errors.js';
import { errorAnswer, sendErrorAnswer, type ErrorAnswer } from '../http/error-answer.js';
import type { RejectionCounter } from '../telemetry/rejection-counter.js';
import {
  misdirectedJsonHint,
  misdirectedTypeHint,
  type MisdirectedRequest,
} from './misdirected.js';
import { refusalReason } from './refusal-reason.js';

/** The answer with a hint of where the body belongs, when there is one. */
export function withHint(answer: ErrorAnswer, req: FastifyRequest): ErrorAnswer {
  const seen: MisdirectedRequest = {
    path: req.routeOptions.url ?? req.url,
    contentType: req.headers['content-type'],
    contentEncoding: req.headers['content-encoding'],
    body: req.body,
  };
  let hint: string | undefined;
  if (answer.code === 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE') hint = misdirectedTypeHint(seen);
  else if (answer.code === 'AIOPS_ERR_INGEST_INVALID_JSON') hint = misdirectedJsonHint(seen);
  if (hint === undefined || answer.message.includes(hint)) return answer;
  return { ...answer, message: `${answer.message}; ${hint}` };
}

/** Sets the handler on `scope` (a plugin scope holds it to its own routes). */
export function registerIngestErrorHandler(
  scope: FastifyInstance,
  rejections: RejectionCounter,
): void {
  scope.setErrorHandler((err: FastifyError | AiopsError, req, reply) => {
    let answer = errorAnswer(err, req);
    if (req.routeOptions.config.ingest) {
      answer = withHint(answer, req);
      const reason = refusalReason(answer.code, err);
      if (reason !== undefined) rejections.inc({ reason }, 1, answer.message);
    }
    sendErrorAnswer(req, reply, answer);
  });
}
