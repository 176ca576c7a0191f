/**
 * Additive Holt-Winters (Holt 1957, Winters 1960; the form in Hyndman & Athanasopoulos,
 * "Forecasting: Principles and Practice", 3rd ed., section 8.3): level, trend and a seasonal
 * term per position in a period of `period` samples. The one-step forecast is the expected
 * value; the residual is scored against an EWMA of its absolute size.
 *
 * Parameters:
 * - `period` (288: one day of 5-minute samples), `alpha` (0.1), `beta` (0.01), `gamma` (0.1).
 * - `warmup` (0 = two periods): samples before scoring.
 * - `zStart` (3.5), `zScale` (1.086): z-to-score mapping; residual scale EWMA weight 0.02.
 * State: 5 + period float64 (288: 2.3 KiB).
 */
import {
  FIRST_FREE,
  MEAN_ABS_DEV_TO_SD,
  N,
  bandAround,
  floatDetector,
  flooredScale,
  requireInt,
  requireRange,
  takenResult,
} from './base.js';
import type { Detector } from './contract.js';
import { zToScore } from './ewma.js';

export interface HoltWintersParams {
  readonly period: number;
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  /** Samples before scoring; 0 means two periods. */
  readonly warmup: number;
  readonly zStart: number;
  readonly zScale: number;
}

export const defaultHoltWintersParams: HoltWintersParams = Object.freeze({
  period: 288,
  alpha: 0.1,
  beta: 0.01,
  gamma: 0.1,
  warmup: 0,
  zStart: 3.5,
  zScale: 2.5 / Math.LN10,
});

const LEVEL = FIRST_FREE;
const TREND = FIRST_FREE + 1;
const RES = FIRST_FREE + 2;
const SEASON = FIRST_FREE + 3;
const RES_ALPHA = 0.02;

export function createHoltWintersDetector(
  p: HoltWintersParams = defaultHoltWintersParams,
): Detector<Float64Array> {
  if (!(Number.isInteger(p.period) && p.period >= 2))
    throw new RangeError(`holt_winters period must be an integer >= 2, got ${p.period}`);
  requireRange('holt_winters', 'alpha', p.alpha, 0, 1);
  requireRange('holt_winters', 'beta', p.beta, 0, 1);
  requireRange('holt_winters', 'gamma', p.gamma, 0, 1);
  requireRange('holt_winters', 'zScale', p.zScale, 0, Number.POSITIVE_INFINITY);
  requireInt('holt_winters', 'warmup', p.warmup, 0);
  const warmup = p.warmup > 0 ? p.warmup : 2 * p.period;
  const sd = (s: Float64Array): number => flooredScale(s[RES]! * MEAN_ABS_DEV_TO_SD, s[LEVEL]!);
  const forecast = (s: Float64Array): number =>
    s[LEVEL]! + s[TREND]! + s[SEASON + (s[N]! % p.period)]!;
  const band = (s: Float64Array) => {
    const f = forecast(s);
    return bandAround(f, p.zStart * sd(s));
  };
  return floatDetector({
    name: 'holt_winters',
    slots: SEASON + p.period,
    band,
    step(s, _t, v) {
      const n = s[N]!;
      const i = SEASON + (n % p.period);
      if (n < p.period) {
        // First period: the textbook initialisation. Level = its mean, seasonal terms = each
        // value's offset from it, trend 0 (Hyndman & Athanasopoulos, 8.3, "initialisation").
        s[i] = v;
        s[LEVEL]! += (v - s[LEVEL]!) / (n + 1);
        if (n === p.period - 1) {
          for (let j = 0; j < p.period; j++) s[SEASON + j]! -= s[LEVEL]!;
          s[TREND] = 0;
        }
        return { score: 0, expected: v, lower: v, upper: v, learning: true, outcome: 'taken' };
      }
      const b = band(s);
      const learning = n < warmup;
      const residual = v - b.expected;
      const score = learning ? 0 : zToScore(residual / sd(s), p.zStart, p.zScale);
      // Outliers are learned only up to the band's edge.
      const x = learning ? v : Math.min(Math.max(v, b.lower), b.upper);
      const level = s[LEVEL]!;
      const newLevel = p.alpha * (x - s[i]!) + (1 - p.alpha) * (level + s[TREND]!);
      s[TREND] = p.beta * (newLevel - level) + (1 - p.beta) * s[TREND]!;
      s[i] = p.gamma * (x - newLevel) + (1 - p.gamma) * s[i]!;
      s[LEVEL] = newLevel;
      const a = learning ? Math.max(RES_ALPHA, 1 / n) : RES_ALPHA;
      // While learning the scale is not known yet: take residuals whole (clamping them to a band
      // built from a near-zero scale kept it near zero, and it paged on noise after warm-up).
      const r = learning ? Math.abs(residual) : Math.min(Math.abs(residual), p.zStart * sd(s));
      s[RES]! += a * (r - s[RES]!);
      return takenResult(score, b, learning);
    },
  });
}
