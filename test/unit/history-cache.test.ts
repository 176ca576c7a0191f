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

  it('reads whole again when stale, when the series went back in time, or past its bound', async () => {
    const h = fakeHistory(
      new Map([
        ['a', [point(1), point(2)]],
        ['b', [point(1)]],
        ['c', [point(5)]],
      ]),
    );
    const cache = new HistoryCache({ maxAgeMs: 10_000, maxSeries: 2 });
    await cache.read(h, [{ key: 'a', newestTs: point(2).ts }], window, 0);
    await cache.read(h, [{ key: 'a', newestTs: point(2).ts }], window, 20_000);
    expect(h.asked[1]).toEqual([{ key: 'a', last: undefined }]);
    await cache.read(h, [{ key: 'a', newestTs: point(0).ts }], window, 21_000);
    expect(h.asked[2]).toEqual([{ key: 'a', last: undefined }]);
    // b and c push a out (two series at most): a is read whole again.
    await cache.read(
      h,
      [
        { key: 'b', newestTs: point(1).ts },
        { key: 'c', newestTs: point(5).ts },
      ],
      window,
      22_000,
    );
    await cache.read(h, [{ key: 'a', newestTs: point(2).ts }], window, 23_000);
    expect(h.asked[4]).toEqual([{ key: 'a', last: undefined }]);
  });
});
