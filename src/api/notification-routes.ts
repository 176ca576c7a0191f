/**
 * `GET /api/v1/notifications/dead-letters?limit=N` (1 to 1000, default 100): the deliveries to
 * direct receivers given up for good, newest first (src/queues/dead-letters.ts), each with its
 * receiver, incident, transition, when it was queued and given up, its attempts and why. A read:
 * public, or behind `server.read_token` like every read.
 */
import type { FastifyInstance } from 'fastify';
import { AiopsError } from '../errors.js';
import type { DeadLetterStore } from '../queues/dead-letters.js';

export function registerNotificationRoutes(
  app: FastifyInstance,
  deps: { readonly deadLetters: DeadLetterStore },
): void {
  app.get<{ Querystring: { limit?: string } }>(
    '/api/v1/notifications/dead-letters',
    async (req) => {
      const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new AiopsError(
          'AIOPS_ERR_API_BAD_REQUEST',
          'limit must be an integer from 1 to 1000',
        );
      }
      return { dead_letters: await deps.deadLetters.list(limit) };
    },
  );
}
