/**
 * The remediation API's answers, in one process on the real Redis: writes refused without an
 * admin token configured, an approval refused (and kept pending) while the kill switch is on,
 * filters checked.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RemediationStore } from '../../src/remediate/remediation-store.js';
import type { RunningService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from '../helpers/redis.js';
import { startTestService } from '../helpers/service.js';

const ADMIN = 'remediation-api-admin-token';
const AUTH = { authorization: `Bearer ${ADMIN}` };
const redis = new Redis(TEST_REDIS_URL);
const services: RunningService[] = [];
const prefixes: string[] = [];

afterAll(async () => {
  for (const s of services) await s.close(2000);
  for (const p of prefixes) await deletePrefix(p);
  redis.disconnect();
});

const hook = {
  name: 'rollback-auth',
  match: { root_cause: 'auth' },
  mode: 'approve',
  action: { type: 'http', url: 'http://127.0.0.1:9/rollback' },
};

async function serve(adminToken?: string): Promise<{ url: string; store: RemediationStore }> {
  const prefix = randomPrefix();
  prefixes.push(prefix);
  const service = await startTestService(
    {
      services: { auth: {} },
      redis: { prefix },
      server: adminToken ? { admin_token: adminToken } : {},
      remediation: { hooks: [hook] },
    },
    'correlate',
  );
  services.push(service);
  const store = new RemediationStore(redis, prefix, 10_000);
  const now = Date.now();
  await store.create({
    id: 'inc-1.rollback-auth.0.auth',
    hook: 'rollback-auth',
    incident: 'inc-1',
    target: 'auth',
    mode: 'approve',
    transition: 'opened',
    state: 'pending',
    created_at: now,
    updated_at: now,
  });
  return { url: service.url, store };
}

const post = (url: string, headers: Record<string, string> = AUTH) =>
  fetch(url, { method: 'POST', headers });

describe('remediation API', () => {
  it('refuses every write while no admin token is configured', async () => {
    const { url } = await serve();
    const approve = await post(`${url}/api/v1/remediations/inc-1.rollback-auth.0.auth/approve`);
    expect(approve.status).toBe(403);
    expect(await approve.json()).toMatchObject({
      code: 'AIOPS_ERR_API_FORBIDDEN',
      docs: 'docs/errors.md#aiops_err_api_forbidden',
    });
    expect((await post(`${url}/api/v1/remediations/kill-switch?on=true`)).status).toBe(403);
    expect((await post(`${url}/api/v1/incidents/inc-1/ack?by=alice`)).status).toBe(403);
    // Reads stay open.
    expect((await fetch(`${url}/api/v1/remediations?state=pending`)).status).toBe(200);
  });

  it('keeps an approval pending while the kill switch is on, and takes it once it is off', async () => {
    const { url, store } = await serve(ADMIN);
    const id = 'inc-1.rollback-auth.0.auth';
    expect((await post(`${url}/api/v1/remediations/kill-switch?on=true&by=alice`)).status).toBe(
      200,
    );
    const held = await post(`${url}/api/v1/remediations/${id}/approve?by=alice`);
    expect(held.status).toBe(409);
    expect(await held.json()).toMatchObject({ code: 'AIOPS_ERR_REMEDIATION_HELD' });
    expect((await store.get(id))?.state).toBe('pending');
    expect((await post(`${url}/api/v1/remediations/kill-switch?on=false&by=alice`)).status).toBe(
      200,
    );
    const approved = await post(`${url}/api/v1/remediations/${id}/approve?by=alice`);
    expect(approved.status).toBe(202);
    expect(await approved.json()).toEqual({ id, state: 'approved', by: 'alice' });
    const audit = (await (
      await fetch(`${url}/api/v1/remediations/audit?hook=rollback-auth`)
    ).json()) as {
      entries: { decision: string; by: string }[];
    };
    expect(audit.entries.map((e) => e.decision)).toEqual(['approved']);
    const switches = (await (await fetch(`${url}/api/v1/remediations/audit`)).json()) as {
      entries: { decision: string }[];
    };
    expect(switches.entries.map((e) => e.decision)).toEqual([
      'kill_switch_on',
      'kill_switch_off',
      'approved',
    ]);
  });

  it('takes ids as long as a hook name and a service name make them', async () => {
    const { url } = await serve(ADMIN);
    const id = `inc-475630d36d2294ab.${'h'.repeat(64)}.0.${'s'.repeat(128)}`;
    const res = await post(`${url}/api/v1/remediations/${id}/approve?by=alice`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'AIOPS_ERR_REMEDIATION_NOT_FOUND' });
  });

  it.each([
    ['/api/v1/remediations?state=nonsense', 'state must be one of'],
    ['/api/v1/remediations?limit=0', 'limit must be an integer'],
    ['/api/v1/remediations/audit?limit=5000', 'limit must be an integer'],
  ])('answers %s with 400 and the reason', async (path, reason) => {
    const { url } = await serve(ADMIN);
    const res = await fetch(`${url}${path}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain(reason);
  });
});
