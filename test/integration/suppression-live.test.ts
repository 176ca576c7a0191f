/**
 * The live detect stage honours suppressions (issue 20): with auth's `login_failures`
 * suppressed, a spike on it is scored (above 0.9 on /metrics) but emits no anomaly event and
 * is counted in `aiops_anomalies_suppressed_total`; the same spike on storage, not suppressed,
 * still emits its event.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SuppressionStore } from '../../src/detect/suppression-store.js';
import { JobNames, QueueNames, type AnomalyEvent } from '../../src/queues/contract.js';
import type { RunningService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { normalSeries, toNdjson } from '../helpers/series.js';
import { startTestService } from '../helpers/service.js';

const prefix = randomPrefix();
let service: RunningService;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL);
  // In Redis before the stage starts: its first read takes it (later ones every few seconds).
  await new SuppressionStore(redis, prefix).add({
    id: 'sup-login',
    service: 'auth',
    pattern: 'login_*',
    created_at: Date.now(),
    expires_at: null,
    created_by: 'test',
    note: 'a noisy probe',
    incident: null,
  });
  service = await startTestService(
    {
      services: { auth: { depends_on: [] }, storage: { depends_on: [] } },
      redis: { prefix },
      metrics: { export_top_n: 10 },
      // EWMA, as the spike test: its quiet stretch is deterministic.
      detect: { detectors: { default: 'ewma' } },
    },
    'ingest,detect',
  );
});

afterAll(async () => {
  await service.close(5000);
  redis.disconnect();
  await deletePrefix(prefix);
});

const score = (text: string, svc: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`aiops_anomaly_score{service="${svc}"`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
};

describe('suppressions in the live detect stage', () => {
  it('a suppressed spike is scored and shown, but emits no anomaly; another still does', async () => {
    const t0 = Date.UTC(2026, 10, 25, 6, 0);
    const spiky = (svc: string, seed: number) => {
      const s = normalSeries({
        metric: 'login_failures',
        labels: { service: svc },
        n: 1000,
        t0,
        stepMs: 1000,
        level: 30,
        sd: 3,
        seed,
      });
      s.push({
        ts: t0 + 1000 * 1000,
        metric: 'login_failures',
        labels: { service: svc },
        value: 412,
      });
      return s;
    };
    const records = [...spiky('auth', 11), ...spiky('storage', 12)];
    const res = await fetch(`${service.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: toNdjson(records),
    });
    expect(res.status).toBe(202);
    await waitFor(
      'all samples scored',
      async () => Number(await redis.hget(`${prefix}:detect:stats`, 'taken')) === 2002,
    );

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(score(metrics, 'auth')).toBeGreaterThan(0.9);
    expect(score(metrics, 'storage')).toBeGreaterThan(0.9);
    expect(metrics).toMatch(/^aiops_anomalies_suppressed_total\{service="auth"\} 1$/m);
    expect(metrics).not.toMatch(/^aiops_anomalies_suppressed_total\{service="storage"\}/m);
    expect(metrics).toMatch(/^aiops_anomalies_total\{service="storage"\} 1$/m);
    expect(metrics).not.toMatch(/^aiops_anomalies_total\{service="auth"\}/m);

    const anomalies = new Queue(QueueNames.anomalies, { connection: redis, prefix });
    const jobs = (
      await anomalies.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed'])
    ).filter((j) => j.name === JobNames.Anomaly);
    await anomalies.close();
    expect(jobs.map((j) => (j.data as AnomalyEvent).service)).toEqual(['storage']);
  });
});
