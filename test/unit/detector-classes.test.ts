/**
 * Issue 14's classes of series on which the default ensemble failed when tried as an outsider
 * would, each generated here. A class the ensemble now handles is a plain test; a class it does
 * not handle yet is recorded as it is ("known failure"): that test turns red the day a change
 * fixes the class, and becomes a plain test then. The null suite (false-alarms.test.ts) holds
 * the noise classes; these are the ones with a story in time.
 */
import { describe, expect, it } from 'vitest';
import type { Detector } from '../../detectors/contract.js';
import { detectorRegistry } from '../../detectors/registry.js';
import { poisson } from '../helpers/null-shapes.js';
import { gaussian, prng } from '../helpers/series.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** A Monday, 00:00 UTC. */
const T0 = Date.UTC(2026, 0, 5);

const ensemble = (): Detector<unknown> => {
  const entry = detectorRegistry.ensemble;
  if (!entry) throw new Error('no ensemble');
  return entry.create({});
};

/** Runs the default ensemble over `value(i)` at `stepMs`; returns the sample indices of pages. */
function pages(n: number, stepMs: number, value: (i: number, t: number) => number): number[] {
  const det = ensemble();
  const state = det.create();
  const out: number[] = [];
  let above = false;
  for (let i = 0; i < n; i++) {
    const t = T0 + i * stepMs;
    const r = det.update(state, t, value(i, t));
    const now = !r.learning && r.score >= 0.9;
    if (now && !above) out.push(i);
    above = now;
  }
  return out;
}

/** Noise sd 3 around a level, with a daily swing of ±20. */
const daily = (t: number): number => 20 * Math.sin((2 * Math.PI * (t % DAY)) / DAY);

describe('repeated level shifts (a deploy moves a level, a rollback moves it back)', () => {
  const STEP = 5 * MIN;
  // The first step on a Thursday 07:12, the second two days later (Saturday), both by a third.
  const first = Math.round((10.3 * DAY) / STEP);
  const second = first + Math.round((2 * DAY) / STEP);
  const series = (seed: number): number[] => {
    const g = gaussian(seed);
    return pages(second + Math.round((8 * DAY) / STEP), STEP, (i, t) => {
      const level = i < first ? 100 : i < second ? 150 : 100;
      return level + daily(t) + 3 * g();
    });
  };

  it.each([1, 2, 3])('pages once per step and not again (seed %i)', (seed) => {
    const at = series(seed);
    // Once at each step, within an hour: not when the refractory period ends, nor when the
    // first weekend after the step starts (weekend hour bins move with the level too).
    expect(at).toHaveLength(2);
    const [a, b] = at as [number, number];
    expect(a - first).toBeGreaterThanOrEqual(0);
    expect(a - first).toBeLessThan(HOUR / STEP);
    expect(b - second).toBeGreaterThanOrEqual(0);
    expect(b - second).toBeLessThan(HOUR / STEP);
  });
});

describe('a level shift common to the hour bins follows only the direction watched', () => {
  it('a 5-hour dip that a detector of rises ignores does not page when it ends', () => {
    // direction: up. The dip lowers nothing the rises are judged against, so its end is not a
    // rise. (A common shift that followed the dip paged its end on 10 seeds of 10.)
    const STEP = 5 * MIN;
    const at = Math.round((12.3 * DAY) / STEP);
    let endPaged = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const g = gaussian(seed);
      const det = detectorRegistry.ensemble?.create({ direction: 'up' });
      if (!det) throw new Error('no ensemble');
      const s = det.create();
      let above = false;
      for (let i = 0; i < at + 300; i++) {
        const t = T0 + i * STEP;
        const v = 100 + daily(t) + 3 * g() + (i >= at && i < at + 60 ? -40 : 0);
        const now = det.update(s, t, v).score >= 0.9;
        if (now && !above && i >= at + 60 && i < at + 84) endPaged++;
        above = now;
      }
    }
    expect(endPaged).toBeLessThanOrEqual(3);
  });
});

describe('a coarse series whose hour bins take days to learn', () => {
  it.each([1, 2, 3])('does not page the day they have learned (hourly, seed %i)', (seed) => {
    // Before, the season channel's calibration had seen only 0s for 10 days (no bin had a
    // residual yet), and its first real residual paged on every series of 10 minutes or more.
    const g = gaussian(seed);
    expect(pages(21 * 24, HOUR, (_i, t) => 100 + daily(t) + 3 * g())).toEqual([]);
  });
});

describe('[known failure, issue 14] classes the default ensemble does not handle yet', () => {
  it('bursty counts at 1 minute: a level doubling is not paged within 10 minutes on every seed', () => {
    // 3% of samples ×3-10; the level doubles (mean 20 → 40) after 3000 samples. Target: paged
    // within 10 samples on each of 5 seeds. Today some seeds take hours (a page on a burst just
    // before holds it back) or never page.
    const delays = [1, 2, 3, 4, 5].map((seed) => {
      const u = prng(seed);
      const at = pages(3600, MIN, (i) => {
        const base = poisson(u, i >= 3000 ? 40 : 20);
        return u() < 0.03 ? Math.round(base * (3 + 7 * u())) : base;
      });
      const after = at.find((i) => i >= 3000);
      return after === undefined ? Number.POSITIVE_INFINITY : after - 3000;
    });
    expect(delays.some((d) => d > 10)).toBe(true);
  });

  it('a flat gauge: a ±1 blip on a constant 100 pages every time, however often it was seen', () => {
    // Target: after the first few, a blip of one unit is ordinary. Today the scale is 0.1% of
    // the level, so every blip is a 10-sd event.
    const blips = [] as number[];
    const det = ensemble();
    const s = det.create();
    for (let i = 0; i < 20_000; i++) {
      const blip = i % 1000 === 500;
      const r = det.update(s, T0 + i * MIN, blip ? 101 : 100);
      if (blip) blips.push(r.score);
    }
    expect(blips.slice(-5).every((x) => x >= 0.9)).toBe(true);
  });

  it('a short hourly series: a level shift on day 9 is not paged within 6 hours', () => {
    // Three weeks of hourly points with a daily swing; +6 noise sd from day 9, 13:00. Target:
    // paged within 6 hours. Today the constants are counted in samples (warm-up 150 = 6 days,
    // 10 samples per hour bin = 10 days): while the hour bins learn, the daily swing hides it.
    const g = gaussian(1);
    const shiftAt = 9 * 24 + 13;
    const at = pages(21 * 24, HOUR, (i, t) => 100 + daily(t) + 3 * g() + (i >= shiftAt ? 18 : 0));
    expect(at.some((i) => i >= shiftAt && i < shiftAt + 6)).toBe(false);
  });
});
