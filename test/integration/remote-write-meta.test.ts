/**
 * Issue 17: a stock Prometheus remote-writes everything, its own ALERTS, up, scrape_* and the
 * worker's aiops_* included. Real Redis, real HTTP, a real remote_write body: the request is a
 * success (204), the service's series is scored, the meta-series and the series without a
 * service are counted under their reasons, and no warning is logged for them.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configIssues } from '../../src/service/config-checks.js';
import { parseRoles } from '../../src/service/roles.js';
import { startService, type RunningService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { remoteWriteBody, type TestSeries } from '../helpers/remote-write.js';

const prefix = randomPrefix();
let service: RunningService;
let redis: Redis;
const lines: { level: number; msg: string; component?: string; by_reason?: object }[] = [];

beforeAll(async () => {
  service = await startService({
    config: parseConfig(
      {
        services: { auth: {} },
        redis: { prefix },
        // As the shipped config/default.yaml: a scraped series' job names its service.
        ingest: { service_labels: ['service', 'job'], rejection_log_interval_ms: 1000 },
        detect: { detectors: { default: 'ewma' } },
      },
      { check: configIssues },
    ),
    log: pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as never) }),
    redisUrl: TEST_REDIS_URL,
    roles: parseRoles('ingest,detect'),
    version: 'test',
    port: 0,
    host: '127.0.0.1',
  });
  redis = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  await service.close(5000);
  redis.disconnect();
  await deletePrefix(prefix);
});

const post = (body: Uint8Array): Promise<Response> =>
  fetch(`${service.url}/api/v1/write`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': 'Prometheus/2.42.0',
    },
    body,
  });

const rejected = async (): Promise<Record<string, number>> => {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return Object.fromEntries(
    [...text.matchAll(/^aiops_ingest_rejected_total\{reason="(\w+)"\} (\d+)$/gm)].map((m) => [
      m[1] as string,
      Number(m[2]),
    ]),
  );
};

describe('remote_write of everything a stock Prometheus has', () => {
  it('answers 204, scores the service series, counts the rest by reason, warns only about the series without a service', async () => {
    const t0 = Date.now() - 200 * 15_000;
    const at = (i: number) => ({ value: 30 + (i % 5), timestamp: t0 + i * 15_000 });
    const one = (value = 1) => [{ value, timestamp: t0 }];
    const series: TestSeries[] = [
      // The service's own series: the only one scored.
      {
        labels: { __name__: 'login_failures', job: 'auth', instance: 'auth:8080' },
        samples: Array.from({ length: 200 }, (_, i) => at(i)),
      },
      // Prometheus' alert state: no job, no service.
      {
        labels: {
          __name__: 'ALERTS',
          alertname: 'AiopsIngestRejecting',
          alertstate: 'firing',
          reason: 'missing_service',
          severity: 'info',
        },
        samples: one(),
      },
      {
        labels: { __name__: 'ALERTS_FOR_STATE', alertname: 'AiopsIngestRejecting' },
        samples: one(t0 / 1000),
      },
      // Prometheus' scrape bookkeeping of every target, the worker's own included.
      { labels: { __name__: 'up', job: 'auth', instance: 'auth:8080' }, samples: one() },
      { labels: { __name__: 'up', job: 'aiops-worker', instance: 'w:9470' }, samples: one() },
      {
        labels: { __name__: 'scrape_duration_seconds', job: 'auth', instance: 'auth:8080' },
        samples: one(0.01),
      },
      // Prometheus' own metrics and the worker's, whatever service label they carry.
      {
        labels: { __name__: 'prometheus_tsdb_head_series', job: 'prometheus' },
        samples: one(1200),
      },
      { labels: { __name__: 'go_goroutines', job: 'prometheus' }, samples: one(40) },
      {
        labels: { __name__: 'aiops_series_learning', job: 'aiops-worker', service: 'prometheus' },
        samples: one(84),
      },
      {
        labels: { __name__: 'aiops_anomaly_score', job: 'aiops-worker', service: 'auth' },
        samples: one(0.4),
      },
      // A recording rule's aggregate: no job, no service. Not scored, still a success.
      { labels: { __name__: 'cluster:requests:rate5m' }, samples: one(12) },
    ];
    const res = await post(remoteWriteBody(series));
    expect(res.status).toBe(204);
    await waitFor(
      'the service series scored',
      async () => Number(await redis.hget(`${prefix}:detect:stats`, 'taken')) === 200,
    );
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/aiops_samples_received_total\{kind="metric"\} 200$/m);
    expect(await rejected()).toEqual({ meta_series: 9, missing_service: 1 });

    // Two rejection-log intervals pass: one info line says meta-series are dropped; the
    // series without a service is the only warning.
    await new Promise((r) => setTimeout(r, 2200));
    const ingest = lines.filter((l) => l.component === 'ingest');
    expect(ingest.filter((l) => l.msg.startsWith('ingest drops'))).toHaveLength(1);
    const warnings = ingest.filter((l) => l.level >= 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.by_reason).toEqual({ missing_service: 1 });

    // The same again a minute later: 204, counted, and nothing more in the log.
    const before = lines.length;
    const again = await post(
      remoteWriteBody(series.slice(1, -1).map((s) => ({ ...s, samples: one() }))),
    );
    expect(again.status).toBe(204);
    await new Promise((r) => setTimeout(r, 1200));
    expect(lines.slice(before).filter((l) => l.component === 'ingest')).toEqual([]);
    expect((await rejected()).meta_series).toBe(18);
  });

  it('refuses a remote_write body sent as JSON with where it belongs', async () => {
    const res = await fetch(`${service.url}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ ts: Date.now(), metric: 'm', labels: { job: 'auth' }, value: 1 }]),
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({
      code: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      message:
        'remote_write needs Content-Type application/x-protobuf, got "application/json"; JSON and NDJSON records go to POST /api/v1/samples',
    });
  });

  it('refuses a JSON record whose ts is in seconds, saying the unit', async () => {
    const res = await fetch(`${service.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: JSON.stringify({ ts: 1733550000, metric: 'm', labels: { job: 'auth' }, value: 1 }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      errors: [
        {
          at: 1,
          reason: 'invalid_timestamp',
          message:
            'ts 1733550000 looks like seconds; ts is milliseconds since the epoch (send 1733550000000)',
        },
      ],
    });
  });
});
