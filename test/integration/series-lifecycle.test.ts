/**
 * `detect.state_ttl_ms` on the real Redis: every state write sets the key's TTL; a series that
 * comes back after its state expired learns afresh, without an error, whether the worker's
 * cache was warm or cold, and the epoch fence still holds; the cache is bounded; states of the
 * earlier layout (one hash per partition) are read and moved; the periodic cleanup removes the
 * score-board entries of idle series and counts them.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createEwmaDetector } from '../../detectors/ewma.js';
import { SeriesLifecycle, seriesLifecycleMetrics } from '../../src/detect/series-lifecycle.js';
import { encodeSeriesState, createSeriesState } from '../../src/detect/series-state.js';
import { StaleEpochError, StateStore } from '../../src/detect/state-store.js';
import { batchOf, detectDriver, freshAnomalies, seriesMeta } from '../helpers/detect-driver.js';
import { deletePrefix, randomPrefix, singleLayout, TEST_REDIS_URL } from '../helpers/redis.js';

const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
const prefixes: string[] = [];
const closers: (() => Promise<unknown>)[] = [];
const T0 = Date.UTC(2026, 2, 2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  for (const c of closers) await c();
  redis.disconnect();
  for (const p of prefixes) await deletePrefix(p);
});

function fresh(ttlMs: number) {
  const { prefix, anomalies } = freshAnomalies(redis, prefixes, closers);
  const detector = createEwmaDetector();
  const driver = detectDriver({ redis, prefix, anomalies, detector: () => detector, ttlMs });
  return { prefix, driver, detector };
}

describe('detector state TTL', () => {
  it('sets the TTL on each write; a series back after it learns afresh, warm cache or cold', async () => {
    const ttlMs = 800;
    const { prefix, driver, detector } = fresh(ttlMs);
    const s = seriesMeta('lat');
    const key = driver.store.stateKey(0, s.key);
    const first = await driver.run(0, batchOf([s], T0, 40, 15_000));
    expect(first.taken).toBe(40);
    const pttl = await redis.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(ttlMs);
    const learned = await driver.board.latest([s.key]);
    expect(learned[0]?.learning).toBe(false);

    await sleep(ttlMs + 300);
    expect(await redis.exists(key)).toBe(0);
    // Warm cache: the process still held the state, and drops it on the same clock.
    const back = await driver.run(0, batchOf([s], T0 + 3_600_000, 1, 15_000));
    expect(back.taken).toBe(1);
    expect((await driver.board.latest([s.key]))[0]?.learning).toBe(true);
    expect(driver.store.takeExpired()).toBe(1);
    const stored = await redis.getBuffer(key);
    expect(stored).not.toBeNull();
    expect(await redis.pttl(key)).toBeGreaterThan(0);

    // Cold cache: another process, after the state expired again.
    await sleep(ttlMs + 300);
    const other = new StateStore(redis, singleLayout(prefix, 4), () => detector, { ttlMs });
    const { epoch, states } = await other.load(0, [s]);
    const st = states.get(s.key);
    expect(st && detector.lastTimestamp(st.state.det as never)).toBe(Number.NEGATIVE_INFINITY);
    await other.commit(0, epoch, states, [s.key], { taken: 0 });
  });

  it('keeps the epoch fence across an expiry: a stale view still fails its commit', async () => {
    const ttlMs = 500;
    const { prefix, driver, detector } = fresh(ttlMs);
    const s = seriesMeta('q');
    await driver.run(0, batchOf([s], T0, 5, 15_000));
    await sleep(ttlMs + 300);
    const a = new StateStore(redis, singleLayout(prefix, 4), () => detector, { ttlMs });
    const b = new StateStore(redis, singleLayout(prefix, 4), () => detector, { ttlMs });
    const la = await a.load(0, [s]);
    const lb = await b.load(0, [s]);
    expect(la.epoch).toBe(lb.epoch);
    await a.commit(0, la.epoch, la.states, [s.key], {});
    await expect(b.commit(0, lb.epoch, lb.states, [s.key], {})).rejects.toBeInstanceOf(
      StaleEpochError,
    );
    // The retry reads the state a wrote, with its TTL.
    const again = await b.load(0, [s]);
    await b.commit(0, again.epoch, again.states, [s.key], {});
    expect(await redis.pttl(a.stateKey(0, s.key))).toBeGreaterThan(0);
  });

  it('with a TTL of 0 keeps state for ever', async () => {
    const { driver } = fresh(0);
    const s = seriesMeta('keep');
    await driver.run(0, batchOf([s], T0, 3, 15_000));
    expect(await redis.pttl(driver.store.stateKey(0, s.key))).toBe(-1);
  });

  it('bounds the cache per partition, least recently used out', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const detector = createEwmaDetector();
    const store = new StateStore(redis, singleLayout(prefix, 4), () => detector, {
      maxCachedPerPartition: 10,
    });
    for (let g = 0; g < 5; g++) {
      const series = Array.from({ length: 6 }, (_, i) => seriesMeta(`m${g}_${i}`));
      const { epoch, states } = await store.load(0, series);
      await store.commit(
        0,
        epoch,
        states,
        series.map((m) => m.key),
        {},
      );
      expect(store.cached).toBeLessThanOrEqual(10);
    }
  });

  it('reads states of the per-partition hash layout and moves them to their own key', async () => {
    const ttlMs = 60_000;
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const detector = createEwmaDetector();
    const s = seriesMeta('legacy');
    const old = createSeriesState(detector);
    for (let i = 0; i < 30; i++) detector.update(old.det, T0 + i * 15_000, 50);
    const store = new StateStore(redis, singleLayout(prefix, 4), () => detector, { ttlMs });
    await redis.hset(
      store.legacyStateKey(0),
      s.key,
      encodeSeriesState(detector, old),
      'other',
      'x',
    );
    const { epoch, states } = await store.load(0, [s]);
    const st = states.get(s.key);
    expect(st && detector.lastTimestamp(st.state.det as never)).toBe(T0 + 29 * 15_000);
    await store.commit(0, epoch, states, [s.key], {});
    expect(await redis.exists(store.stateKey(0, s.key))).toBe(1);
    expect(await redis.hkeys(store.legacyStateKey(0))).toEqual(['other']);
    const pttl = await redis.pttl(store.legacyStateKey(0));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(ttlMs);
  });
});

describe('series lifecycle cleanup', () => {
  it('removes idle series from the score board and counts them on /metrics', async () => {
    const ttlMs = 1000;
    const { prefix, driver } = fresh(ttlMs);
    const idle = seriesMeta('idle');
    const busy = seriesMeta('busy');
    await driver.run(0, batchOf([idle, busy], T0, 3, 15_000));
    const metrics = seriesLifecycleMetrics(driver.metrics.registry, driver.store);
    const lifecycle = new SeriesLifecycle(
      { store: driver.store, board: driver.board, metrics, log: pino({ level: 'silent' }) },
      { ttlMs },
    );
    expect(await lifecycle.runOnce()).toBe(0);
    await sleep(500);
    await driver.run(0, batchOf([busy], T0 + 60_000, 1, 15_000));
    await sleep(700);
    expect(await lifecycle.runOnce()).toBe(1);
    expect(await redis.zrange(`${prefix}:scores:seen`, 0, -1)).toEqual([busy.key]);
    expect(await redis.hkeys(`${prefix}:scores:meta`)).toEqual([busy.key]);
    expect(driver.store.cached).toBe(1);
    const text = await driver.metrics.registry.metrics();
    expect(text).toContain('aiops_series_expired_total{where="score_board"} 1');
    expect(text).toContain('aiops_series_expired_total{where="state_cache"} 1');
    expect(text).toContain('aiops_series_state_cached 1');
  });
});
