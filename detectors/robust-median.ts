/**
 * Robust location/scale z-score: a streaming median and median absolute deviation (MAD),
 * each tracked by a scale-adaptive stochastic-approximation quantile estimator (Robbins &
 * Monro 1951; the "frugal streaming" family of Ma, Muthukrishnan & Sandler 2013). One outlier
 * moves the median and MAD by at most one small step, so it cannot inflate the band.
 *
 * Parameters:
 * - `step` (0.05): step size as a fraction of the current MAD.
 * - `warmup` (30): samples before scoring.
 * - `zStart` (3.5), `zScale` (1.086): z-to-score mapping, as for the EWMA detector.
 * State: 4 float64 (32 bytes).
 */
import {
  FIRST_FREE,
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

export interface RobustMedianParams {
  readonly step: number;
  readonly warmup: number;
  readonly zStart: number;
  readonly zScale: number;
}

export const defaultRobustMedianParams: RobustMedianParams = Object.freeze({
  step: 0.05,
  warmup: 30,
  zStart: 3.5,
  zScale: 2.5 / Math.LN10,
});

const MEDIAN = FIRST_FREE;
const MAD = FIRST_FREE + 1;
/** MAD to standard deviation for normal data. */
const MAD_TO_SD = 1.4826;

export function createRobustMedianDetector(
  p: RobustMedianParams = defaultRobustMedianParams,
): Detector<Float64Array> {
  requireRange('robust_median', 'step', p.step, 0, 1);
  requireRange('robust_median', 'zScale', p.zScale, 0, Number.POSITIVE_INFINITY);
  requireInt('robust_median', 'warmup', p.warmup, 0);
  const sd = (s: Float64Array): number => flooredScale(s[MAD]! * MAD_TO_SD, s[MEDIAN]!);
  const band = (s: Float64Array) => bandAround(s[MEDIAN]!, p.zStart * sd(s));
  return floatDetector({
    name: 'robust_median',
    slots: FIRST_FREE + 2,
    band,
    step(s, _t, v) {
      const n = s[N]!;
      if (n === 0) {
        s[MEDIAN] = v;
        s[MAD] = 0;
        return { score: 0, expected: v, lower: v, upper: v, learning: true, outcome: 'taken' };
      }
      const b = band(s);
      const learning = n < p.warmup;
      const score = learning ? 0 : zToScore((v - s[MEDIAN]!) / sd(s), p.zStart, p.zScale);
      if (learning) {
        // Warm-up: running mean and mean absolute deviation, which settle fast from nothing.
        const rate = 1 / (n + 1);
        s[MEDIAN]! += rate * (v - s[MEDIAN]!);
        s[MAD]! += rate * (Math.abs(v - s[MEDIAN]!) - s[MAD]!);
      } else {
        // Then robust steps: each sample moves the estimates by at most step * MAD.
        const unit = flooredScale(s[MAD]!, s[MEDIAN]!);
        s[MEDIAN]! += p.step * unit * Math.sign(v - s[MEDIAN]!);
        s[MAD]! += p.step * unit * Math.sign(Math.abs(v - s[MEDIAN]!) - s[MAD]!);
      }
      return takenResult(score, b, learning);
    },
  });
}
