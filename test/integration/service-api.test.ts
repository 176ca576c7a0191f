/**
 * Service health and series history over HTTP, on the real Redis with ingest and detect
 * running: samples sent minute by minute show as one history point per minute (the last of
 * each), services answer with their state, and unknown services and bad `top` values are
 * refused with their codes.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeriesHistoryJson, ServiceHealth } from '../../src/api/status-model.js';
import { ScoreBoard } from '../../src/detect/score-board.js';
import type { LatestScore } from '../../src/detect/score-batch.js';
import type { RunningService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { startTestService } from '../helpers/service.js';
import { toNdjson } from '../helpers/series.js';

const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL);
let service: RunningService;

const MIN = 60_000;
/** Event time in the past: the history window follows the data, not the wall clock. */
const T0 = Date.UTC(2026, 0, 6, 6, 0);
const MINUTES = 6;
const AUTH_KEY = 'login_failures{service="auth"}';

const get = async (path: string) => {
  const res = await fetch(`${service.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  service = await startTestService(
    {
      services: { auth: { key_signal: 'login_*' }, storage: { description: 'blob store' } },
      redis: { prefix },
      detect: { detectors: { default: 'ewma' } },
    },
    'ingest,detect',
  );
  // Minute by minute, waiting for each to be scored: ten samples in each minute of auth's
  // series (the last at :45) and one of a service nobody configured.
  let sent = 0;
  for (let m = 0; m < MINUTES; m++) {
    const lines = Array.from({ length: 10 }, (_, i) => ({
      ts: T0 + m * MIN + i * 5000,
      metric: 'login_failures',
      labels: { service: 'auth' },
      value: 30 + m + i / 10,
    }));
    lines.push({ ts: T0 + m * MIN, metric: 'hits', labels: { service: 'cache' }, value: 100 });
    const res = await fetch(`${service.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: toNdjson(lines),
    });
    expect(res.status).toBe(202);
    sent += lines.length;
    const want = sent;
    await waitFor(
      `minute ${m} scored`,
      async () => Number(await redis.hget(`${prefix}:detect:stats`, 'taken')) === want,
    );
  }
});

afterAll(async () => {
  await service.close(5000);
  redis.disconnect();
  await deletePrefix(prefix);
});

describe('GET /api/v1/series', () => {
  it("shows a scored series' history: one point per minute, the last of each, oldest first", async () => {
    const { status, body } = await get('/api/v1/series?service=auth');
    expect(status).toBe(200);
    const series = body.series as SeriesHistoryJson[];
    expect(series.map((s) => [s.series, s.service, s.signal])).toEqual([
      [AUTH_KEY, 'auth', 'login_failures'],
    ]);
    const points = series[0]?.points ?? [];
    expect(points.map((p) => p.ts)).toEqual(
      Array.from({ length: MINUTES }, (_, m) => new Date(T0 + m * MIN + 45_000).toISOString()),
    );
    expect(points.map((p) => p.value)).toEqual(
      Array.from({ length: MINUTES }, (_, m) => 30 + m + 0.9),
    );
    for (const p of points) {
      expect(p.lower).toBeLessThanOrEqual(p.upper);
      expect(p.score).toBeGreaterThanOrEqual(0);
    }
  });

  it('stores at most one point per series per minute, with a TTL; the minute in progress comes from the board', async () => {
    const key = `${prefix}:history:${AUTH_KEY}`;
    // Minutes 0-4 are over and written once each; minute 5 waits in memory.
    expect(await redis.llen(key)).toBe(MINUTES - 1);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(5 * 3_600_000);
    expect(ttl).toBeLessThanOrEqual(6 * 3_600_000);
  });

  it('answers the top series across services, the most anomalous first', async () => {
    const { status, body } = await get('/api/v1/series?top=1');
    expect(status).toBe(200);
    expect(body.series as SeriesHistoryJson[]).toHaveLength(1);
    const all = (await get('/api/v1/series')).body.series as SeriesHistoryJson[];
    expect(all.map((s) => s.service).sort()).toEqual(['auth', 'cache']);
    const scores = all.map((s) => s.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // A configured service with no series yet has an empty list, not a 404.
    expect(await get('/api/v1/series?service=storage')).toEqual({
      status: 200,
      body: { series: [] },
    });
  });

  it('refuses a top outside 1-100 with a reason, and an unknown service with 404', async () => {
    for (const top of ['0', '101', 'ten', '2.5']) {
      const { status, body } = await get(`/api/v1/series?top=${top}`);
      expect(status).toBe(400);
      expect(body).toMatchObject({
        code: 'AIOPS_ERR_API_BAD_REQUEST',
        message: 'top must be an integer from 1 to 100',
      });
    }
    const { status, body } = await get('/api/v1/series?service=nope');
    expect(status).toBe(404);
    expect(body).toMatchObject({
      code: 'AIOPS_ERR_SERVICE_NOT_FOUND',
      docs: 'docs/errors.md#aiops_err_service_not_found',
    });
  });
});

describe('GET /api/v1/services', () => {
  it('answers every configured and scored service with its state and key series', async () => {
    const { status, body } = await get('/api/v1/services');
    expect(status).toBe(200);
    expect(Date.parse(body.generated_at as string)).toBeGreaterThan(Date.now() - 60_000);
    const services = body.services as ServiceHealth[];
    expect(services.map((s) => s.service).sort()).toEqual(['auth', 'cache', 'storage']);
    expect(body.omitted_services).toBe(0);
    const storage = services.find((s) => s.service === 'storage');
    expect(storage).toMatchObject({
      state: 'learning',
      reason: 'learning: no signal seen yet',
      key_series: null,
      description: 'blob store',
    });
    const auth = services.find((s) => s.service === 'auth');
    expect(auth?.key_series).toBe(AUTH_KEY);
    expect(auth?.signals.map((s) => s.series)).toEqual([AUTH_KEY]);
    expect(auth?.signals[0]?.ts).toBe(new Date(T0 + (MINUTES - 1) * MIN + 45_000).toISOString());
    expect(['ok', 'learning', 'degraded']).toContain(auth?.state);
    expect(auth?.reason).toMatch(/\S/);
  });

  it('filters to one service, and answers 404 with its code for an unknown one', async () => {
    const one = await get('/api/v1/services?service=cache');
    expect(one.status).toBe(200);
    expect((one.body.services as ServiceHealth[]).map((s) => s.service)).toEqual(['cache']);
    const unknown = await get('/api/v1/services?service=Auth');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'AIOPS_ERR_SERVICE_NOT_FOUND' });
    expect(unknown.body.message).toContain('"Auth"');
    const empty = await get('/api/v1/services?service=');
    expect(empty).toMatchObject({ status: 400, body: { code: 'AIOPS_ERR_API_BAD_REQUEST' } });
  });
});

describe('ScoreBoard.all', () => {
  it('answers the fresh entries only, the highest scores first, at most `limit`', async () => {
    const boardPrefix = `${prefix}:board-test`;
    const board = new ScoreBoard(redis, boardPrefix);
    const latest = (name: string, score: number): LatestScore => ({
      series: { key: name, metric: name, service: 'svc', labels: {}, counter: false },
      ts: T0,
      value: 1,
      score,
      expected: 1,
      lower: 0,
      upper: 2,
      learning: false,
    });
    const now = Date.now();
    const pipe = redis.pipeline();
    board.record(pipe, [latest('stale', 0.99)], now - 10 * MIN);
    board.record(pipe, [latest('low', 0.1), latest('high', 0.8), latest('mid', 0.5)], now);
    await pipe.exec();
    const keys = async (limit?: number) =>
      (await board.all({ staleAfterMs: 5 * MIN, nowMs: now, limit })).map((e) => e.key);
    expect(await keys()).toEqual(['high', 'mid', 'low']);
    expect(await keys(3)).toEqual(['high', 'mid']); // the cap counts the stale one it drops
    // It only reads: the stale entry is still there for read() to remove.
    expect(await redis.hexists(`${boardPrefix}:scores:meta`, 'stale')).toBe(1);
  });
});

describe('ScoreBoard.services', () => {
  it('records when each service of a batch was last scored, and forgets the stale ones', async () => {
    const boardPrefix = `${prefix}:services-test`;
    const board = new ScoreBoard(redis, boardPrefix);
    const latest = (service: string): LatestScore => ({
      series: { key: `m{service="${service}"}`, metric: 'm', service, labels: {}, counter: false },
      ts: T0,
      value: 1,
      score: 0.1,
      expected: 1,
      lower: 0,
      upper: 2,
      learning: false,
    });
    const now = Date.now();
    const pipe = redis.pipeline();
    board.record(pipe, [latest('old')], now - 10 * MIN);
    board.record(pipe, [latest('a'), latest('b'), latest('a')], now);
    await pipe.exec();
    expect(await redis.hgetall(`${boardPrefix}:scores:services`)).toEqual({
      old: String(now - 10 * MIN),
      a: String(now),
      b: String(now),
    });
    const fresh = await board.services({ staleAfterMs: 5 * MIN, nowMs: now });
    expect([...fresh].sort()).toEqual([
      ['a', now],
      ['b', now],
    ]);
    // The scrape's read removes stale services with the stale series.
    await board.read({ topN: 10, minScore: 0.5, staleAfterMs: 5 * MIN, nowMs: now });
    expect(await redis.hkeys(`${boardPrefix}:scores:services`)).toEqual(
      expect.arrayContaining(['a', 'b']),
    );
    expect(await redis.hexists(`${boardPrefix}:scores:services`, 'old')).toBe(0);
  });
});

describe('one status source per process', () => {
  it('the status page reads from the history cache the API filled (no whole reread)', async () => {
    expect((await get('/api/v1/series?service=auth')).status).toBe(200);
    const historyKey = `${prefix}:history:${AUTH_KEY}`;
    const monitor = await new Redis(TEST_REDIS_URL).monitor();
    const ranges: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'lrange' && args[1] === historyKey) ranges.push(args.slice(2));
    });
    try {
      const res = await fetch(`${service.url}/status`);
      expect(res.status).toBe(200);
      await res.text();
      await waitFor('the page read the history', () => Promise.resolve(ranges.length > 0));
    } finally {
      monitor.disconnect();
    }
    // A tail of the list (from a negative index), never the whole of it again.
    expect(ranges.every(([from]) => Number(from) < 0)).toBe(true);
  });
});

describe('shutdown', () => {
  it('writes the minute still in progress when detect stops', async () => {
    await service.close(5000);
    expect(await redis.llen(`${prefix}:history:${AUTH_KEY}`)).toBe(MINUTES);
  });
});
