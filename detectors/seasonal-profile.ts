/**
 * Seasonal baseline: an hour-of-day (or hour-of-week) profile. Each bin of the period keeps an
 * EWMA of the values seen in it and of their absolute deviation; a value is scored by its
 * distance from its bin's mean in units of the bin's deviation. Local time, DST-aware (see
 * time-of-period.ts), so "Monday 09:00" stays Monday 09:00 across a clock change.
 *
 * Parameters:
 * - `period` ('day'), `bins` (24: one per hour), `timeZone` ('UTC').
 * - `alpha` (0.1): EWMA weight within a bin once it has 1/alpha samples (1/n before).
 * - `minBinSamples` (10): a bin scores only after this many samples.
 * - `zStart` (3.5), `zScale` (1.086): z-to-score mapping as for the EWMA detector.
 * State: 2 + 3 * bins float64 (24 bins: 592 bytes; 168 bins: 4 KiB).
 */
import {
  FIRST_FREE,
  MEAN_ABS_DEV_TO_SD,
  bandAround,
  floatDetector,
  flooredScale,
  requireInt,
  requireRange,
  takenResult,
} from './base.js';
import type { Detector } from './contract.js';
import { zToScore } from './ewma.js';
import { localClock, periodMinutes, type Period } from './time-of-period.js';

export interface SeasonalParams {
  readonly period: Period;
  readonly bins: number;
  readonly timeZone: string;
  readonly alpha: number;
  readonly minBinSamples: number;
  readonly zStart: number;
  readonly zScale: number;
}

export const defaultSeasonalParams: SeasonalParams = Object.freeze({
  period: 'day',
  bins: 24,
  timeZone: 'UTC',
  alpha: 0.1,
  minBinSamples: 10,
  zStart: 3.5,
  zScale: 2.5 / Math.LN10,
});

export function createSeasonalDetector(
  p: SeasonalParams = defaultSeasonalParams,
): Detector<Float64Array> {
  if (!['day', 'week'].includes(p.period)) {
    throw new RangeError(`seasonal period must be day or week, got "${p.period}"`);
  }
  requireInt('seasonal', 'bins', p.bins);
  requireRange('seasonal', 'alpha', p.alpha, 0, 1);
  requireRange('seasonal', 'zScale', p.zScale, 0, Number.POSITIVE_INFINITY);
  requireInt('seasonal', 'minBinSamples', p.minBinSamples, 0);
  const clock = localClock(p.timeZone);
  const binMinutes = periodMinutes(p.period) / p.bins;
  const binOf = (t: number): number =>
    Math.min(p.bins - 1, Math.floor(clock.minuteOf(t, p.period) / binMinutes));
  const mean = (b: number): number => FIRST_FREE + 3 * b;
  const dev = (b: number): number => FIRST_FREE + 3 * b + 1;
  const count = (b: number): number => FIRST_FREE + 3 * b + 2;
  const sd = (s: Float64Array, b: number): number =>
    flooredScale(s[dev(b)]! * MEAN_ABS_DEV_TO_SD, s[mean(b)]!);
  const bandAt = (s: Float64Array, b: number) => bandAround(s[mean(b)]!, p.zStart * sd(s, b));
  return floatDetector({
    name: 'seasonal',
    slots: FIRST_FREE + 3 * p.bins,
    band: (s) => bandAt(s, binOf(s[1]! > 0 ? s[1]! : 0)),
    step(s, t, v) {
      const b = binOf(t);
      const n = s[count(b)]!;
      const band = bandAt(s, b);
      const learning = n < p.minBinSamples;
      const score = learning ? 0 : zToScore((v - s[mean(b)]!) / sd(s, b), p.zStart, p.zScale);
      // An outlier is learned only up to the band's edge, as in the EWMA detector.
      const x = learning ? v : Math.min(Math.max(v, band.lower), band.upper);
      const d = x - s[mean(b)]!;
      if (n === 0) s[mean(b)] = x;
      else {
        // The deviation from the mean before it moves, averaged over the n deviations seen
        // (an unbiased start; measuring after the move, from an initial 0, halved it).
        s[dev(b)]! += Math.max(p.alpha, 1 / n) * (Math.abs(d) - s[dev(b)]!);
        s[mean(b)]! += Math.max(p.alpha, 1 / (n + 1)) * d;
      }
      s[count(b)] = n + 1;
      return takenResult(score, n === 0 ? { expected: v, lower: v, upper: v } : band, learning);
    },
  });
}
