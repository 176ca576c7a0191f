/**
 * Ingest as one fastify plugin: its guard, parsers and refusal counting hold for its own routes
 * only. The API's routes on the same server are neither asked for an ingest token nor counted
 * as ingest refusals, and every route answers errors in the one format.
 */
import { describe, expect, it } from 'vitest';
import { ingestApp } from '../helpers/ingest-app.js';

const TOKEN = 'a-token-of-sixteen-chars';

async function build() {
  const { app, jobs, refusals } = await ingestApp({
    bodyLimit: 64 * 1024,
    tokens: [{ name: 'sender', token: TOKEN }],
  });
  // A route of another stage, registered beside the plugin.
  app.post('/api/v1/other', () => ({ ok: true }));
  app.get('/api/v1/other', () => ({ ok: true }));
  return { app, jobs, refusals };
}

const record = JSON.stringify({
  ts: 1_700_000_000_000,
  metric: 'm',
  labels: { service: 'auth' },
  value: 1,
});

describe('the ingest plugin', () => {
  it('guards and counts its own routes', async () => {
    const { app, jobs, refusals } = await build();
    const denied = await app.inject({
      method: 'POST',
      url: '/api/v1/samples',
      payload: record,
      headers: { 'content-type': 'application/json' },
    });
    expect(denied.statusCode).toBe(401);
    expect(denied.json()).toMatchObject({
      code: 'AIOPS_ERR_INGEST_UNAUTHORIZED',
      docs: 'docs/errors.md#aiops_err_ingest_unauthorized',
    });
    expect(await refusals()).toBe(1);
    const taken = await app.inject({
      method: 'POST',
      url: '/api/v1/samples',
      payload: record,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    });
    expect(taken.statusCode).toBe(202);
    expect(jobs).toHaveLength(1);
  });

  it('names what each route takes in its 415, and counts it', async () => {
    const { app, refusals } = await build();
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' };
    const write = await app.inject({
      method: 'POST',
      url: '/api/v1/write',
      payload: 'x',
      headers: auth,
    });
    expect(write.statusCode).toBe(415);
    expect(write.json<{ message: string }>().message).toContain('application/x-protobuf');
    const samples = await app.inject({
      method: 'POST',
      url: '/api/v1/samples',
      payload: 'x',
      headers: auth,
    });
    expect(samples.statusCode).toBe(415);
    expect(samples.json<{ message: string }>().message).toContain('application/x-ndjson');
    expect(await refusals()).toBe(2);
  });

  it('leaves other routes alone: no ingest token asked, no protobuf parser, nothing counted', async () => {
    const { app, refusals } = await build();
    expect((await app.inject({ method: 'GET', url: '/api/v1/other' })).statusCode).toBe(200);
    const proto = await app.inject({
      method: 'POST',
      url: '/api/v1/other',
      payload: Buffer.from([1, 2, 3]),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    expect(proto.statusCode).toBe(415);
    expect(proto.json()).toMatchObject({ code: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE' });
    expect(proto.json<{ message: string }>().message).toContain('application/json, or no body');
    expect(await refusals()).toBe(0);
  });
});
