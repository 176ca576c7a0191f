/**
 * Incidents over HTTP: `GET /api/v1/incidents` (newest first; `?status=open` for the open
 * ones, `?limit=N` up to 1000) and `GET /api/v1/incidents/:id` (with its explanation), in the
 * same form as replay's incidents.json. `GET /api/v1/graph`: the dependency graph, each edge
 * marked `configured` or `discovered` (from service-graph metrics).
 * `POST /api/v1/incidents/:id/ack?by=NAME` acknowledges an open incident (202); it needs the
 * admin token, as every write does. An incident's answer lists its remediations.
 */
import type { FastifyInstance } from 'fastify';
import { incidentJson } from '../correlate/incident-json.js';
import type { IncidentStore } from '../correlate/incident-store.js';
import type { Queue } from 'bullmq';
import { AiopsError } from '../errors.js';
import { adminAuth } from '../http/admin-auth.js';
import { asIncidentRemediation } from '../remediate/propose.js';
import type { RemediationStore } from '../remediate/remediation-store.js';
import { JobNames, type AckJob } from '../queues/contract.js';
import type { Edge } from '../queues/discovered-edges.js';
import type { EdgeRecorder } from '../queues/edge-recorder.js';
import type { ServiceGraph } from '../correlate/graph.js';

export function registerIncidentRoutes(
  app: FastifyInstance,
  store: IncidentStore,
  graph: {
    edges: EdgeRecorder;
    graphFor: (discovered: readonly Edge[]) => ServiceGraph;
  },
  /** Where acknowledgements go (the anomalies queue: the correlator applies them in turn). */
  correlatorQueue?: Queue,
  opts: {
    readonly adminToken?: string | undefined;
    /** An incident's remediations, listed in its answer. */
    readonly remediations?: Pick<RemediationStore, 'ofIncident'>;
  } = {},
): void {
  // On-call acknowledges an open incident: 202, applied by the correlator in a moment.
  app.post(
    '/api/v1/incidents/:id/ack',
    { preHandler: adminAuth(opts.adminToken) },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const by = (req.query as { by?: string }).by ?? 'api';
      if (!correlatorQueue) {
        throw new AiopsError('AIOPS_ERR_API_BAD_REQUEST', 'this process runs no correlator queue');
      }
      if (!/^[\w.@ -]{1,64}$/.test(by)) {
        throw new AiopsError(
          'AIOPS_ERR_API_BAD_REQUEST',
          'by: 1-64 letters, digits, . @ - _ or spaces',
        );
      }
      const inc = await store.get(id);
      if (!inc) throw new AiopsError('AIOPS_ERR_INCIDENT_NOT_FOUND', `no incident ${id}`);
      if (inc.status !== 'open') {
        throw new AiopsError(
          'AIOPS_ERR_INCIDENT_NOT_OPEN',
          `incident ${id} is ${inc.status}, not open`,
        );
      }
      if (inc.acknowledged_by !== null) {
        throw new AiopsError(
          'AIOPS_ERR_INCIDENT_NOT_OPEN',
          `incident ${id} is already acknowledged by ${inc.acknowledged_by}`,
        );
      }
      const job: AckJob = { id, by, at: Date.now() };
      // One acknowledgement per opening: a reopened incident can be acknowledged again.
      await correlatorQueue.add(JobNames.IncidentAck, job, { jobId: `ack-${id}-${inc.reopened}` });
      return reply.code(202).send({ id, acknowledged_by: by });
    },
  );
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
    const incidents = q.status === 'open' ? await store.open(limit) : await store.list(limit);
    return { incidents: incidents.map(incidentJson) };
  });
  app.get('/api/v1/incidents/:id', async (req) => {
    const { id } = req.params as { id: string };
    const inc = await store.get(id);
    if (!inc) throw new AiopsError('AIOPS_ERR_INCIDENT_NOT_FOUND', `no incident ${id}`);
    const hooks = (await opts.remediations?.ofIncident(id)) ?? [];
    const json = incidentJson(inc);
    return hooks.length > 0 ? { ...json, remediations: hooks.map(asIncidentRemediation) } : json;
  });
}
