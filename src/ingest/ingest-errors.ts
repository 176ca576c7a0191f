/**
 * Ingest's error handler: answers as every route does (src/http/error-answer.ts) and counts each
 * request an ingest route refused as a whole once, in `aiops_ingest_rejected_total{reason}`,
 * whichever part of the stack refused it (fastify's body limit, a decoder, the guard).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import type { AiopsError } from '../errors.js';
import { errorAnswer, sendErrorAnswer } from '../http/error-answer.js';
import type { RejectionCounter } from '../telemetry/rejection-counter.js';
import { refusalReason } from './refusal-reason.js';

/** Sets the handler on `scope` (a plugin scope holds it to its own routes). */
export function registerIngestErrorHandler(
  scope: FastifyInstance,
  rejections: RejectionCounter,
): void {
  scope.setErrorHandler((err: FastifyError | AiopsError, req, reply) => {
    const answer = errorAnswer(err, req);
    if (req.routeOptions.config.ingest) {
      const reason = refusalReason(answer.code, err);
      if (reason !== undefined) rejections.inc({ reason }, 1, answer.message);
    }
    sendErrorAnswer(req, reply, answer);
  });
}
