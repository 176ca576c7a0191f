/**
 * Real HTTP: with `ingest.auth` configured, every ingest endpoint (including Loki's, which
 * lives in its own plugin scope) asks for a bearer token; health and metrics do not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/service/service.js';
import { startTestService } from '../helpers/service.js';
import { deletePrefix, randomPrefix } from '../helpers/redis.js';

const prefix = randomPrefix();
let service: RunningService;
const ALL = 'all-endpoints-token-0123456789';
const LOKI_ONLY = 'loki-only-token-0123456789';

beforeAll(async () => {
  service = await startTestService(
    {
      services: { auth: {} },
      redis: { prefix },
      ingest: {
        auth: {
          tokens: [
            { name: 'ops', token: ALL },
            { name: 'promtail', token: LOKI_ONLY, sources: ['loki'] },
          ],
        },
      },
    },
    'ingest',
  );
});

afterAll(async () => {
  await service.close(5000);
  await deletePrefix(prefix);
});

const lokiBody = JSON.stringify({
  streams: [{ stream: { service_name: 'auth' }, values: [[`${Date.now()}000000`, 'login ok']] }],
});

const post = (path: string, token: string | undefined, body: string | Uint8Array, type: string) =>
  fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': type,
      ...(path === '/api/v1/write' ? { 'content-encoding': 'snappy' } : {}),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body,
  });

describe('ingest auth', () => {
  it('asks every ingest endpoint for a token, and lets a token limited to Loki send only there', async () => {
    const loki = (token?: string) => post('/loki/api/v1/push', token, lokiBody, 'application/json');
    const none = await loki();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="aiops-worker"');
    const wrong = await loki('not-the-token-0123456789');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await loki(LOKI_ONLY)).status).toBe(204);
    expect((await loki(ALL)).status).toBe(204);

    // An empty WriteRequest (snappy block of zero bytes): authorised, it decodes to nothing.
    const empty = new Uint8Array([0]);
    const rw = (token?: string) => post('/api/v1/write', token, empty, 'application/x-protobuf');
    expect((await rw()).status).toBe(401);
    expect((await rw(LOKI_ONLY)).status).toBe(403);
    expect((await rw(ALL)).status).toBe(204);

    const samples = await post('/api/v1/samples', undefined, '[]', 'application/json');
    expect(samples.status).toBe(401);

    expect((await fetch(`${service.url}/metrics`)).status).toBe(200);
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toMatch(/^aiops_ingest_rejected_total\{reason="unauthorized"\} 4$/m);
    expect(text).toMatch(/^aiops_ingest_rejected_total\{reason="forbidden"\} 1$/m);
  });
});
