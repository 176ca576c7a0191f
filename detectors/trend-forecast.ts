/**
 * Early warning by trend forecast: Holt's linear method (Holt 1957) over event time estimates
 * the level and the slope per ms, and from them the time until the value crosses a configured
 * threshold ("auth error ratio reaches 5% in ~6 min"). The score is 0.9 when that time equals
 * `leadMs` and rises to 1 as it shrinks: score = 1 - 0.1^(leadMs / eta); 1 once crossed.
 * A slope whose projected change over `leadMs` is within `noiseSd` residual deviations of zero
 * is treated as no trend, so a flat noisy series does not warn.
 *
 * Parameters: `threshold` (required), `direction` ('up' | 'down', 'up'), `leadMs` (10 min),
 * `alpha` (0.3), `beta` (0.05), `warmup` (10), `noiseSd` (3).
 * State: 6 float64 (48 bytes). The result carries `etaMs`.
 */
import {
  FIRST_FREE,
  MEAN_ABS_DEV_TO_SD,
  N,
  floatDetector,
  requireInt,
  requireRange,
  takenResult,
} from './base.js';
import type { Detector } from './contract.js';

export interface TrendForecastParams {
  readonly threshold: number;
  readonly direction: 'up' | 'down';
  readonly leadMs: number;
  readonly alpha: number;
  readonly beta: number;
  readonly warmup: number;
  readonly noiseSd: number;
}

export const defaultTrendForecastParams: Omit<TrendForecastParams, 'threshold'> = Object.freeze({
  direction: 'up',
  leadMs: 10 * 60_000,
  alpha: 0.3,
  beta: 0.05,
  warmup: 10,
  noiseSd: 3,
});

const LEVEL = FIRST_FREE;
const SLOPE = FIRST_FREE + 1;
const RES = FIRST_FREE + 2;
const PREV_TS = FIRST_FREE + 3;

export function createTrendForecastDetector(p: TrendForecastParams): Detector<Float64Array> {
  if (!Number.isFinite(p.threshold))
    throw new RangeError('trend_forecast needs a finite threshold');
  // Parameters come from config at run time: the type does not guarantee the value.
  if (!['up', 'down'].includes(p.direction)) {
    throw new RangeError(`trend_forecast direction must be up or down, got "${p.direction}"`);
  }
  requireRange('trend_forecast', 'leadMs', p.leadMs, 0, Number.POSITIVE_INFINITY);
  requireRange('trend_forecast', 'alpha', p.alpha, 0, 1);
  requireRange('trend_forecast', 'beta', p.beta, 0, 1);
  requireInt('trend_forecast', 'warmup', p.warmup, 2);
  const sign = p.direction === 'up' ? 1 : -1;
  const band = (s: Float64Array) => ({
    expected: s[LEVEL]!,
    lower: Math.min(s[LEVEL]!, p.threshold),
    upper: Math.max(s[LEVEL]!, p.threshold),
  });
  return floatDetector({
    name: 'trend_forecast',
    slots: FIRST_FREE + 4,
    band,
    step(s, t, v) {
      const n = s[N]!;
      if (n === 0) {
        s[LEVEL] = v;
        s[PREV_TS] = t;
        return { score: 0, expected: v, lower: v, upper: v, learning: true, outcome: 'taken' };
      }
      const dt = t - s[PREV_TS]!;
      const predicted = s[LEVEL]! + s[SLOPE]! * dt;
      const residual = v - predicted;
      const level = p.alpha * v + (1 - p.alpha) * predicted;
      const slope = p.beta * ((level - s[LEVEL]!) / dt) + (1 - p.beta) * s[SLOPE]!;
      s[RES]! += (n < p.warmup ? 1 / n : 0.05) * (Math.abs(residual) - s[RES]!);
      s[LEVEL] = level;
      s[SLOPE] = slope;
      s[PREV_TS] = t;
      const learning = n < p.warmup;
      const b = band(s);
      if (learning) return takenResult(0, b, learning);
      const gap = sign * (p.threshold - level);
      if (gap <= 0) return { ...takenResult(1, b, learning), etaMs: 0 };
      const rate = sign * slope; // towards the threshold, per ms
      const significant = rate * p.leadMs > p.noiseSd * s[RES]! * MEAN_ABS_DEV_TO_SD;
      if (!(rate > 0) || !significant) return takenResult(0, b, learning);
      const eta = gap / rate;
      return { ...takenResult(1 - Math.pow(0.1, p.leadMs / eta), b, learning), etaMs: eta };
    },
  });
}
