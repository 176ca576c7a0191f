/**
 * Real Redis, real HTTP: OTLP/HTTP metrics and logs reach the detect and log stages; a mixed
 * batch answers 200 with partialSuccess and keeps its valid points.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpTypes } from '../../src/ingest/otlp/proto.js';
import type { RunningService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, waitFor } from '../helpers/redis.js';
import { startTestService } from '../helpers/service.js';

const prefix = randomPrefix();
let service: RunningService;

beforeAll(async () => {
  service = await startTestService(
    {
      services: { auth: {}, routing: { depends_on: ['auth'] } },
      redis: { prefix },
      detect: { detectors: { default: 'ewma' } },
    },
    'ingest,detect,logs',
  );
});

afterAll(async () => {
  await service.close(5000);
  await deletePrefix(prefix);
});

const T0 = Date.UTC(2026, 10, 25, 6, 0);
const ns = (ms: number): string => `${ms}000000`;
const resource = (service: string) => ({
  attributes: [{ key: 'service.name', value: { stringValue: service } }],
});

const metricsText = async (): Promise<string> => (await fetch(`${service.url}/metrics`)).text();
const scored = (text: string, metric: string): boolean =>
  text
    .split('\n')
    .some((l) => l.startsWith('aiops_anomaly_score{') && l.includes(`metric="${metric}"`));

describe('OTLP/HTTP through the real service', () => {
  it('queues and scores gauges, counters and histogram series from OTLP JSON (gzip)', async () => {
    const minutes = Array.from({ length: 30 }, (_, i) => T0 + i * 60_000);
    const body = {
      resourceMetrics: [
        {
          resource: resource('auth'),
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'login.failures',
                  gauge: {
                    dataPoints: minutes.map((t, i) => ({
                      timeUnixNano: ns(t),
                      asInt: String(20 + (i % 3)),
                    })),
                  },
                },
                {
                  name: 'http.requests',
                  sum: {
                    isMonotonic: true,
                    aggregationTemporality: 2,
                    dataPoints: minutes.map((t, i) => ({
                      startTimeUnixNano: ns(T0 - 60_000),
                      timeUnixNano: ns(t),
                      asDouble: 100 * (i + 1),
                      attributes: [{ key: 'http.route', value: { stringValue: '/login' } }],
                    })),
                  },
                },
                {
                  name: 'login.latency',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: minutes.map((t, i) => ({
                      startTimeUnixNano: ns(T0 - 60_000),
                      timeUnixNano: ns(t),
                      count: String(60 * (i + 1)),
                      explicitBounds: [0.1, 0.5],
                      bucketCounts: [String(50 * (i + 1)), String(10 * (i + 1)), '0'],
                    })),
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`${service.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(body)),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    await waitFor('every OTLP series scored', async () => {
      const text = await metricsText();
      return [
        'login_failures',
        'http_requests_total',
        'login_latency_rate',
        'login_latency_p99',
      ].every((m) => scored(text, m));
    });
    // 30 gauge + 30 counter + 30 × (rate + p99).
    expect(await metricsText()).toMatch(/aiops_samples_received_total\{kind="metric"\} 120/);
  });

  it('a mixed batch: 200 + partialSuccess, the valid points kept', async () => {
    const before = await metricsText();
    const received = (t: string) =>
      Number(/aiops_samples_received_total\{kind="metric"\} (\d+)/.exec(t)?.[1] ?? 0);
    const res = await fetch(`${service.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceMetrics: [
          {
            resource: resource('routing'),
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'upstream.errors',
                    gauge: {
                      dataPoints: [
                        { timeUnixNano: ns(T0), asDouble: 1 },
                        { timeUnixNano: ns(T0 + 60_000), asDouble: 'NaN' },
                        { timeUnixNano: ns(T0 + 120_000) },
                      ],
                    },
                  },
                  {
                    name: 'gc.pause',
                    summary: {
                      dataPoints: [
                        { timeUnixNano: ns(T0), quantileValues: [{ quantile: 0.5, value: 1 }] },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      partialSuccess: { rejectedDataPoints: string; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedDataPoints).toBe('3');
    expect(body.partialSuccess.errorMessage).toMatch(/summary_without_p99: 1/);
    const after = await metricsText();
    expect(received(after) - received(before)).toBe(1);
    expect(after).toMatch(/aiops_ingest_rejected_total\{reason="summary_without_p99"\} 1/);
  });

  it('logs in protobuf reach the log stage with their level', async () => {
    const request = OtlpTypes.logsRequest.fromObject({
      resourceLogs: [
        {
          resource: resource('auth'),
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: ns(T0),
                  severityNumber: 17,
                  body: { stringValue: 'token invalid for t-1' },
                },
                {
                  timeUnixNano: ns(T0 + 1000),
                  severityText: 'INFO',
                  body: { stringValue: 'login ok' },
                },
                {
                  observedTimeUnixNano: ns(T0 + 2000),
                  severityNumber: 13,
                  body: { stringValue: 'slow' },
                },
              ],
            },
          ],
        },
      ],
    });
    const res = await fetch(`${service.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: OtlpTypes.logsRequest.encode(request).finish(),
    });
    expect(res.status).toBe(200);
    expect(
      OtlpTypes.logsResponse.toObject(
        OtlpTypes.logsResponse.decode(new Uint8Array(await res.arrayBuffer())),
      ),
    ).toEqual({});
    await waitFor('lines counted', async () => {
      const text = await metricsText();
      return ['error', 'info', 'warn'].every((level) =>
        text.includes(`aiops_log_lines_total{service="auth",level="${level}"} 1`),
      );
    });
  });
});
