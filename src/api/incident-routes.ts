/**
 * Incidents over HTTP: `GET /api/v1/incidents` (newest first; `?status=open` for the open
 * ones, `?limit=N` up to 1000) and `GET /api/v1/incidents/:id` (with its explanation), in the
 * same form as replay's incidents.json.
 */
import type { FastifyInstance } from 'fastify';
import { incidentJson } from '../correlate/incident-json.js';
import type { IncidentStore } from '../correlate/incident-store.js';
import { AiopsError } from '../errors.js';

export function registerIncidentRoutes(app: FastifyInstance, store: IncidentStore): void {
  app.get('/api/v1/incidents', async (req) => {
    const q = req.query as { status?: string; limit?: string };
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new AiopsError('AIOPS_ERR_API_BAD_REQUEST', 'limit must be an integer from 1 to 1000');
    }
    if (q.status !== undefined && q.status !== 'open') {
      throw new AiopsError('AIOPS_ERR_API_BAD_REQUEST', 'status can only be "open"');
    }
    const incidents = q.status === 'open' ? await store.open() : await store.list(limit);
    return { incidents: incidents.map(incidentJson) };
  });
  app.get('/api/v1/incidents/:id', async (req) => {
    const { id } = req.params as { id: string };
    const inc = await store.get(id);
    if (!inc) throw new AiopsError('AIOPS_ERR_INCIDENT_NOT_FOUND', `no incident ${id}`);
    return incidentJson(inc);
  });
}
