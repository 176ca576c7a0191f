/**
 * Feedback and suppressions over HTTP:
 * - `POST /api/v1/incidents/:id/feedback` `{verdict, note?, by?, suppress?}` (201): a verdict on
 *   an incident; a false positive may create a suppression (by default the root cause's series
 *   on its service: `defaultSuppressionPattern`) that the detect and log stages honour;
 * - `GET /api/v1/incidents/:id/feedback`: its feedback, oldest first;
 * - `GET /api/v1/feedback?limit=N` (up to 1000): all feedback, newest first, each with its
 *   incident's period and `learn_from` (the labelled set for evaluation and replays);
 * - `GET /api/v1/suppressions`, `POST /api/v1/suppressions` (201), `DELETE
 *   /api/v1/suppressions/:id` (204).
 * Every write needs the admin token (src/http/admin-auth.ts). Counted in `aiops_feedback_total`.
 */
import type { FastifyInstance } from 'fastify';
import type { IncidentStore } from '../correlate/incident-store.js';
import type { SuppressionStore } from '../detect/suppression-store.js';
import type { Suppression } from '../detect/suppressions.js';
import { AiopsError } from '../errors.js';
import { adminAuth } from '../http/admin-auth.js';
import {
  feedbackEntry,
  feedbackSchema,
  newSuppression,
  parseBody,
  suppressionFromIncident,
  suppressionSchema,
} from './feedback.js';
import type { FeedbackMetrics } from './feedback-metrics.js';
import type { FeedbackStore } from './feedback-store.js';

export interface FeedbackRouteDeps {
  readonly incidents: Pick<IncidentStore, 'get'>;
  readonly feedback: FeedbackStore;
  readonly suppressions: SuppressionStore;
  readonly adminToken: string | undefined;
  readonly metrics?: FeedbackMetrics | undefined;
  /** Wall clock (tests may pin it). */
  readonly now?: () => number;
}

function limitOf(q: { limit?: string }): number {
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new AiopsError('AIOPS_ERR_API_BAD_REQUEST', 'limit must be an integer from 1 to 1000');
  }
  return limit;
}

export function registerFeedbackRoutes(app: FastifyInstance, deps: FeedbackRouteDeps): void {
  const now = deps.now ?? Date.now;
  const log = app.log.child({ component: 'feedback' });
  const write = { preHandler: adminAuth(deps.adminToken) };

  const incidentOf = async (id: string) => {
    const inc = await deps.incidents.get(id);
    if (!inc) throw new AiopsError('AIOPS_ERR_INCIDENT_NOT_FOUND', `no incident ${id}`);
    return inc;
  };

  app.post('/api/v1/incidents/:id/feedback', write, async (req, reply) => {
    const { id } = req.params as { id: string };
    const body = parseBody(feedbackSchema, req.body);
    const inc = await incidentOf(id);
    const who = { by: body.by ?? 'api', note: body.note ?? '' };
    const at = now();
    let suppression: Suppression | undefined;
    if (body.suppress) {
      suppression = await deps.suppressions.add(
        suppressionFromIncident(inc, body.suppress, who, at),
        at,
      );
    }
    const entry = feedbackEntry(inc, body, who, suppression, at);
    try {
      await deps.feedback.add(entry);
    } catch (err) {
      // No suppression without the feedback that explains it.
      if (suppression) await deps.suppressions.remove(suppression.id).catch(() => false);
      throw err;
    }
    deps.metrics?.count(entry.verdict);
    log.info(
      { incident: id, verdict: entry.verdict, by: who.by, suppression: suppression?.id },
      'incident feedback',
    );
    return reply.code(201).send({ feedback: entry, suppression: suppression ?? null });
  });

  app.get('/api/v1/incidents/:id/feedback', async (req) => {
    const { id } = req.params as { id: string };
    await incidentOf(id);
    return { feedback: await deps.feedback.ofIncident(id) };
  });

  app.get('/api/v1/feedback', async (req) => {
    const limit = limitOf(req.query as { limit?: string });
    return { feedback: await deps.feedback.list(limit) };
  });

  app.get('/api/v1/suppressions', async () => ({
    suppressions: await deps.suppressions.list(now()),
  }));

  app.post('/api/v1/suppressions', write, async (req, reply) => {
    const body = parseBody(suppressionSchema, req.body);
    const at = now();
    const s = newSuppression(
      {
        pattern: body.pattern,
        service: body.service ?? null,
        expires_in_ms: body.expires_in_ms,
        expires_at: body.expires_at,
        note: body.note ?? '',
        by: body.by ?? 'api',
        incident: null,
      },
      at,
    );
    await deps.suppressions.add(s, at);
    log.info({ suppression: s.id, pattern: s.pattern, service: s.service }, 'suppression added');
    return reply.code(201).send(s);
  });

  app.delete('/api/v1/suppressions/:id', write, async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!(await deps.suppressions.remove(id, now()))) {
      throw new AiopsError('AIOPS_ERR_SUPPRESSION_NOT_FOUND', `no suppression ${id}`);
    }
    log.info({ suppression: id }, 'suppression removed');
    return reply.code(204).send();
  });
}
