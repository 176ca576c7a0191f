/**
 * Real Redis, real HTTP: log lines of auth and storage go through ingest into the log partition
 * queues. After the learning period, a new error template surging on auth yields a log anomaly
 * event for auth within two buckets of the surge; storage's steady known templates yield none.
 * Template counts show on /metrics, and a redelivered log job is not counted twice.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JobNames,
  QueueNames,
  type AnomalyEvent,
  type LogRecord,
} from '../../src/queues/contract.js';
import type { RunningService } from '../../src/service/service.js';
import { startTestService } from '../helpers/service.js';
import { SURGE_TEMPLATE, authLogs } from '../helpers/auth-logs.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';

const prefix = randomPrefix();
const BUCKET_MS = 60_000;
let service: RunningService;
let redis: Redis;

beforeAll(async () => {
  service = await startTestService(
    {
      services: { auth: {}, storage: {} },
      redis: { prefix },
      queues: { partitions: 4 },
      logs: { bucket_ms: BUCKET_MS, learning_ms: 2 * 3_600_000 },
    },
    // No correlator: the anomaly events stay on their queue for the test to read.
    'ingest,logs',
  );
  redis = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  await service.close(5000);
  redis.disconnect();
  await deletePrefix(prefix);
});

const ndjson = (records: readonly LogRecord[]): string =>
  records.map((r) => JSON.stringify({ ...r, labels: undefined })).join('\n');

const linesTotal = (metrics: string): number =>
  metrics
    .split('\n')
    .filter((l) => l.startsWith('aiops_log_lines_total{'))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);

describe('log anomalies on real Redis', () => {
  it('a new error template surging on auth is a log anomaly within 2 buckets; steady storage logs give none', async () => {
    const t0 = Date.UTC(2026, 10, 25, 0, 0);
    const surgeAt = 3 * 60;
    const auth = authLogs({ t0, minutes: surgeAt + 6, seed: 21, surgeAt, surgePerMinute: 30 });
    const storage = authLogs({ t0, minutes: surgeAt + 6, seed: 22, service: 'storage' });
    const all = [...auth, ...storage].sort((a, b) => a.ts - b.ts);
    for (let i = 0; i < all.length; i += 2000) {
      const res = await fetch(`${service.url}/api/v1/samples`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: ndjson(all.slice(i, i + 2000)),
      });
      expect(res.status).toBe(202);
    }
    await waitFor(
      'all log lines analysed',
      async () => linesTotal(await (await fetch(`${service.url}/metrics`)).text()) === all.length,
      60_000,
    );

    const anomalies = new Queue(QueueNames.anomalies, { connection: redis, prefix });
    const events = (await anomalies.getJobs(['waiting', 'delayed', 'completed', 'active']))
      .filter((j) => j.name === JobNames.Anomaly)
      .map((j) => j.data as AnomalyEvent)
      .sort((a, b) => a.ts - b.ts);
    await anomalies.close();

    const surgeTs = t0 + surgeAt * 60_000;
    const forAuth = events.filter((e) => e.service === 'auth');
    expect(forAuth.length).toBeGreaterThan(0);
    expect(forAuth[0]).toMatchObject({
      kind: 'log',
      service: 'auth',
      level: 'error',
      template: SURGE_TEMPLATE,
    });
    expect(forAuth[0]?.ts).toBeGreaterThanOrEqual(surgeTs);
    expect(forAuth[0]?.ts).toBeLessThanOrEqual(surgeTs + 2 * BUCKET_MS);
    expect(forAuth[0]?.examples?.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.service === 'storage')).toEqual([]);

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const active = (svc: string): number =>
      Number(
        metrics
          .split('\n')
          .find((l) => l.startsWith(`aiops_log_templates_active{service="${svc}"}`))
          ?.split(' ')
          .pop(),
      );
    expect(active('auth')).toBe(4);
    expect(active('storage')).toBe(3);
    expect(metrics).toMatch(/aiops_log_lines_total\{service="auth",level="error"\} \d+/);
    // Log series share the score board with metrics: auth's error ratio reads anomalous.
    const ratio = metrics
      .split('\n')
      .find((l) => l.startsWith('aiops_anomaly_score{service="auth",metric="log_error_ratio"'));
    expect(Number(ratio?.split(' ').pop())).toBeGreaterThanOrEqual(0.9);
    expect(metrics).toMatch(/aiops_anomalies_total\{service="auth"\} [1-9]/);
    expect(metrics).not.toMatch(/aiops_anomalies_total\{service="storage"\}/);
  });

  it('skips a log job that already committed (a redelivery) instead of counting it twice', async () => {
    const queue = new Queue(QueueNames.logs(0), { connection: redis, prefix });
    const batch = {
      v: 1,
      queuedAt: Date.now(),
      records: [
        {
          ts: Date.UTC(2026, 10, 26),
          service: 'replayed',
          level: 'info',
          message: 'hello 1',
          labels: {},
        },
      ],
    };
    const first = await queue.add(JobNames.LogBatch, batch, { jobId: 'redelivered-1' });
    await waitFor('first run', async () => await first.isCompleted());
    const state = await redis.hgetBuffer(`${prefix}:logs:state:0`, 'replayed');
    // The same job id again (BullMQ would redeliver a stalled job under its id).
    await queue.remove('redelivered-1');
    const again = await queue.add(JobNames.LogBatch, batch, { jobId: 'redelivered-1' });
    await waitFor('second run', async () => await again.isCompleted());
    const result = (await queue.getJob('redelivered-1'))?.returnvalue as { skipped?: string };
    expect(result.skipped).toBe('already done');
    expect(await redis.hgetBuffer(`${prefix}:logs:state:0`, 'replayed')).toEqual(state);
    await queue.close();
  });
});
