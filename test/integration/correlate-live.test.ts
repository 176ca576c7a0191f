/**
 * The live correlator (issue 6): two worker processes share the anomalies queue (one job at a
 * time across both, BullMQ global concurrency 1) and the incident state in Redis. The story's
 * anomalies arrive in shuffled order; the result is one incident, root cause auth, on the API
 * and on /metrics of either process.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { prng } from '../helpers/series.js';
import { anomalyEvent, queueAnomalies } from '../helpers/story.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const prefix = randomPrefix();
const workers: WorkerProcess[] = [];
const redis = new Redis(TEST_REDIS_URL);

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  redis.disconnect();
  await deletePrefix(prefix);
});

interface IncidentBody {
  id: string;
  status: string;
  services: string[];
  root_cause: { service: string } | null;
}

const ADMIN = 'admin-token-for-the-test';
const AUTH = { authorization: `Bearer ${ADMIN}` };

describe('live correlation across two processes', () => {
  it('shuffled anomalies of the auth cascade make one incident, root cause auth', async () => {
    // The default config's graph: auth -> storage, routing -> auth, storage. A short settle
    // time, tick and lateness keep the test quick; the order of arrival is what is tested.
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      AIOPS_REDIS__PREFIX: prefix,
      AIOPS_SERVER__ADMIN_TOKEN: ADMIN,
      AIOPS_CORRELATE__SETTLE_MS: '3000',
      AIOPS_CORRELATE__TICK_MS: '1000',
      // Ticks move time to the wall clock less this: 1 s instead of 15 keeps the test short.
      AIOPS_CORRELATE__LATENESS_MS: '1000',
    };
    workers.push(
      ...(await Promise.all(
        [1, 2].map(() => startWorkerProcess({ args: ['--role', 'correlate'], env })),
      )),
    );
    const t = Date.now() - 2000;
    const story = [
      anomalyEvent('auth', 'http_error_ratio', t, 0.25, 0.005),
      anomalyEvent('auth', 'http_latency_p99_seconds', t + 100, 0.4, 0.12),
      anomalyEvent('routing', 'http_error_ratio', t + 800, 0.12, 0.005),
      anomalyEvent('routing', 'http_latency_p99_seconds', t + 900, 0.6, 0.3),
      anomalyEvent('storage', 'http_requests_per_second', t + 1000, 400, 1000),
      anomalyEvent('storage', 'http_error_ratio', t + 1100, 0.004, 0.005), // below normal: benign
    ];
    const rand = prng(7);
    const shuffled = story
      .map((a) => [rand(), a] as const)
      .sort((x, y) => x[0] - y[0])
      .map(([, a]) => a);
    expect(shuffled.map((a) => a.id)).not.toEqual(story.map((a) => a.id));
    await queueAnomalies(redis, prefix, shuffled);

    const [w1, w2] = workers as [WorkerProcess, WorkerProcess];
    let incidents: IncidentBody[] = [];
    await waitFor(
      'an open incident',
      async () => {
        const res = await fetch(`${w1.url}/api/v1/incidents?status=open`);
        incidents = ((await res.json()) as { incidents: IncidentBody[] }).incidents;
        return incidents.length > 0;
      },
      20_000,
    );
    // Let any late job land, then look again: still exactly one.
    await new Promise((r) => setTimeout(r, 1500));
    const all = (await (await fetch(`${w2.url}/api/v1/incidents`)).json()) as {
      incidents: IncidentBody[];
    };
    expect(all.incidents).toHaveLength(1);
    const inc = all.incidents[0] as IncidentBody;
    expect(inc.root_cause?.service).toBe('auth');
    expect([...inc.services].sort()).toEqual(['auth', 'routing', 'storage']);
    expect(inc.status).toBe('open');

    const detail = await fetch(`${w2.url}/api/v1/incidents/${inc.id}`);
    expect(detail.status).toBe(200);
    expect(
      ((await detail.json()) as { explanation: { root_cause: string } }).explanation.root_cause,
    ).toBe('auth');
    expect((await fetch(`${w2.url}/api/v1/incidents/inc-nope`)).status).toBe(404);

    const metrics = await (await fetch(`${w1.url}/metrics`)).text();
    expect(metrics).toContain(
      `aiops_incident_open{incident="${inc.id}",root_cause="auth",severity="critical"} 1`,
    );
    expect(metrics).toContain(`aiops_incident_affected{incident="${inc.id}",service="routing"} 1`);
    // On-call acknowledges it through either process; the correlator applies it. A write needs
    // the admin token: without it, or with another, nothing is acknowledged.
    const noToken = await fetch(`${w1.url}/api/v1/incidents/${inc.id}/ack?by=mallory`, {
      method: 'POST',
    });
    expect(noToken.status).toBe(401);
    const wrong = await fetch(`${w1.url}/api/v1/incidents/${inc.id}/ack?by=mallory`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-admin-token' },
    });
    expect(wrong.status).toBe(401);
    const crossSite = await fetch(`${w1.url}/api/v1/incidents/${inc.id}/ack?by=mallory`, {
      method: 'POST',
      headers: { ...AUTH, origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    const ack = await fetch(`${w1.url}/api/v1/incidents/${inc.id}/ack?by=alice`, {
      method: 'POST',
      headers: AUTH,
    });
    expect(ack.status).toBe(202);
    await waitFor('acknowledged', async () => {
      const body = (await (await fetch(`${w2.url}/api/v1/incidents/${inc.id}`)).json()) as {
        status: string;
        acknowledged_by: string | null;
      };
      return body.status === 'acknowledged' && body.acknowledged_by === 'alice';
    });
    // A second acknowledgement is refused as the README says, not silently taken.
    const again = await fetch(`${w2.url}/api/v1/incidents/${inc.id}/ack?by=bob`, {
      method: 'POST',
      headers: AUTH,
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('AIOPS_ERR_INCIDENT_NOT_OPEN');
    expect(
      (await fetch(`${w1.url}/api/v1/incidents/inc-nope/ack`, { method: 'POST', headers: AUTH }))
        .status,
    ).toBe(404);
    // Both processes took correlator jobs.
    const took = workers.map((w) => w.logs.filter((l) => l.includes('"msg":"anomaly: ')).length);
    expect(took.reduce((a, b) => a + b, 0)).toBe(story.length);
  }, 60_000);
});
