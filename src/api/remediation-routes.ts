/**
 * Remediations over HTTP:
 * - `GET /api/v1/remediations` (`?state=pending`, `?incident=ID`, `?hook=NAME`, `?limit=N` up
 *   to 1000): the records, newest first;
 * - `GET /api/v1/remediations/audit` (same filters but state): every decision, oldest first;
 * - `POST /api/v1/remediations/:id/approve?by=NAME` and `/reject?by=NAME`: compare-and-set on a
 *   pending one, so of two decisions one wins (the other gets 409);
 * - `GET` and `POST /api/v1/remediations/kill-switch?on=true|false&by=NAME`: while on, no hook
 *   runs in any process.
 * Every write needs the admin token (src/http/admin-auth.ts).
 */
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { AiopsError } from '../errors.js';
import { adminAuth } from '../http/admin-auth.js';
import { queueRun } from '../remediate/propose.js';
import type { RemediationMetrics } from '../remediate/remediation-metrics.js';
import type { RemediationStore } from '../remediate/remediation-store.js';

const BY = /^[\w.@ -]{1,64}$/;
/** How far back a filtered audit read looks. */
const AUDIT_SCAN = 2000;

function byOf(q: { by?: string }): string {
  const by = q.by ?? 'api';
  if (!BY.test(by)) {
    throw new AiopsError(
      'AIOPS_ERR_API_BAD_REQUEST',
      'by: 1-64 letters, digits, . @ - _ or spaces',
    );
  }
  return by;
}

function limitOf(q: { limit?: string }): number {
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new AiopsError('AIOPS_ERR_API_BAD_REQUEST', 'limit must be an integer from 1 to 1000');
  }
  return limit;
}

export function registerRemediationRoutes(
  app: FastifyInstance,
  deps: {
    readonly store: RemediationStore;
    /** The `remediate` queue: an approved remediation is queued to run. */
    readonly queue: Queue;
    readonly adminToken: string | undefined;
    /** `remediation.kill_switch` in the config (the API's switch is the other one). */
    readonly configKillSwitch: boolean;
    /** Counts approvals and rejections (`aiops_remediations_total`). */
    readonly metrics?: RemediationMetrics | undefined;
  },
): void {
  const { store } = deps;
  const log = app.log.child({ component: 'remediate' });
  const write = { preHandler: adminAuth(deps.adminToken) };
  type Filter = { state?: string; incident?: string; hook?: string; limit?: string };
  const STATES = [
    'suggested',
    'pending',
    'approved',
    'rejected',
    'running',
    'succeeded',
    'failed',
    'skipped',
    'dry_run',
    'verified',
    'escalated',
  ];

  app.get('/api/v1/remediations', async (req) => {
    const q = req.query as Filter;
    const limit = limitOf(q);
    if (q.state !== undefined && !STATES.includes(q.state)) {
      throw new AiopsError(
        'AIOPS_ERR_API_BAD_REQUEST',
        `state must be one of ${STATES.join(', ')}`,
      );
    }
    const all = q.incident ? await store.ofIncident(q.incident) : await store.list(1000);
    const picked = all
      .filter(
        (r) =>
          (q.state === undefined || r.state === q.state) &&
          (q.hook === undefined || r.hook === q.hook),
      )
      .sort((a, b) => b.created_at - a.created_at || a.id.localeCompare(b.id))
      .slice(0, limit);
    return { remediations: picked };
  });

  app.get('/api/v1/remediations/audit', async (req) => {
    const q = req.query as Filter;
    const limit = limitOf(q);
    // Unfiltered, the newest `limit`; filtered, among the newest AUDIT_SCAN entries (a bound on
    // what one unauthenticated read may cost).
    const filtered = q.incident !== undefined || q.hook !== undefined;
    const entries = (await store.auditLog(filtered ? AUDIT_SCAN : limit)).filter(
      (e) =>
        (q.incident === undefined || e.incident === q.incident) &&
        (q.hook === undefined || e.hook === q.hook),
    );
    return { entries: entries.slice(-limit) };
  });

  const decide =
    (to: 'approved' | 'rejected') =>
    async (req: { params: unknown; query: unknown }): Promise<object> => {
      const { id } = req.params as { id: string };
      const by = byOf(req.query as { by?: string });
      const current = await store.get(id);
      if (!current) throw new AiopsError('AIOPS_ERR_REMEDIATION_NOT_FOUND', `no remediation ${id}`);
      // An approval under the kill switch would be skipped at once and lost: refuse it instead,
      // so it stays pending until the switch is off.
      if (to === 'approved' && (deps.configKillSwitch || (await store.killSwitch()))) {
        throw new AiopsError(
          'AIOPS_ERR_REMEDIATION_HELD',
          `the kill switch is on (${deps.configKillSwitch ? 'remediation.kill_switch in the config' : 'set through the API'}): remediation ${id} stays pending; turn the switch off, then approve`,
        );
      }
      const { moved, record } = await store.move(id, ['pending'], to, { by });
      if (!moved) {
        throw new AiopsError(
          'AIOPS_ERR_REMEDIATION_NOT_PENDING',
          `remediation ${id} is ${record?.state ?? current.state}${record?.by ? ` (by ${record.by})` : ''}, not pending`,
        );
      }
      await store.auditDecision(current, to, `${to} through the API`, Date.now(), by);
      deps.metrics?.count(current.hook, to);
      log.info({ remediation: id, hook: current.hook, by }, `remediation ${to}`);
      if (to === 'approved') {
        // Queued, or back to pending: an approval whose run could not be queued is not lost as
        // an "approved" nothing will ever run; the approver is told to try again.
        await queueRun(deps.queue, id).catch(async (err: unknown) => {
          const reason = 'the run could not be queued: approve again';
          const back = await store.move(id, ['approved'], 'pending', { reason });
          if (back.moved) await store.auditDecision(current, 'pending', reason, Date.now(), by);
          throw err;
        });
      }
      return { id, state: to, by };
    };
  app.post('/api/v1/remediations/:id/approve', write, async (req, reply) =>
    reply.code(202).send(await decide('approved')(req)),
  );
  app.post('/api/v1/remediations/:id/reject', write, async (req) => decide('rejected')(req));

  app.get('/api/v1/remediations/kill-switch', async () => ({
    kill_switch: deps.configKillSwitch || (await store.killSwitch()),
    from_config: deps.configKillSwitch,
  }));
  app.post('/api/v1/remediations/kill-switch', write, async (req) => {
    const q = req.query as { on?: string; by?: string };
    if (q.on !== 'true' && q.on !== 'false') {
      throw new AiopsError('AIOPS_ERR_API_BAD_REQUEST', 'on must be true or false');
    }
    const by = byOf(q);
    const on = q.on === 'true';
    await store.setKillSwitch(on);
    log.warn(
      { by, on, fromConfig: deps.configKillSwitch },
      `remediation kill switch ${on ? 'on' : 'off'}`,
    );
    await store.audit({
      id: '',
      hook: '',
      incident: '',
      target: '',
      mode: '',
      decision: on ? 'kill_switch_on' : 'kill_switch_off',
      reason: 'through the API',
      by,
      ts: Date.now(),
    });
    return { kill_switch: on || deps.configKillSwitch, from_config: deps.configKillSwitch };
  });
}
