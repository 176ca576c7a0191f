/**
 * Write-behind detector state (`detect.checkpoint_ms`) on the real Redis: a batch commits its
 * counts at once and its states at their checkpoint; a batch run again after its commit is not
 * counted twice; a checkpoint refused by the epoch fence (another writer moved the partition
 * on) drops the unsaved states and says so; the states handed over are all written.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createEwmaDetector } from '../../detectors/ewma.js';
import { decodeSeriesState } from '../../src/detect/series-state.js';
import { batchOf, detectDriver, freshAnomalies, seriesMeta } from '../helpers/detect-driver.js';
import { deletePrefix, TEST_REDIS_URL } from '../helpers/redis.js';

const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
const prefixes: string[] = [];
const closers: (() => Promise<unknown>)[] = [];
const T0 = Date.UTC(2026, 11, 7);
const STEP = 15_000;

afterAll(async () => {
  for (const c of closers) await c();
  redis.disconnect();
  for (const p of prefixes) await deletePrefix(p);
});

function fresh(checkpointMs: number) {
  const { prefix, anomalies } = freshAnomalies(redis, prefixes, closers);
  const clock = { now: 1_000_000 };
  const detector = createEwmaDetector();
  const driver = detectDriver({
    redis,
    prefix,
    anomalies,
    detector: () => detector,
    ttlMs: 0,
    checkpointMs,
    now: () => clock.now,
  });
  const lastStored = async (key: string): Promise<number | undefined> => {
    const bytes = await redis.getBuffer(driver.store.stateKey(0, key));
    const state = bytes ? decodeSeriesState(detector, bytes) : undefined;
    return state ? detector.lastTimestamp(state.det) : undefined;
  };
  const taken = async (): Promise<number> =>
    Number((await redis.hget(driver.store.statsKey(0), 'taken')) ?? 0);
  return { prefix, driver, clock, lastStored, taken };
}

describe('write-behind detector state', () => {
  it('counts a batch at once and writes its states at the checkpoint age', async () => {
    const { driver, clock, lastStored, taken } = fresh(10_000);
    const a = seriesMeta('lat_a');
    const b = seriesMeta('lat_b');
    await driver.run(0, batchOf([a, b], T0, 5, STEP));
    expect(await taken()).toBe(10);
    // Within the checkpoint age: nothing written, both held unsaved.
    expect(await lastStored(a.key)).toBeUndefined();
    expect(driver.store.unsaved).toBe(2);
    expect(await driver.store.checkpoint(0)).toBe(0);

    // Past it, the next batch of `a` writes `a` with its commit; the timer's checkpoint `b`.
    clock.now += 10_000;
    await driver.run(0, batchOf([a], T0 + 5 * STEP, 1, STEP));
    expect(await lastStored(a.key)).toBe(T0 + 5 * STEP);
    expect(await lastStored(b.key)).toBeUndefined();
    expect(await driver.store.checkpoint(0)).toBe(1);
    expect(await lastStored(b.key)).toBe(T0 + 4 * STEP);
    expect(driver.store.unsaved).toBe(0);
    expect(await taken()).toBe(11);
  });

  it('counts a batch run again after its commit once, and learns it again from the checkpoint', async () => {
    const { driver, lastStored, taken, prefix } = fresh(60_000);
    const a = seriesMeta('lat_a');
    await driver.run(0, batchOf([a], T0, 5, STEP), 'job-1');
    await driver.store.checkpoint(0, true);
    const batch = batchOf([a], T0 + 5 * STEP, 5, STEP);
    await driver.run(0, batch, 'job-2');
    expect(await taken()).toBe(10);
    // The process dies before job-2 finished: its unsaved state is gone, Redis holds job-1's.
    driver.store.invalidate(0);
    expect(await lastStored(a.key)).toBe(T0 + 4 * STEP);
    // Another process runs job-2 again: its samples are newer than the checkpoint, so they
    // are learnt again, but not counted again.
    const again = await driver.run(0, batch, 'job-2');
    expect(again.taken).toBe(5);
    expect(await taken()).toBe(10);
    await driver.store.checkpoint(0, true);
    expect(await lastStored(a.key)).toBe(T0 + 9 * STEP);
    // A finished job's id is forgotten (it cannot run again): the set stays small.
    await driver.store.forgetCommitted(0, 'job-2');
    expect(await redis.zrange(driver.store.committedKey(0), 0, -1)).toEqual(['job-1']);
    expect(prefix).toBeTruthy();
  });

  it('drops the unsaved states when another writer moved the partition on', async () => {
    const { driver, lastStored, prefix } = fresh(60_000);
    const a = seriesMeta('lat_a');
    await driver.run(0, batchOf([a], T0, 5, STEP));
    expect(driver.store.unsaved).toBe(1);
    // Another process took the partition and committed (its lease, then its epoch).
    await redis.set(driver.store.epochKey(0), 'someone-else');
    expect(await driver.store.checkpoint(0, true)).toBe(0);
    expect(await lastStored(a.key)).toBeUndefined();
    expect(driver.store.unsaved).toBe(0);
    expect(driver.store.takeDropped()).toBe(1);
    expect(driver.store.takeDropped()).toBe(0);
    expect(prefix).toBeTruthy();
  });

  it("a failed batch drops only its own series' unsaved states", async () => {
    const { driver } = fresh(60_000);
    const a = seriesMeta('lat_a');
    const b = seriesMeta('lat_b');
    await driver.run(0, batchOf([a], T0, 3, STEP));
    await driver.run(0, batchOf([b], T0, 3, STEP));
    expect(driver.store.unsaved).toBe(2);
    driver.store.forget(0, [b.key]);
    expect(driver.store.unsaved).toBe(1);
    expect(driver.store.takeDropped()).toBe(1);
    expect(driver.store.cached).toBe(1);
  });

  it('writes every unsaved state when the partition is handed over', async () => {
    const { driver, lastStored } = fresh(60_000);
    const series = Array.from({ length: 1500 }, (_, i) => seriesMeta(`lat_${i}`));
    await driver.run(0, batchOf(series, T0, 2, STEP));
    expect(driver.store.unsaved).toBe(1500);
    // More than one checkpoint script's worth (1,000 states a script).
    await driver.store.release(0);
    expect(driver.store.unsaved).toBe(0);
    expect(driver.store.cached).toBe(0);
    for (const s of [series[0], series[999], series[1000], series[1499]]) {
      expect(await lastStored(s?.key ?? '')).toBe(T0 + STEP);
    }
  });

  it('with checkpoint_ms 0 writes every touched state with its batch', async () => {
    const { driver, lastStored } = fresh(0);
    const a = seriesMeta('lat_a');
    await driver.run(0, batchOf([a], T0, 3, STEP));
    expect(await lastStored(a.key)).toBe(T0 + 2 * STEP);
    expect(driver.store.unsaved).toBe(0);
    expect(await redis.exists(driver.store.committedKey(0))).toBe(0);
  });
});
