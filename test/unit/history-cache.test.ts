import { describe, expect, it } from 'vitest';
import { HistoryCache } from '../../src/api/history-cache.js';
import type { HistoryPoint } from '../../src/detect/history-points.js';

const MIN = 60_000;
const point = (m: number, value = m): HistoryPoint => ({
  ts: m * MIN + 30_000,
  value,
  lower: 0,
  upper: 10,
  score: 0,
});

/** A history store of lists, recording what each read asked for. */
function fakeHistory(lists: Map<string, HistoryPoint[]>) {
  const asked: { key: string; last?: number | undefined }[][] = [];
  return {
    asked,
    stepMs: MIN,
    maxPoints: 400,
    readTails(requests: readonly { key: string; last?: number | undefined }[]) {
      asked.push(requests.map((r) => ({ key: r.key, last: r.last })));
      return Promise.resolve(
        new Map(
          requests.map((r) => {
            const all = lists.get(r.key) ?? [];
            return [r.key, r.last === undefined ? [...all] : all.slice(-r.last)];
          }),
        ),
      );
    },
  };
}

const window = { stepMs: MIN, windowMs: 360 * MIN };

describe('history cache', () => {
  it('reads a series whole once, then only the steps since, and gives the same points', async () => {
    const list = Array.from({ length: 300 }, (_, m) => point(m));
    const h = fakeHistory(new Map([['a', list]]));
    const cache = new HistoryCache();
    const first = await cache.read(h, [{ key: 'a', newestTs: point(299).ts }], window, 0);
    expect(first.get('a')).toHaveLength(300);
    list.push(point(300), point(301));
    // A step rewritten by another process: the newer point of step 299 wins.
    list.push({ ...point(299, 99), ts: point(299).ts + 1000 });
    const second = await cache.read(h, [{ key: 'a', newestTs: point(301).ts }], window, 1000);
    expect(h.asked[1]).toEqual([{ key: 'a', last: 4 }]);
    const got = second.get('a') ?? [];
    expect(got).toHaveLength(302);
    expect(got.map((p) => Math.floor(p.ts / MIN))).toEqual(
      Array.from({ length: 302 }, (_, m) => m),
    );
    expect(got[299]?.value).toBe(99);
  });

  it('reads whole again when stale, or when the series went back in time', async () => {
    const h = fakeHistory(new Map([['a', [point(1), point(2)]]]));
    const cache = new HistoryCache({ maxAgeMs: 10_000, random: () => 0.5 });
    await cache.read(h, [{ key: 'a', newestTs: point(2).ts }], window, 0);
    await cache.read(h, [{ key: 'a', newestTs: point(2).ts }], window, 9_000);
    expect(h.asked[1]).toEqual([{ key: 'a', last: 2 }]);
    await cache.read(h, [{ key: 'a', newestTs: point(2).ts }], window, 10_001);
    expect(h.asked[2]).toEqual([{ key: 'a', last: undefined }]);
    await cache.read(h, [{ key: 'a', newestTs: point(0).ts }], window, 10_002);
    expect(h.asked[3]).toEqual([{ key: 'a', last: undefined }]);
  });

  it('holds at most maxPoints points, the least recently read series going first', async () => {
    const lists = new Map([
      ['a', Array.from({ length: 4 }, (_, m) => point(m))],
      ['b', Array.from({ length: 3 }, (_, m) => point(m))],
      ['c', Array.from({ length: 3 }, (_, m) => point(m))],
    ]);
    const h = fakeHistory(lists);
    const cache = new HistoryCache({ maxPoints: 7 });
    const of = (key: string) => ({ key, newestTs: point((lists.get(key)?.length ?? 1) - 1).ts });
    await cache.read(h, [of('a'), of('b')], window, 0);
    expect([cache.size, cache.points]).toEqual([2, 7]);
    // b read again (now the most recently read), then c: a (4 points) goes, not b.
    await cache.read(h, [of('b')], window, 1);
    await cache.read(h, [of('c')], window, 2);
    expect([cache.size, cache.points]).toEqual([2, 6]);
    await cache.read(h, [of('b'), of('a')], window, 3);
    expect(h.asked.at(-1)).toEqual([
      { key: 'b', last: 2 },
      { key: 'a', last: undefined },
    ]);
    // A series never counts its points twice when read again.
    expect(cache.points).toBeLessThanOrEqual(7);
  });

  it('drops the series not read within maxAgeMs', async () => {
    const h = fakeHistory(
      new Map([
        ['a', [point(1)]],
        ['b', [point(1)]],
      ]),
    );
    const cache = new HistoryCache({ maxAgeMs: 10_000, random: () => 0.99 });
    await cache.read(h, [{ key: 'a', newestTs: point(1).ts }], window, 0);
    await cache.read(h, [{ key: 'b', newestTs: point(1).ts }], window, 5_000);
    expect(cache.size).toBe(2);
    // At 12 s, a was last read 12 s ago: dropped, even though nothing asked for it again.
    await cache.read(h, [{ key: 'b', newestTs: point(1).ts }], window, 12_000);
    expect([cache.size, cache.points]).toEqual([1, 1]);
  });

  it('spreads the whole rereads: each entry draws its own age, within ±20% of maxAgeMs', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `s${i}`);
    const h = fakeHistory(new Map(keys.map((k) => [k, [point(1)]])));
    let draw = 0;
    // Entries drawn 0, 0.02, 0.04, ... of the way through the jitter range.
    const cache = new HistoryCache({ maxAgeMs: 100_000, random: () => (draw++ % 50) / 50 });
    const all = keys.map((key) => ({ key, newestTs: point(1).ts }));
    await cache.read(h, all, window, 0);
    const wholeAt = async (t: number) => {
      await cache.read(h, all, window, t);
      return (h.asked.at(-1) ?? []).filter((r) => r.last === undefined).length;
    };
    // Each read keeps every entry in use. At 79 s none is due (the shortest age is 80 s); at
    // 100 s some are, not all: they do not all expire in the same request.
    expect(await wholeAt(79_000)).toBe(0);
    const mid = await wholeAt(100_000);
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(50);
  });
});
