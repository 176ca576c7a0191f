/**
 * The feedback and suppression API (issue 20), in one process on the real Redis: every
 * endpoint's happy path, its 404, bad parameters answered 400 with the reason, and writes
 * refused without the admin token (401), with no token configured or cross-site (403).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEEDBACK_INCIDENT_TTL_MS } from '../../src/api/feedback-store.js';
import { IncidentStore } from '../../src/correlate/incident-store.js';
import { emptyCorrelatorState, type Incident } from '../../src/correlate/incidents.js';
import { SuppressionStore } from '../../src/detect/suppression-store.js';
import type { Suppression } from '../../src/detect/suppressions.js';
import type { RunningService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from '../helpers/redis.js';
import { startTestService } from '../helpers/service.js';

const ADMIN = 'feedback-api-admin-token';
const AUTH = { authorization: `Bearer ${ADMIN}` };
const JSON_TYPE = { 'content-type': 'application/json' };
const T = Date.UTC(2026, 0, 6, 7, 0);
const redis = new Redis(TEST_REDIS_URL);
const services: RunningService[] = [];
const prefixes: string[] = [];

afterAll(async () => {
  for (const s of services) await s.close(2000);
  for (const p of prefixes) await deletePrefix(p);
  redis.disconnect();
});

/** An opened incident, auth's error ratio its root cause, anomalies from T to T + 5 min. */
function incident(id: string): Incident {
  const a = (service: string, signal: string, ts: number) => ({
    id: `${service}-${signal}-${ts}`,
    series: `${signal}{service="${service}"}`,
    service,
    signal,
    ts,
    value: 0.25,
    expected: 0.005,
    lower: 0.004,
    upper: 0.006,
    score: 0.97,
    kind: 'metric' as const,
    detector: 'ensemble',
    labels: { service },
  });
  return {
    id,
    status: 'open',
    first_ts: T,
    last_ts: T + 300_000,
    seen_at: T,
    opened_at: T + 60_000,
    resolved_at: null,
    resolved_by: null,
    reopened: 0,
    acknowledged_at: null,
    acknowledged_by: null,
    services: ['auth', 'routing'],
    anomaly_count: 2,
    timeline: [a('auth', 'http_error_ratio', T), a('routing', 'http_error_ratio', T + 300_000)],
    root_cause: { service: 'auth', signal: 'http_error_ratio', confidence: 0.9 },
    candidates: [],
    explanation: null,
  };
}

/** A process serving the API (its role runs no correlator, so the seeded incidents stay put). */
async function serve(adminToken?: string): Promise<{ url: string; prefix: string }> {
  const prefix = randomPrefix();
  prefixes.push(prefix);
  const service = await startTestService(
    {
      services: { auth: {}, routing: { depends_on: ['auth'] } },
      redis: { prefix },
      server: adminToken ? { admin_token: adminToken } : {},
    },
    'notify',
  );
  services.push(service);
  const store = new IncidentStore(redis, prefix);
  await store.save(emptyCorrelatorState(), [incident('inc-1'), incident('inc-2')]);
  return { url: service.url, prefix };
}

const send = (
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = AUTH,
): Promise<Response> =>
  fetch(url, {
    method,
    headers: body === undefined ? headers : { ...JSON_TYPE, ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });

const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;

interface Entry {
  id: string;
  incident: string;
  verdict: string;
  note: string;
  by: string;
  at: string;
  suppression_id: string | null;
  period: { from: string | null; to: string | null };
  learn_from: boolean;
}

describe('feedback API', () => {
  let url: string;
  let prefix: string;
  beforeAll(async () => {
    ({ url, prefix } = await serve(ADMIN));
  });

  it('takes a true positive: 201, learned from, with the incident period', async () => {
    const res = await send(`${url}/api/v1/incidents/inc-1/feedback`, 'POST', {
      verdict: 'true_positive',
      note: 'a real outage',
      by: 'alice',
    });
    expect(res.status).toBe(201);
    const body = await json<{ feedback: Entry; suppression: Suppression | null }>(res);
    expect(body.suppression).toBeNull();
    expect(body.feedback).toMatchObject({
      incident: 'inc-1',
      verdict: 'true_positive',
      note: 'a real outage',
      by: 'alice',
      suppression_id: null,
      period: { from: new Date(T).toISOString(), to: new Date(T + 300_000).toISOString() },
      learn_from: true,
    });
    expect(body.feedback.id).toMatch(/^fb-[\w-]+$/);
  });

  it("takes a false positive with a suppression that defaults to the root cause's series", async () => {
    const res = await send(`${url}/api/v1/incidents/inc-2/feedback`, 'POST', {
      verdict: 'false_positive',
      note: 'the health check misfires',
      suppress: { expires_in_ms: 3_600_000 },
    });
    expect(res.status).toBe(201);
    const { feedback, suppression } = await json<{ feedback: Entry; suppression: Suppression }>(
      res,
    );
    expect(suppression).toMatchObject({
      service: 'auth',
      pattern: 'http_error_ratio{service="auth"}',
      created_by: 'api',
      note: 'the health check misfires',
      incident: 'inc-2',
    });
    expect(suppression.id).toMatch(/^sup-[\w-]{16}$/);
    expect(suppression.expires_at).toBe(suppression.created_at + 3_600_000);
    expect(feedback).toMatchObject({
      verdict: 'false_positive',
      suppression_id: suppression.id,
      learn_from: false,
      by: 'api',
    });

    const listed = await json<{ suppressions: Suppression[] }>(
      await fetch(`${url}/api/v1/suppressions`),
    );
    expect(listed.suppressions).toEqual([suppression]);
    const own = await json<{ feedback: Entry[] }>(
      await fetch(`${url}/api/v1/incidents/inc-2/feedback`),
    );
    expect(own.feedback).toEqual([feedback]);
  });

  it('lists all feedback newest first, as the labelled set', async () => {
    const res = await fetch(`${url}/api/v1/feedback`);
    expect(res.status).toBe(200);
    const { feedback } = await json<{ feedback: Entry[] }>(res);
    expect(feedback.map((f) => [f.incident, f.verdict, f.learn_from])).toEqual([
      ['inc-2', 'false_positive', false],
      ['inc-1', 'true_positive', true],
    ]);
    const one = await json<{ feedback: Entry[] }>(await fetch(`${url}/api/v1/feedback?limit=1`));
    expect(one.feedback.map((f) => f.incident)).toEqual(['inc-2']);
  });

  it("keeps an incident's feedback list 90 days from its latest entry; the global list stays", async () => {
    const ttl = await redis.pttl(`${prefix}:feedback:incident:inc-2`);
    expect(ttl).toBeGreaterThan(FEEDBACK_INCIDENT_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(FEEDBACK_INCIDENT_TTL_MS);
    expect(await redis.pttl(`${prefix}:feedback`)).toBe(-1);
  });

  it('counts feedback in aiops_feedback_total{verdict}', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/^aiops_feedback_total\{verdict="true_positive"\} 1$/m);
    expect(text).toMatch(/^aiops_feedback_total\{verdict="false_positive"\} 1$/m);
  });

  it('answers 404 for an unknown incident, on the write and the read', async () => {
    const post = await send(`${url}/api/v1/incidents/nope/feedback`, 'POST', {
      verdict: 'true_positive',
    });
    expect(post.status).toBe(404);
    expect(await post.json()).toMatchObject({ code: 'AIOPS_ERR_INCIDENT_NOT_FOUND' });
    const get = await fetch(`${url}/api/v1/incidents/nope/feedback`);
    expect(get.status).toBe(404);
    expect(await get.json()).toMatchObject({ code: 'AIOPS_ERR_INCIDENT_NOT_FOUND' });
  });

  it.each([
    ['not JSON', '{verdict', 'the body is not valid JSON'],
    ['no body', '', 'the body must be a JSON object'],
    ['no verdict', {}, 'verdict:'],
    ['an unknown verdict', { verdict: 'maybe' }, 'verdict:'],
    ['a note too long', { verdict: 'true_positive', note: 'x'.repeat(2001) }, 'note:'],
    ['a bad by', { verdict: 'true_positive', by: 'a/b' }, 'by: 1-64 letters'],
    ['an unknown field', { verdict: 'true_positive', extra: 1 }, 'extra'],
    [
      'a suppression on a true positive',
      { verdict: 'true_positive', suppress: {} },
      'suppress: only a false_positive can create a suppression',
    ],
    [
      'two expiries',
      {
        verdict: 'false_positive',
        suppress: { expires_in_ms: 1000, expires_at: '2030-01-01T00:00:00Z' },
      },
      'give expires_in_ms or expires_at, not both',
    ],
    [
      'a negative expiry',
      { verdict: 'false_positive', suppress: { expires_in_ms: -5 } },
      'suppress.expires_in_ms:',
    ],
    [
      'an expiry in the past',
      { verdict: 'false_positive', suppress: { expires_at: '2020-01-01T00:00:00Z' } },
      'expires_at: must be in the future',
    ],
    [
      'a pattern for everything',
      { verdict: 'false_positive', suppress: { pattern: '*', service: null } },
      'would hold back every anomaly',
    ],
    [
      'a pattern of every service too short to name a signal',
      { verdict: 'false_positive', suppress: { pattern: '*e*', service: null } },
      'with no service, a pattern needs 3 characters other than "*" in a row',
    ],
    [
      "a pattern of every log anomaly of the root cause's service",
      { verdict: 'false_positive', suppress: { pattern: 'log_*' } },
      'would hold back every log anomaly of auth',
    ],
  ])('answers feedback with %s with 400 and the reason', async (_what, body, reason) => {
    const res = await send(`${url}/api/v1/incidents/inc-1/feedback`, 'POST', body);
    expect(res.status).toBe(400);
    const answer = await json<{ code: string; message: string }>(res);
    expect(answer.code).toBe('AIOPS_ERR_API_BAD_REQUEST');
    expect(answer.message).toContain(reason);
  });

  it('answers GET /api/v1/feedback with a bad limit with 400', async () => {
    const res = await fetch(`${url}/api/v1/feedback?limit=0`);
    expect(res.status).toBe(400);
    expect((await json<{ message: string }>(res)).message).toContain('limit must be an integer');
  });

  it('creates, lists and removes a suppression directly', async () => {
    const created = await send(`${url}/api/v1/suppressions`, 'POST', {
      pattern: 'http_error_ratio{*path="/login"*}',
      note: 'login probe',
      by: 'bob',
    });
    expect(created.status).toBe(201);
    const s = await json<Suppression>(created);
    expect(s).toMatchObject({
      service: null,
      pattern: 'http_error_ratio{*path="/login"*}',
      expires_at: null,
      created_by: 'bob',
      incident: null,
    });
    const listed = await json<{ suppressions: Suppression[] }>(
      await fetch(`${url}/api/v1/suppressions`),
    );
    expect(listed.suppressions.map((x) => x.id)).toContain(s.id);

    const removed = await send(`${url}/api/v1/suppressions/${s.id}`, 'DELETE');
    expect(removed.status).toBe(204);
    const after = await json<{ suppressions: Suppression[] }>(
      await fetch(`${url}/api/v1/suppressions`),
    );
    expect(after.suppressions.map((x) => x.id)).not.toContain(s.id);
    const again = await send(`${url}/api/v1/suppressions/${s.id}`, 'DELETE');
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({
      code: 'AIOPS_ERR_SUPPRESSION_NOT_FOUND',
      docs: 'docs/errors.md#aiops_err_suppression_not_found',
    });
  });

  it('drops an expired suppression from the listing', async () => {
    const store = new SuppressionStore(redis, prefix);
    const now = Date.now();
    await store.add({
      id: 'sup-expired',
      service: 'auth',
      pattern: 'x',
      created_at: now - 2000,
      expires_at: now - 1000,
      created_by: 'test',
      note: '',
      incident: null,
    });
    const { suppressions } = await json<{ suppressions: Suppression[] }>(
      await fetch(`${url}/api/v1/suppressions`),
    );
    expect(suppressions.map((x) => x.id)).not.toContain('sup-expired');
    expect(await redis.hexists(`${prefix}:suppressions`, 'sup-expired')).toBe(0);
    expect((await send(`${url}/api/v1/suppressions/sup-expired`, 'DELETE')).status).toBe(404);
  });

  it.each([
    ['no pattern', { service: 'auth' }, 'pattern:'],
    ['an empty pattern', { pattern: '' }, 'pattern:'],
    ['a control character', { pattern: 'a\nb' }, 'pattern: no control characters'],
    ['a service of the wrong type', { pattern: 'x', service: 3 }, 'service:'],
    ['a bad expiry', { pattern: 'x', expires_at: 'tomorrow' }, 'expires_at:'],
    ['everything everywhere', { pattern: '**' }, 'would hold back every anomaly'],
    ['a short pattern everywhere', { pattern: '*e*' }, 'needs 3 characters other than "*"'],
    [
      'a whole service',
      { pattern: '*', service: 'auth' },
      'would hold back every log anomaly of auth',
    ],
  ])('answers a suppression with %s with 400 and the reason', async (_what, body, reason) => {
    const res = await send(`${url}/api/v1/suppressions`, 'POST', body);
    expect(res.status).toBe(400);
    expect((await json<{ message: string }>(res)).message).toContain(reason);
  });

  it('refuses a suppression past the bound with 409', async () => {
    const { url: full, prefix: p } = await serve(ADMIN);
    const fields: string[] = [];
    for (let i = 0; i < 1000; i++) {
      fields.push(
        `sup-${i}`,
        JSON.stringify({
          id: `sup-${i}`,
          service: 'auth',
          pattern: `m${i}`,
          created_at: i,
          expires_at: null,
          created_by: 'test',
          note: '',
          incident: null,
        }),
      );
    }
    await redis.hset(`${p}:suppressions`, ...fields);
    const res = await send(`${full}/api/v1/suppressions`, 'POST', { pattern: 'x', service: 'a' });
    expect(res.status).toBe(409);
    expect((await json<{ code: string; message: string }>(res)).code).toBe(
      'AIOPS_ERR_SUPPRESSION_LIMIT',
    );
    const fb = await send(`${full}/api/v1/incidents/inc-1/feedback`, 'POST', {
      verdict: 'false_positive',
      suppress: {},
    });
    expect(fb.status).toBe(409);
    // Refused as a whole: no feedback without its suppression.
    const own = await json<{ feedback: Entry[] }>(
      await fetch(`${full}/api/v1/incidents/inc-1/feedback`),
    );
    expect(own.feedback).toEqual([]);
  });

  const writes: [string, string, unknown][] = [
    ['POST', '/api/v1/incidents/inc-1/feedback', { verdict: 'true_positive' }],
    ['POST', '/api/v1/suppressions', { pattern: 'x', service: 'auth' }],
    ['DELETE', '/api/v1/suppressions/sup-x', undefined],
  ];

  it.each(writes)('refuses %s %s without the token (401) or with a wrong one', async (m, p, b) => {
    const none = await send(`${url}${p}`, m, b, {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await none.json()).toMatchObject({ code: 'AIOPS_ERR_API_UNAUTHORIZED' });
    const wrong = await send(`${url}${p}`, m, b, { authorization: 'Bearer not-the-token' });
    expect(wrong.status).toBe(401);
  });

  it.each(writes)('refuses %s %s cross-site (403), token or not', async (m, p, b) => {
    const res = await send(`${url}${p}`, m, b, { ...AUTH, origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'AIOPS_ERR_API_FORBIDDEN' });
  });

  it('refuses every write while no admin token is configured (403); reads stay open', async () => {
    const { url: open } = await serve();
    for (const [m, p, b] of writes) {
      const res = await send(`${open}${p}`, m, b);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'AIOPS_ERR_API_FORBIDDEN' });
    }
    expect((await fetch(`${open}/api/v1/suppressions`)).status).toBe(200);
    expect((await fetch(`${open}/api/v1/feedback`)).status).toBe(200);
    expect((await fetch(`${open}/api/v1/incidents/inc-1/feedback`)).status).toBe(200);
    // Nothing counted, but both verdicts are exported from the start (at 0), for rate().
    const counted = await (await fetch(`${open}/metrics`)).text();
    expect(counted).toMatch(/^aiops_feedback_total\{verdict="false_positive"\} 0$/m);
    expect(counted).toMatch(/^aiops_feedback_total\{verdict="true_positive"\} 0$/m);
  });
});
