/**
 * Level-shift detection: two-sided CUSUM (Page, "Continuous inspection schemes", Biometrika
 * 1954) on residuals standardised by an EWMA mean and variance. Small persistent shifts add up
 * until a sum passes `h`; after an alarm the sums restart and the mean moves to the new level.
 *
 * Parameters:
 * - `k` (0.5): allowance in standard deviations (detects shifts of about 2k sd best).
 * - `h` (5): decision interval in sd; the score is 0.9 when a sum reaches h.
 * - `alpha` (0.02): EWMA weight of the baseline mean and variance (learned only when in control).
 * - `warmup` (30): samples before scoring.
 * State: 7 float64 (56 bytes).
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

export interface CusumParams {
  readonly k: number;
  readonly h: number;
  readonly alpha: number;
  readonly warmup: number;
}

export const defaultCusumParams: CusumParams = Object.freeze({
  k: 0.5,
  h: 5,
  alpha: 0.02,
  warmup: 30,
});

const MEAN = FIRST_FREE;
const VAR = FIRST_FREE + 1;
const S_POS = FIRST_FREE + 2;
const S_NEG = FIRST_FREE + 3;
/** Fast EWMA (weight 0.2) of the value: the level the baseline restarts from after an alarm. */
const RECENT = FIRST_FREE + 4;
const RECENT_ALPHA = 0.2;

export function createCusumDetector(p: CusumParams = defaultCusumParams): Detector<Float64Array> {
  requireRange('cusum', 'h', p.h, 0, Number.POSITIVE_INFINITY);
  requireRange('cusum', 'k', p.k, -1, Number.POSITIVE_INFINITY);
  requireRange('cusum', 'alpha', p.alpha, 0, 1);
  requireInt('cusum', 'warmup', p.warmup, 0);
  const sd = (s: Float64Array): number => flooredScale(Math.sqrt(s[VAR]!), s[MEAN]!);
  const band = (s: Float64Array) => bandAround(s[MEAN]!, p.h * sd(s));
  return floatDetector({
    name: 'cusum',
    slots: FIRST_FREE + 5,
    band,
    step(s, _t, v) {
      const n = s[N]!;
      const b = band(s);
      const learning = n < p.warmup;
      const z = (v - s[MEAN]!) / sd(s);
      let score = 0;
      if (!learning) {
        s[S_POS] = Math.max(0, s[S_POS]! + z - p.k);
        s[S_NEG] = Math.max(0, s[S_NEG]! - z - p.k);
        const sum = Math.max(s[S_POS], s[S_NEG]);
        score = 1 - Math.pow(0.1, sum / p.h);
        if (sum >= p.h) {
          // Alarm: restart the sums, and the baseline from the recent level. (Restarting from
          // the alarming sample itself, an extreme value on noise, made alarms repeat.)
          s[S_POS] = 0;
          s[S_NEG] = 0;
          s[MEAN] = s[RECENT]!;
        }
      }
      s[RECENT] = n === 0 ? v : s[RECENT]! + RECENT_ALPHA * (v - s[RECENT]!);
      const inControl = learning || Math.abs(z) < 3;
      if (inControl) {
        const a = learning ? 1 / (n + 1) : p.alpha;
        const d = v - s[MEAN]!;
        s[MEAN]! += a * d;
        s[VAR] = (1 - a) * (s[VAR]! + a * d * d);
      }
      return takenResult(score, b, learning);
    },
  });
}
