/**
 * `detect.history_keep_ms` on the real Redis, with ingest, detect and logs running: by default
 * a backfill batch spanning many minutes keeps a point for each minute it closed, for metric
 * and log series alike (the stages ask the scoring core for its step ends because they write
 * a history); with 0 nothing is written and the API answers each series' latest point alone.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { SeriesHistoryJson } from '../../src/api/status-model.js';
import type { LogRecord } from '../../src/queues/contract.js';
import type { RunningService } from '../../src/service/service.js';
import { authLogs } from '../helpers/auth-logs.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { startTestService } from '../helpers/service.js';
import { toNdjson } from '../helpers/series.js';

const redis = new Redis(TEST_REDIS_URL);
const prefixes: string[] = [];
const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 6, 6, 0);
const MINUTES = 10;
const KEY = 'queue_depth{service="billing"}';

afterAll(async () => {
  redis.disconnect();
  for (const p of prefixes) await deletePrefix(p);
});

const linesTotal = (metrics: string): number =>
  metrics
    .split('\n')
    .filter((l) => l.startsWith('aiops_log_lines_total{'))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);

/** Starts a worker, sends ten minutes of one metric series and of auth's logs in one request each. */
async function backfill(detect: object): Promise<{ service: RunningService; prefix: string }> {
  const prefix = randomPrefix();
  prefixes.push(prefix);
  const service = await startTestService(
    {
      redis: { prefix },
      queues: { partitions: 2 },
      detect: { detectors: { default: 'ewma' }, ...detect },
      logs: { bucket_ms: MIN },
    },
    'ingest,detect,logs',
  );
  const samples = Array.from({ length: MINUTES * 4 }, (_, i) => ({
    ts: T0 + i * 15_000,
    metric: 'queue_depth',
    labels: { service: 'billing' },
    value: 50 + (i % 5),
  }));
  const logs: LogRecord[] = authLogs({ t0: T0, minutes: MINUTES, seed: 3 }).sort(
    (a, b) => a.ts - b.ts,
  );
  for (const body of [
    toNdjson(samples),
    logs.map((r) => JSON.stringify({ ...r, labels: undefined })).join('\n'),
  ]) {
    const res = await fetch(`${service.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(res.status).toBe(202);
  }
  await waitFor(
    'the samples scored',
    async () => Number(await redis.hget(`${prefix}:detect:stats`, 'taken')) === samples.length,
  );
  await waitFor(
    'the log lines analysed',
    async () => linesTotal(await (await fetch(`${service.url}/metrics`)).text()) === logs.length,
  );
  return { service, prefix };
}

const historyKeys = (prefix: string): Promise<string[]> => redis.keys(`${prefix}:history:*`);

describe('detect.history_keep_ms', () => {
  it('by default keeps every minute a backfill batch closed, metric and log series alike', async () => {
    const { service, prefix } = await backfill({});
    try {
      // Minutes 0-8 closed within the batch; minute 9 waits in memory for its end.
      expect(await redis.llen(`${prefix}:history:${KEY}`)).toBe(MINUTES - 1);
      // auth's buckets of minutes 0-8 closed (the last stays open), each scored at its end
      // (minutes 1-9): minutes 1-8 written, minute 9 waits.
      const ratio = `${prefix}:history:log_error_ratio{service="auth"}`;
      const points = await redis.lrange(ratio, 0, -1);
      expect(points.map((p) => (Number(p.split(',')[0]) - T0) / MIN)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
    } finally {
      await service.close(5000);
    }
  });

  it('with 0 writes no history, and the API answers the latest point alone', async () => {
    const { service, prefix } = await backfill({ history_keep_ms: 0 });
    try {
      expect(await historyKeys(prefix)).toEqual([]);
      const res = await fetch(`${service.url}/api/v1/series?service=billing`);
      const { series } = (await res.json()) as { series: SeriesHistoryJson[] };
      expect(series.map((s) => s.series)).toEqual([KEY]);
      expect(series[0]?.points.map((p) => p.ts)).toEqual([
        new Date(T0 + (MINUTES * 4 - 1) * 15_000).toISOString(),
      ]);
    } finally {
      await service.close(5000);
    }
    // Not even on shutdown.
    expect(await historyKeys(prefix)).toEqual([]);
  });
});
