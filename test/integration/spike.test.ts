/**
 * Real Redis, real HTTP: 2,000 normal points then a spike for one series raise its
 * aiops_anomaly_score above 0.9 on /metrics and yield exactly one anomaly event; a normal
 * series stays below 0.5.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobNames, QueueNames, type AnomalyEvent } from '../../src/queues/contract.js';
import type { RunningService } from '../../src/service/service.js';
import { startTestService } from '../helpers/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { normalSeries, toNdjson } from '../helpers/series.js';

const prefix = randomPrefix();
let service: RunningService;
let redis: Redis;

beforeAll(async () => {
  service = await startTestService(
    {
      services: { auth: { depends_on: [] }, storage: { depends_on: [] } },
      redis: { prefix },
      metrics: { export_top_n: 10 },
      // The foundation's pipeline test runs the EWMA detector: its z-score makes "2,000 normal
      // points stay quiet" deterministic. The default ensemble's noise behaviour (about one page
      // per 80k-150k samples of Gaussian noise) is measured by bench/false-alarms.ts (its gaussian row).
      detect: { detectors: { default: 'ewma' } },
    },
    'all',
  );
  redis = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  await service.close(5000);
  redis.disconnect();
  await deletePrefix(prefix);
});

const metricValue = (text: string, service: string): number | undefined => {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`aiops_anomaly_score{service="${service}"`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
};

describe('live pipeline on real Redis', () => {
  it('scores a spike above 0.9 on /metrics with one anomaly event; a normal series stays below 0.5', async () => {
    const t0 = Date.UTC(2026, 10, 25, 6, 0);
    const spiky = normalSeries({
      metric: 'login_failures',
      labels: { service: 'auth' },
      n: 2000,
      t0,
      stepMs: 1000,
      level: 30,
      sd: 3,
      seed: 11,
    });
    spiky.push({
      ts: t0 + 2000 * 1000,
      metric: 'login_failures',
      labels: { service: 'auth' },
      value: 412,
    });
    const calm = normalSeries({
      metric: 'request_rate',
      labels: { service: 'storage' },
      n: 2001,
      t0,
      stepMs: 1000,
      level: 900,
      sd: 25,
      seed: 12,
    });

    for (const chunk of [
      spiky.slice(0, 1000),
      calm.slice(0, 1000),
      spiky.slice(1000),
      calm.slice(1000),
    ]) {
      const res = await fetch(`${service.url}/api/v1/samples`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: toNdjson(chunk),
      });
      expect(res.status).toBe(202);
    }
    await waitFor(
      'all samples scored',
      async () => Number(await redis.hget(`${prefix}:detect:stats`, 'taken')) === 4002,
    );

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    // Past its warm-up, the series no longer reports itself as learning.
    const learning = metrics
      .split('\n')
      .find((l) => l.startsWith('aiops_series_learning{service="auth"'));
    expect(learning?.endsWith(' 0')).toBe(true);
    expect(metricValue(metrics, 'auth')).toBeGreaterThan(0.9);
    expect(metricValue(metrics, 'storage')).toBeLessThan(0.5);
    expect(metrics).toMatch(/aiops_samples_received_total\{kind="metric"\} 4002/);

    const anomalies = new Queue(QueueNames.anomalies, { connection: redis, prefix });
    // The queue also carries the correlator's tick jobs: count the anomaly jobs only.
    const anomalyJobs = async () =>
      (await anomalies.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed'])).filter(
        (j) => j.name === JobNames.Anomaly,
      );
    await waitFor('anomaly consumed', async () =>
      (await anomalyJobs()).some((j) => j.finishedOn !== undefined),
    );
    const events = (await anomalyJobs()).map((j) => j.data as AnomalyEvent);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      service: 'auth',
      signal: 'login_failures',
      value: 412,
      ts: t0 + 2_000_000,
    });
    await anomalies.close();
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', workers: 'ok' } });
  });
});
