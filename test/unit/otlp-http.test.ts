/**
 * OTLP/HTTP answers through fastify's inject(), with stand-in queues: export responses and
 * partialSuccess in the request's encoding, google.rpc.Status for 400/413/415/503, and the
 * rejections counted in aiops_ingest_rejected_total.
 */
import { gzipSync } from 'node:zlib';
import type { Queue } from 'bullmq';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.js';
import { registerIngestErrorHandler } from '../../src/ingest/ingest-errors.js';
import { IngestWriter } from '../../src/ingest/ingest-writer.js';
import { registerOtlpRoutes } from '../../src/ingest/otlp/route.js';
import { OtlpTypes } from '../../src/ingest/otlp/proto.js';
import type { CompactSampleBatch, LogBatch } from '../../src/queues/contract.js';
import { sampleBatchOf } from '../../src/detect/validate-batch.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { resolveTokens, type TokenConfig } from '../../src/ingest/bearer-auth.js';
import { registerIngestGuard } from '../../src/ingest/ingest-guard.js';
import { SeriesLimiter } from '../../src/ingest/series-limiter.js';
import { sdkLogger, sdkMeter } from '../helpers/otlp-sdk.js';

function build(
  opts: {
    maxActive?: number;
    tokens?: TokenConfig[];
    overloaded?: boolean;
    maxDecompressedBytes?: number;
    maxRecords?: number;
  } = {},
) {
  const state = { down: false, samples: [] as CompactSampleBatch[], logs: [] as LogBatch[] };
  const queue = (into: unknown[]) =>
    ({
      add: (_name: string, data: unknown) => {
        if (state.down) return Promise.reject(new Error("Stream isn't writeable"));
        into.push(data);
        return Promise.resolve({});
      },
    }) as unknown as Queue;
  const log = pino({ level: 'silent' });
  const metrics = createMetrics('test');
  const app = createHttpServer({
    bodyLimit: 64 * 1024,
    log,
  });
  registerIngestErrorHandler(app, metrics.samplesRejected);
  registerIngestGuard(app, {
    auth: resolveTokens(opts.tokens ?? []),
    backlogs: opts.overloaded
      ? { metrics: { overloaded: true, reason: 'queues past their mark', retryAfterSeconds: 7 } }
      : {},
  });
  const writer = new IngestWriter({
    samplesQueues: [queue(state.samples)],
    logsQueues: [queue(state.logs)],
    maxItems: 1000,
    lingerMs: 1,
    writeTimeoutMs: 1000,
  });
  const limits = {
    serviceLabels: ['service'],
    maxLabels: 30,
    maxLabelNameLength: 128,
    maxLabelValueLength: 1024,
  };
  const series = new SeriesLimiter({
    maxActive: opts.maxActive ?? 1000,
    maxActivePerService: 1000,
    maxNewPerMinute: 1000,
    idleMs: 60_000,
  });
  registerOtlpRoutes(app, {
    writer,
    limits,
    metrics,
    log,
    series,
    maxDecompressedBytes: opts.maxDecompressedBytes ?? 128 * 1024,
    maxRecords: opts.maxRecords ?? 1000,
  });
  const rejected = async (reason: string): Promise<number> => {
    const counter = metrics.registry.getSingleMetric('aiops_ingest_rejected_total');
    const values = counter ? (await counter.get()).values : [];
    return values.find((v) => v.labels.reason === reason)?.value ?? 0;
  };
  return { app, state, rejected, metrics };
}

const PROTO = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };
const T = '1795000000000000000';

const gaugeJson = (values: unknown[]) =>
  JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'auth' } }] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'cpu',
                gauge: { dataPoints: values.map((v) => ({ timeUnixNano: T, asDouble: v })) },
              },
            ],
          },
        ],
      },
    ],
  });

describe('OTLP/HTTP answers', () => {
  it('200 with an empty export response in the request encoding; samples and logs queued', async () => {
    const { app, state } = build();
    const { meter, collect } = sdkMeter('auth');
    meter.createGauge('cpu').record(0.5);
    const bodies = await collect();
    const proto = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: PROTO,
      payload: Buffer.from(bodies.proto),
    });
    expect(proto.statusCode).toBe(200);
    expect(proto.headers['content-type']).toBe('application/x-protobuf');
    expect(
      OtlpTypes.metricsResponse.toObject(OtlpTypes.metricsResponse.decode(proto.rawPayload)),
    ).toEqual({});
    const json = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
      payload: gzipSync(bodies.json),
    });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual({});
    expect(state.samples.flatMap((b) => b.val)).toEqual([0.5, 0.5]);

    const { logger, collect: collectLogs } = sdkLogger('auth');
    logger.emit({ body: 'hello' });
    const logs = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: PROTO,
      payload: Buffer.from(collectLogs().proto),
    });
    expect(logs.statusCode).toBe(200);
    expect(state.logs.flatMap((b) => b.records.map((r) => r.message))).toEqual(['hello']);
  });

  it('a mixed batch: 200 with partialSuccess (JSON and protobuf), the rest kept, reasons counted', async () => {
    const { app, state, rejected, metrics } = build();
    const json = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: JSON_TYPE,
      payload: gaugeJson([1, 'NaN', 2]),
    });
    expect(json.statusCode).toBe(200);
    const body = json.json<{
      partialSuccess: { rejectedDataPoints: string; errorMessage: string };
    }>();
    expect(body.partialSuccess.rejectedDataPoints).toBe('1');
    expect(body.partialSuccess.errorMessage).toMatch(/nan_value: 1.*2 accepted/);
    expect(state.samples.flatMap((b) => b.val)).toEqual([1, 2]);
    expect(await rejected('nan_value')).toBe(1);
    // The rejection log's summary has an example per reason.
    expect(metrics.samplesRejected.takePending().examples.nan_value).toMatch(/the value is NaN/);

    const req = OtlpTypes.logsRequest.fromObject({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'no service' } }] }] }],
    });
    const proto = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: PROTO,
      payload: Buffer.from(OtlpTypes.logsRequest.encode(req).finish()),
    });
    expect(proto.statusCode).toBe(200);
    const decoded = OtlpTypes.logsResponse.toObject(
      OtlpTypes.logsResponse.decode(proto.rawPayload),
      { longs: Number },
    );
    expect(decoded).toMatchObject({ partialSuccess: { rejectedLogRecords: 1 } });
    expect(await rejected('missing_service')).toBe(1);
  });

  it('400 with a google.rpc.Status in the request encoding for a body that does not decode', async () => {
    const { app, rejected } = build();
    const json = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: JSON_TYPE,
      payload: '{"resourceMetrics": [',
    });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toMatchObject({
      code: 3,
      message: expect.stringMatching(/INVALID_JSON/) as unknown,
    });
    const proto = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: PROTO,
      payload: Buffer.from([0x0a, 0xff, 0xff, 0x01]),
    });
    expect(proto.statusCode).toBe(400);
    expect(OtlpTypes.status.toObject(OtlpTypes.status.decode(proto.rawPayload))).toMatchObject({
      code: 3,
      message: expect.stringMatching(/MALFORMED_BODY/) as unknown,
    });
    const shape = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: JSON_TYPE,
      payload: '{"resourceLogs": 5}',
    });
    expect(shape.statusCode).toBe(400);
    expect(await rejected('invalid_json')).toBe(1);
    expect(await rejected('malformed_body')).toBe(1);
    expect(await rejected('invalid_record')).toBe(1);
  });

  it('413 past the body limit or the inflate limit; 415 for another type or encoding', async () => {
    const { app, rejected } = build();
    const big = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: PROTO,
      payload: Buffer.alloc(70 * 1024),
    });
    expect(big.statusCode).toBe(413);
    expect(OtlpTypes.status.toObject(OtlpTypes.status.decode(big.rawPayload))).toMatchObject({
      code: 8,
    });
    const bomb = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: { ...PROTO, 'content-encoding': 'gzip' },
      payload: gzipSync(Buffer.alloc(1024 * 1024)),
    });
    expect(bomb.statusCode).toBe(413);
    const type = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect(type.statusCode).toBe(415);
    expect(type.json()).toMatchObject({ code: 3 });
    const enc = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: { ...JSON_TYPE, 'content-encoding': 'br' },
      payload: '{}',
    });
    expect(enc.statusCode).toBe(415);
    expect(await rejected('body_too_large')).toBe(2);
    expect(await rejected('unsupported_media_type')).toBe(2);
  });

  it('a tiny gzip body of millions of zero buckets: 413 before it is decoded, quickly, memory bounded', async () => {
    const { app, state, rejected } = build({ maxDecompressedBytes: 64 * 1024 * 1024 });
    const zeros = (n: number) => ({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'auth' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'h',
                  exponentialHistogram: {
                    aggregationTemporality: 2,
                    dataPoints: [{ timeUnixNano: T, positive: { bucketCounts: Array(n).fill(0) } }],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const bomb = OtlpTypes.metricsRequest.encode(zeros(4_000_000)).finish();
    const payload = gzipSync(bomb);
    expect(payload.length).toBeLessThan(64 * 1024); // well under the body limit
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: { ...PROTO, 'content-encoding': 'gzip' },
      payload,
    });
    const ms = performance.now() - started;
    expect(res.statusCode).toBe(413);
    expect(OtlpTypes.status.decode(res.rawPayload).toJSON().message).toMatch(/values/);
    // Decoding it took ~290 MB of heap and ~1.7 s; the census walks the bytes without objects.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(ms).toBeLessThan(1000);
    expect(await rejected('too_many_records')).toBe(1);
    expect(state.samples).toEqual([]);
  });

  it('413 past ingest.max_records_per_request data points or log records (JSON too)', async () => {
    const { app, state, rejected } = build({ maxRecords: 3 });
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: JSON_TYPE,
      payload: gaugeJson([1, 2, 3]),
    });
    expect(ok.statusCode).toBe(200);
    const over = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: JSON_TYPE,
      payload: gaugeJson([1, 2, 3, 4]),
    });
    expect(over.statusCode).toBe(413);
    expect(over.json<{ message: string }>().message).toMatch(/max_records_per_request/);
    const { logger, collect } = sdkLogger('auth');
    for (let i = 0; i < 4; i++) logger.emit({ body: `line ${i}` });
    const logs = await app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: PROTO,
      payload: Buffer.from(collect().proto),
    });
    expect(logs.statusCode).toBe(413);
    expect(await rejected('too_many_records')).toBe(2);
    expect(state.samples.flatMap((b) => b.val)).toEqual([1, 2, 3]);
    expect(state.logs).toEqual([]);
  });

  it('503 + Retry-After + Status when the queue cannot take the samples', async () => {
    const { app, state } = build();
    state.down = true;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: JSON_TYPE,
      payload: gaugeJson([1]),
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ code: 14 });
  });

  it('a cumulative histogram export retried after a 503 gives its interval once the queue is back', async () => {
    const { app, state } = build();
    const hist = (ms: number, counts: string[]) =>
      JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'auth' } }] },
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'lat',
                    histogram: {
                      aggregationTemporality: 2,
                      dataPoints: [
                        {
                          timeUnixNano: `${ms}000000`,
                          count: String(counts.reduce((a, c) => a + Number(c), 0)),
                          explicitBounds: [1, 2],
                          bucketCounts: counts,
                        },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      });
    const post = (payload: string) =>
      app.inject({ method: 'POST', url: '/v1/metrics', headers: JSON_TYPE, payload });
    const T0 = 1_795_000_000_000;
    expect((await post(hist(T0, ['10', '0', '0']))).statusCode).toBe(200); // primes the window
    state.down = true;
    expect((await post(hist(T0 + 10_000, ['10', '50', '0']))).statusCode).toBe(503);
    state.down = false;
    expect((await post(hist(T0 + 10_000, ['10', '50', '0']))).statusCode).toBe(200);
    // Read as the detect stage reads the queue's payloads.
    const samples = state.samples.flatMap((raw) => {
      const b = sampleBatchOf(raw);
      return b ? b.idx.map((s, i) => [b.series[s]?.metric, b.val[i]] as const) : [];
    });
    // 50 observations over 10 s, all in (1, 2].
    expect(samples.filter(([m]) => m === 'lat_rate')).toEqual([['lat_rate', 5]]);
    expect(samples.filter(([m]) => m === 'lat_p99')).toHaveLength(1);
  });

  it('series refused by a series limit are rejected data points in partialSuccess, counted once', async () => {
    const { app, state, rejected } = build({ maxActive: 1 });
    const body = JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'auth' } }] },
          scopeMetrics: [
            {
              metrics: ['cpu', 'mem'].map((name) => ({
                name,
                gauge: { dataPoints: [{ timeUnixNano: T, asDouble: 1 }] },
              })),
            },
          ],
        },
      ],
    });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: JSON_TYPE,
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    const partial = res.json<{
      partialSuccess: { rejectedDataPoints: string; errorMessage: string };
    }>().partialSuccess;
    expect(partial.rejectedDataPoints).toBe('1');
    expect(partial.errorMessage).toMatch(/series_limit: 1/);
    expect(state.samples.flatMap((b) => b.val)).toEqual([1]);
    expect(await rejected('series_limit')).toBe(1);
  });

  it('partialSuccess counts the data points the series limits refused, not their samples', async () => {
    const { app, rejected } = build({ maxActive: 1 });
    const body = JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'auth' } }] },
          scopeMetrics: [
            {
              metrics: [
                { name: 'cpu', gauge: { dataPoints: [{ timeUnixNano: T, asDouble: 1 }] } },
                {
                  name: 'lat',
                  histogram: {
                    aggregationTemporality: 1,
                    dataPoints: [
                      {
                        startTimeUnixNano: '1794999990000000000',
                        timeUnixNano: T,
                        explicitBounds: [1],
                        bucketCounts: ['3', '1'],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: JSON_TYPE,
      payload: body,
    });
    const partial = res.json<{
      partialSuccess: { rejectedDataPoints: string; errorMessage: string };
    }>().partialSuccess;
    // The histogram point's two samples (rate and p99) are one rejected data point.
    expect(partial.rejectedDataPoints).toBe('1');
    expect(partial.errorMessage).toMatch(/; 1 accepted;/);
    expect(await rejected('series_limit')).toBe(2); // the counter counts samples
  });

  it('the ingest guard answers OTLP senders with a google.rpc.Status: 401 without a token, 429 + Retry-After when overloaded', async () => {
    const secured = build({ tokens: [{ name: 'collector', token: 'collector-token-0123456789' }] });
    const none = await secured.app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: PROTO,
      payload: Buffer.alloc(0),
    });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="aiops-worker"');
    const status = OtlpTypes.status.toObject(OtlpTypes.status.decode(none.rawPayload)) as {
      code: number;
      message: string;
    };
    expect(status.code).toBe(16);
    expect(status.message).toMatch(/^AIOPS_ERR_INGEST_UNAUTHORIZED/);
    expect(await secured.rejected('unauthorized')).toBe(1);

    const busy = build({ overloaded: true });
    const res = await busy.app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: JSON_TYPE,
      payload: '{}',
    });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json<{ code: number }>().code).toBe(8);
    expect(await busy.rejected('backlog')).toBe(1);
    // Logs feed other queues: not held back by the metric backlog.
    const logs = await busy.app.inject({
      method: 'POST',
      url: '/v1/logs',
      headers: JSON_TYPE,
      payload: '{}',
    });
    expect(logs.statusCode).toBe(200);
  });

  it('random bodies never get a 5xx', { timeout: 60_000 }, async () => {
    const { app } = build();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/metrics', '/v1/logs'),
        fc.constantFrom(PROTO, JSON_TYPE),
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.json().map((s) => Buffer.from(s)),
        ),
        async (url, headers, payload) => {
          const res = await app.inject({
            method: 'POST',
            url,
            headers,
            payload: Buffer.from(payload),
          });
          expect(res.statusCode).toBeLessThan(500);
        },
      ),
      { numRuns: 500 },
    );
  });
});
