/**
 * Incidents over HTTP: `GET /api/v1/incidents` (newest first; `?status=open` for the open
 * ones, `?limit=N` up to 1000) and `GET /api/v1/incidents/:id` (with its explanation), in the
 * same form as replay's incidents.json. `GET /api/v1/graph`: the dependency graph, each edge
 * marked `configured` or `discovered` (from service-graph metrics).
 */
import type { FastifyInstance } from 'fastify';
import { incidentJson } from '../correlate/incident-json.js';
import type { IncidentStore } from '../correlate/incident-store.js';
import { AiopsError } from '../errors.js';
import type { Edge } from '../correlate/discovered-edges.js';
import type { EdgeRecorder } from '../correlate/edge-recorder.js';
import type { ServiceGraph } from '../correlate/graph.js';

export function registerIncidentRoutes(
  app: FastifyInstance,
  store: IncidentStore,
  graph: {
    edges: EdgeRecorder;
    graphFor: (discovered: readonly Edge[]) => ServiceGraph;
  },
): void {
  // The dependency graph the correlator uses: configured edges and discovered ones, marked.
  app.get('/api/v1/graph', async () => {
    const g = graph.graphFor(await graph.edges.load());
    return { services: g.services, edges: g.edges };
  });
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
