/**
 * Ingest as one fastify plugin: its guard, parsers and refusal counting hold for its own routes
 * only. The API's routes on the same server are neither asked for an ingest token nor counted
 * as ingest refusals, and every route answers errors in the one format.
 */
import type { Queue } from 'bullmq';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.js';
import { resolveTokens } from '../../src/ingest/bearer-auth.js';
import { ingestPlugin } from '../../src/ingest/ingest-plugin.js';
import { IngestWriter } from '../../src/ingest/ingest-writer.js';
import { SeriesLimiter } from '../../src/ingest/series-limiter.js';
import { createMetrics } from '../../src/telemetry/metrics.js';

const TOKEN = 'a-token-of-sixteen-chars';

async function build() {
  const log = pino({ level: 'silent' });
  const metrics = createMetrics('test');
  const jobs: unknown[] = [];
  const queue = {
    add: (_name: string, data: unknown) => {
      jobs.push(data);
      return Promise.resolve({});
    },
  } as unknown as Queue;
  const app = createHttpServer({ bodyLimit: 64 * 1024, log });
  await app.register(ingestPlugin, {
    writer: new IngestWriter({
      samplesQueues: [queue],
      logsQueues: [queue],
      maxItems: 1000,
      lingerMs: 1,
      writeTimeoutMs: 1000,
    }),
    limits: {
      serviceLabels: ['service'],
      maxLabels: 30,
      maxLabelNameLength: 128,
      maxLabelValueLength: 1024,
    },
    metrics,
    log,
    series: new SeriesLimiter({
      maxActive: 100,
      maxActivePerService: 100,
      maxNewPerMinute: 100,
      idleMs: 60_000,
    }),
    auth: resolveTokens([{ name: 'sender', token: TOKEN }]),
    backlogs: {},
    maxRecords: 1000,
    maxDecompressedBytes: 64 * 1024,
    rejections: metrics.samplesRejected,
  });
  // A route of another stage, registered beside the plugin.
  app.post('/api/v1/other', () => ({ ok: true }));
  app.get('/api/v1/other', () => ({ ok: true }));
  const refusals = async (): Promise<number> => {
    const counter = metrics.registry.getSingleMetric('aiops_ingest_rejected_total');
    const values = counter ? (await counter.get()).values : [];
    return values.reduce((n, v) => n + v.value, 0);
  };
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
