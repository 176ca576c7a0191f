import { describe, expect, it } from 'vitest';
import { HistoryDownsampler, type PointToWrite } from '../../src/detect/history-downsampler.js';
import {
  decodeHistory,
  decodePoint,
  encodePoint,
  pointsPerStep,
  type HistoryPoint,
} from '../../src/detect/history-points.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 6, 6, 0);
const pt = (ts: number, value = 1): HistoryPoint => ({ ts, value, lower: 0, upper: 2, score: 0 });

function offerAll(d: HistoryDownsampler<HistoryPoint>, offers: [string, HistoryPoint][]) {
  const out: PointToWrite<HistoryPoint>[] = [];
  for (const [series, p] of offers) d.offer(series, p, out);
  return out.map((w) => [w.series, w.point.ts]);
}

describe('HistoryDownsampler', () => {
  it('writes the last point of each step, once, when the series reaches a later step', () => {
    const d = new HistoryDownsampler<HistoryPoint>(MIN, 10);
    const written = offerAll(d, [
      ['a', pt(T0)],
      ['a', pt(T0 + 15_000)],
      ['a', pt(T0 + 45_000)],
      ['a', pt(T0 + MIN + 5_000)], // step 1 begins: step 0's last point goes out
      ['a', pt(T0 + MIN + 30_000)],
      ['a', pt(T0 + 3 * MIN)], // step 2 skipped: step 1's last point goes out
    ]);
    expect(written).toEqual([
      ['a', T0 + 45_000],
      ['a', T0 + MIN + 30_000],
    ]);
    expect(d.size).toBe(1);
  });

  it('keeps series apart and ignores a point older than the one waiting', () => {
    const d = new HistoryDownsampler<HistoryPoint>(MIN, 10);
    const written = offerAll(d, [
      ['a', pt(T0 + 10_000)],
      ['b', pt(T0 + 20_000)],
      ['a', pt(T0 + 5_000)], // out of order: ignored
      ['b', pt(T0 + MIN)],
      ['a', pt(T0 + MIN)],
    ]);
    expect(written).toEqual([
      ['b', T0 + 20_000],
      ['a', T0 + 10_000],
    ]);
  });

  it('is bounded: past maxSeries, the least recently offered series is written at once', () => {
    const d = new HistoryDownsampler<HistoryPoint>(MIN, 2);
    const written = offerAll(d, [
      ['a', pt(T0)],
      ['b', pt(T0)],
      ['a', pt(T0 + 1000)], // a is now the most recent
      ['c', pt(T0)], // full: b goes
    ]);
    expect(written).toEqual([['b', T0]]);
    expect(d.size).toBe(2);
  });

  it('drains every waiting point (for a shutdown) and forgets them', () => {
    const d = new HistoryDownsampler<HistoryPoint>(MIN, 10);
    offerAll(d, [
      ['a', pt(T0)],
      ['b', pt(T0 + 1)],
    ]);
    expect(d.drain().map((w) => [w.series, w.point.ts])).toEqual([
      ['a', T0],
      ['b', T0 + 1],
    ]);
    expect(d.size).toBe(0);
  });

  it('refuses a step or bound that is not positive', () => {
    expect(() => new HistoryDownsampler(0, 10)).toThrow(RangeError);
    expect(() => new HistoryDownsampler(MIN, 0)).toThrow(RangeError);
  });
});

describe('history points', () => {
  it('encode compactly (six significant digits, score to 0.001) and decode back', () => {
    const text = encodePoint({
      ts: T0,
      value: 0.257123456,
      lower: 0.00412345678,
      upper: 123456789,
      score: 0.98765,
    });
    expect(text).toBe(`${T0},0.257123,0.00412346,123457000,0.988`);
    expect(decodePoint(text)).toEqual({
      ts: T0,
      value: 0.257123,
      lower: 0.00412346,
      upper: 123457000,
      score: 0.988,
    });
  });

  it('write a non-finite number empty; a missing band reads as the value, a point without time or value is none', () => {
    const text = encodePoint({ ts: T0, value: 5, lower: Number.NaN, upper: Infinity, score: NaN });
    expect(text).toBe(`${T0},5,,,`);
    expect(decodePoint(text)).toEqual({ ts: T0, value: 5, lower: 5, upper: 5, score: 0 });
    expect(decodePoint(`${T0},,1,2,0`)).toBeUndefined();
    expect(decodePoint('garbage')).toBeUndefined();
    expect(decodePoint('')).toBeUndefined();
  });

  it('read back one point per step (the newest of a step written twice), oldest first', () => {
    const w = { stepMs: MIN, windowMs: 6 * 3_600_000 };
    const points = pointsPerStep(
      [pt(T0 + 2 * MIN + 50_000, 3), pt(T0 + 10_000, 1), pt(T0 + 40_000, 2), pt(T0 + 2 * MIN, 9)],
      w,
    );
    expect(points.map((p) => [p.ts - T0, p.value])).toEqual([
      [40_000, 2],
      [2 * MIN + 50_000, 3],
    ]);
  });

  it('keep the window before the series newest point, not before the wall clock, and honour sinceMs', () => {
    // Data from 2026 read "now" would be all of it or none of it; the window follows the data.
    const stored = [0, 1, 2, 3, 4, 5].map((h) => encodePoint(pt(T0 + h * 3_600_000)));
    const w = { stepMs: MIN, windowMs: 3 * 3_600_000 };
    const hours = (ps: HistoryPoint[]) => ps.map((p) => (p.ts - T0) / 3_600_000);
    expect(hours(decodeHistory(stored, w))).toEqual([3, 4, 5]);
    expect(hours(decodeHistory(stored, { ...w, sinceMs: T0 + 4 * 3_600_000 }))).toEqual([4, 5]);
    expect(decodeHistory(['nonsense'], w)).toEqual([]);
  });
});
