/**
 * The pages and the read guard over HTTP, on the real Redis: with `server.read_token` set every
 * read (API and pages) answers 401 with a Basic challenge without a token, and 200 with the read
 * token (Bearer or Basic) or the admin token; probes, /metrics, assets and the public status
 * page stay open. Pages carry the Content-Security-Policy; an incident page answers 200 with
 * the incident, an unknown one 404 as a page; `?part=main` answers the refreshable fragment;
 * without a read token reads are open and `/status/public` does not exist.
 */
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncidentStore } from '../../src/correlate/incident-store.js';
import { emptyCorrelatorState, type Incident } from '../../src/correlate/incidents.js';
import type { RunningService } from '../../src/service/service.js';
import { CONTENT_SECURITY_POLICY } from '../../src/web/web-routes.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from '../helpers/redis.js';
import { startTestService } from '../helpers/service.js';

const READ = 'read-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';
const prefixes = [randomPrefix(), randomPrefix()];
const redis = new Redis(TEST_REDIS_URL);
let guarded: RunningService;
let open: RunningService;

const T0 = Date.UTC(2026, 0, 6, 6, 58);

function incident(): Incident {
  return {
    id: 'inc-web-1',
    status: 'open',
    first_ts: T0,
    last_ts: T0 + 60_000,
    seen_at: T0,
    opened_at: T0 + 90_000,
    resolved_at: null,
    resolved_by: null,
    reopened: 0,
    acknowledged_at: null,
    acknowledged_by: null,
    services: ['auth', 'routing'],
    anomaly_count: 2,
    timeline: [
      {
        id: 'a1',
        kind: 'metric',
        series: 'http_error_ratio{service="auth"}',
        service: 'auth',
        signal: 'http_error_ratio',
        labels: { service: 'auth' },
        ts: T0,
        value: 0.257,
        expected: 0.005,
        lower: 0.004,
        upper: 0.006,
        score: 0.99,
        detector: 'ensemble',
      },
      {
        id: 'a2',
        kind: 'metric',
        series: 'http_error_ratio{service="routing"}',
        service: 'routing',
        signal: 'http_error_ratio',
        labels: { service: 'routing' },
        ts: T0 + 60_000,
        value: 0.12,
        expected: 0.005,
        lower: 0.004,
        upper: 0.006,
        score: 0.97,
        detector: 'ensemble',
      },
    ],
    root_cause: { service: 'auth', signal: 'http_error_ratio', confidence: 0.8 },
    candidates: [
      {
        service: 'auth',
        signal: 'http_error_ratio',
        confidence: 0.8,
        score: 1,
        reasons: ['first to move'],
      },
    ],
    explanation: null,
  };
}

const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

async function get(svc: RunningService, path: string, authorization?: string) {
  const res = await fetch(`${svc.url}${path}`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  return { res, text: await res.text() };
}

beforeAll(async () => {
  const services = { auth: { depends_on: [] }, routing: { depends_on: ['auth'] } };
  guarded = await startTestService(
    {
      services,
      redis: { prefix: prefixes[0] },
      server: { read_token: READ, admin_token: ADMIN, public_status: true },
    },
    'ingest',
  );
  open = await startTestService({ services, redis: { prefix: prefixes[1] } }, 'ingest');
  for (const p of prefixes) {
    await new IncidentStore(redis, p).save(emptyCorrelatorState(), [incident()]);
  }
});

afterAll(async () => {
  await guarded.close();
  await open.close();
  for (const p of prefixes) await deletePrefix(p);
  redis.disconnect();
});

describe('the read guard (server.read_token)', () => {
  const reads = [
    '/status',
    '/status?part=main',
    '/incidents/inc-web-1',
    '/api/v1/incidents',
    '/api/v1/incidents/inc-web-1',
    '/api/v1/services',
    '/api/v1/series',
    '/api/v1/suppressions',
    '/api/v1/feedback',
    '/api/v1/graph',
    '/api/v1/remediations',
  ];

  it.each(reads)('%s: 401 with a Basic challenge without a token', async (path) => {
    const { res, text } = await get(guarded, path);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="aiops-worker"/);
    expect(JSON.parse(text)).toMatchObject({ code: 'AIOPS_ERR_API_UNAUTHORIZED' });
  });

  it.each(reads)(
    '%s: 200 with the read token, as Bearer or Basic, or the admin token',
    async (path) => {
      for (const auth of [
        `Bearer ${READ}`,
        basic('oncall', READ),
        basic('', ADMIN),
        `Bearer ${ADMIN}`,
      ]) {
        const { res } = await get(guarded, path, auth);
        expect(res.status, `${path} with ${auth.split(' ')[0]}`).toBe(200);
      }
    },
  );

  it('refuses a wrong token, and a token given as the Basic user name', async () => {
    for (const auth of [`Bearer ${READ}x`, basic(READ, ''), basic('oncall', 'nope'), 'Basic !!!']) {
      const { res, text } = await get(guarded, '/api/v1/services', auth);
      expect(res.status).toBe(401);
      expect(JSON.parse(text)).toMatchObject({
        message: expect.stringMatching(/read_token|admin_token/) as unknown,
      });
    }
  });

  it('guards the route, whatever form the request target takes', async () => {
    const { port, hostname } = new URL(guarded.url);
    const raw = (target: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), hostname, () => {
          socket.write(
            `GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`,
          );
        });
        let answer = '';
        socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
        socket.on('end', () => {
          resolve(answer.split('\r\n')[0] ?? '');
        });
        socket.on('error', reject);
      });
    for (const target of [
      '/%73tatus',
      '/%61pi/v1/services',
      '/%69ncidents/inc-web-1',
      '/status#x',
      '/api/v1/services#x',
      `http://${hostname}:${port}/api/v1/services`,
      `http://${hostname}:${port}/status`,
      '/api/v1/services/',
      '/status?part=main',
    ]) {
      const status = await raw(target);
      expect(status, target).toMatch(/^HTTP\/1\.1 (401|404) /);
    }
  });

  it('keeps probes, /metrics, assets and the public status page open', async () => {
    for (const path of [
      '/healthz',
      '/metrics',
      '/static/aiops.css',
      '/static/status.js',
      '/status/public',
    ]) {
      const { res } = await get(guarded, path);
      expect(res.status, path).toBe(200);
    }
  });

  it('the read token never allows a write', async () => {
    const res = await fetch(`${guarded.url}/api/v1/suppressions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${READ}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pattern: 'x', service: 'auth' }),
    });
    expect(res.status).toBe(401);
  });
});

describe('the pages', () => {
  it('the status page: HTML with the policy, the services and the incident', async () => {
    const { res, text } = await get(open, '/status');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(text).toMatch(/data-service="auth"\s+data-state="outage"/);
    expect(text).toMatch(/data-service="routing"\s+data-state="affected"/);
    expect(text).toContain('href="incidents/inc-web-1"');
  });

  it('?part=main answers the refreshable part only', async () => {
    const { res, text } = await get(open, '/status?part=main');
    expect(res.status).toBe(200);
    expect(text).not.toContain('<html');
    expect(text).toContain('id="services"');
  });

  it('the incident page explains the incident; an unknown one is a 404 page', async () => {
    const { res, text } = await get(open, '/incidents/inc-web-1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(text.replace(/\s+/g, ' ')).toContain(
      'auth: http error ratio 25.7%, expected 0.4%–0.6%, from 06:58, a minute before routing.',
    );
    // No admin token configured here: no form, and the page says why.
    expect(text).not.toContain('id="feedback"');
    const missing = await get(open, '/incidents/nope%3Cscript%3E');
    expect(missing.res.status).toBe(404);
    expect(missing.res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(missing.text).toContain('nope&lt;script&gt;');
    expect(missing.text).not.toContain('nope<script>');
  });

  it('serves only its own assets', async () => {
    expect((await get(open, '/static/incident.js')).res.status).toBe(200);
    expect((await get(open, '/static/..%2Fpackage.json')).res.status).toBe(404);
    expect((await get(open, '/static/constructor')).res.status).toBe(404);
  });

  it('every answer, JSON too, says nosniff', async () => {
    for (const path of ['/api/v1/services', '/healthz', '/nope']) {
      const { res } = await get(open, path);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it('without public_status there is no public page; without a read token reads are open', async () => {
    expect((await get(open, '/status/public')).res.status).toBe(404);
    expect((await get(open, '/api/v1/services')).res.status).toBe(200);
  });
});
