/**
 * Churn: waves of short-lived series must not grow Redis. Three waves of 5,000 new series, a
 * few samples each, scored by the detect job handler with the default detector and a state TTL
 * compressed to 2 s; after each wave's TTL has passed (and one cleanup run), what the prefix
 * holds in Redis (sum of MEMORY USAGE over its keys) is flat within 10% across waves, and no
 * per-series key is left. Also measures the Redis bytes per active series, by kind of key, while
 * a wave is active (printed; docs/operations.md quotes them).
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR, detectorRegistry } from '../../detectors/registry.js';
import { SeriesLifecycle, seriesLifecycleMetrics } from '../../src/detect/series-lifecycle.js';
import { partitionOf } from '../../src/queues/partition.js';
import { createAnomaliesQueue } from '../../src/queues/queues.js';
import type { SeriesMeta } from '../../src/queues/contract.js';
import { batchOf, detectDriver, prefixMemory, seriesMeta } from '../helpers/detect-driver.js';
import {
  deletePrefix,
  randomPrefix,
  singleLayout,
  TEST_REDIS_URL,
  waitFor,
} from '../helpers/redis.js';

const WAVES = 3;
const SERIES = 5000;
const SAMPLES = 4;
const STEP_MS = 40_000;
const PARTITIONS = 4;
const PER_JOB = 500;
const TTL_MS = 2000;

const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
const anomalies = createAnomaliesQueue(redis, {
  layout: singleLayout(prefix, PARTITIONS),
  partitions: PARTITIONS,
  attempts: 1,
  backoffMs: 10,
});

afterAll(async () => {
  await anomalies.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

const kindOf = (key: string): string =>
  key.startsWith('detect:s:')
    ? 'state'
    : key.startsWith('scores')
      ? 'board'
      : key.startsWith('history:')
        ? 'history'
        : 'other';

const usedMemory = async (): Promise<number> =>
  Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);

describe('series churn', () => {
  it('keeps Redis flat across waves of short-lived series', async () => {
    const detector = detectorRegistry[DEFAULT_DETECTOR]?.create({});
    if (!detector) throw new Error('no default detector');
    const driver = detectDriver({
      redis,
      prefix,
      anomalies,
      detector: () => detector,
      ttlMs: TTL_MS,
      partitions: PARTITIONS,
    });
    const lifecycle = new SeriesLifecycle(
      {
        store: driver.store,
        board: driver.board,
        metrics: seriesLifecycleMetrics(driver.metrics.registry, driver.store),
        log: pino({ level: 'silent' }),
      },
      { ttlMs: TTL_MS },
    );
    const residual: number[] = [];
    const rows: string[] = [];
    const t0 = Date.UTC(2026, 3, 1);
    for (let w = 0; w < WAVES; w++) {
      const byPartition = new Map<number, SeriesMeta[]>();
      for (let i = 0; i < SERIES; i++) {
        const m = seriesMeta(`churn_w${w}_s${i}`, `svc${i % 20}`);
        const p = partitionOf(m.key, PARTITIONS);
        byPartition.set(p, [...(byPartition.get(p) ?? []), m]);
      }
      const usedBefore = await usedMemory();
      for (const [p, series] of byPartition) {
        for (let from = 0; from < series.length; from += PER_JOB) {
          const r = await driver.run(
            p,
            batchOf(series.slice(from, from + PER_JOB), t0, SAMPLES, STEP_MS),
          );
          expect(r.taken).toBe(Math.min(PER_JOB, series.length - from) * SAMPLES);
        }
      }
      const active = await prefixMemory(redis, prefix, kindOf);
      const usedActive = await usedMemory();
      const per = (k: string) => (active.get(k)?.bytes ?? 0) / SERIES;
      expect(active.get('state')?.keys).toBe(SERIES);
      const total = [...active.values()].reduce((n, v) => n + v.bytes, 0);
      // Wait until every per-series key has expired, then let the cleanup trim the board.
      await new Promise((r) => setTimeout(r, TTL_MS + 200));
      await waitFor('per-series keys expired', async () => {
        const left = await prefixMemory(redis, prefix, kindOf);
        return !left.has('state') && !left.has('history');
      });
      await lifecycle.runOnce();
      const after = await prefixMemory(redis, prefix, kindOf);
      expect([...after.keys()].filter((k) => k !== 'other')).toEqual([]);
      const left = after.get('other')?.bytes ?? 0;
      residual.push(left);
      rows.push(
        `wave ${w + 1}: active ${SERIES} series: ${total} B in ${[...active.values()].reduce((n, v) => n + v.keys, 0)} keys ` +
          `(${Math.round(total / SERIES)} B/series: state ${Math.round(per('state'))}, board ${Math.round(per('board'))}, ` +
          `history ${Math.round(per('history'))}, other ${Math.round(per('other'))}); used_memory +${usedActive - usedBefore} B; ` +
          `after TTL: ${left} B in ${after.get('other')?.keys ?? 0} keys, used_memory ${(await usedMemory()) - usedBefore} B vs before the wave`,
      );
    }
    console.log(`series churn, TTL ${TTL_MS} ms, ${detector.name}:\n${rows.join('\n')}`);
    const first = residual[0] ?? 0;
    for (const r of residual) expect(Math.abs(r - first)).toBeLessThanOrEqual(first * 0.1);
    expect(await driver.metrics.registry.metrics()).toContain(
      `aiops_series_expired_total{where="score_board"} ${WAVES * SERIES}`,
    );
  });
});
