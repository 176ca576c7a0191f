/**
 * Multi-window, multi-burn-rate SLO alerting for ratio signals (error ratio in [0, 1]), as in
 * the Google SRE Workbook, "Alerting on SLOs", recommendation 6: page when both the 1 h and
 * the 5 min burn rate exceed 14.4, or both the 6 h and the 30 min burn rate exceed 6.
 * Burn rate = error ratio / (1 - objective). Windows are exact over event time, kept as
 * per-minute buckets (60) and per-5-minute buckets (72) of sum and count.
 * score = 1 - 0.1^m with m = max over the rules of min(long, short burn) / factor: 0.9 when a
 * rule is just met.
 *
 * Parameters: `objective` (0.999), rules as above (fixed, from the workbook).
 * State: 2 + 3 * (60 + 72) float64 (3.2 KiB).
 */
import { FIRST_FREE, floatDetector } from './base.js';
import type { Detector } from './contract.js';

export interface BurnRateParams {
  readonly objective: number;
}

export const defaultBurnRateParams: BurnRateParams = Object.freeze({ objective: 0.999 });

const MINUTE = 60_000;
const FINE = 60; // 1-minute buckets: 1 h
const COARSE = 72; // 5-minute buckets: 6 h
const FINE_AT = FIRST_FREE;
const COARSE_AT = FIRST_FREE + 3 * FINE;

/** [long window min, short window min, factor] */
const RULES = [
  [60, 5, 14.4],
  [360, 30, 6],
] as const;

export function createBurnRateDetector(
  p: BurnRateParams = defaultBurnRateParams,
): Detector<Float64Array> {
  if (!(p.objective > 0 && p.objective < 1))
    throw new RangeError(`burn_rate objective must be in (0, 1), got ${p.objective}`);
  const budget = 1 - p.objective;

  const add = (s: Float64Array, at: number, slots: number, bucket: number, v: number): void => {
    const i = at + 3 * (((bucket % slots) + slots) % slots);
    if (s[i + 2]! !== bucket) {
      s[i] = 0;
      s[i + 1] = 0;
      s[i + 2] = bucket;
    }
    s[i]! += v;
    s[i + 1]! += 1;
  };
  /** Mean ratio over the buckets (newest - k, newest]. */
  const mean = (s: Float64Array, at: number, slots: number, newest: number, k: number): number => {
    let sum = 0;
    let count = 0;
    for (let b = newest - k + 1; b <= newest; b++) {
      const i = at + 3 * (((b % slots) + slots) % slots);
      if (s[i + 2]! === b) {
        sum += s[i]!;
        count += s[i + 1]!;
      }
    }
    return count > 0 ? sum / count : 0;
  };
  const burn = (s: Float64Array, t: number, minutes: number): number => {
    const minute = Math.floor(t / MINUTE);
    const ratio =
      minutes <= FINE
        ? mean(s, FINE_AT, FINE, minute, minutes)
        : mean(s, COARSE_AT, COARSE, Math.floor(minute / 5), minutes / 5);
    return ratio / budget;
  };

  return floatDetector({
    name: 'burn_rate',
    slots: COARSE_AT + 3 * COARSE,
    init(s) {
      // Bucket ids start at -1 so that bucket 0 of the epoch is not mistaken for a filled one.
      for (let i = FIRST_FREE + 2; i < s.length; i += 3) s[i] = -1;
    },
    band: () => ({ expected: budget, lower: 0, upper: budget * RULES[1][2] }),
    step(s, t, v) {
      const minute = Math.floor(t / MINUTE);
      add(s, FINE_AT, FINE, minute, v);
      add(s, COARSE_AT, COARSE, Math.floor(minute / 5), v);
      let m = 0;
      for (const [long, short, factor] of RULES) {
        m = Math.max(m, Math.min(burn(s, t, long), burn(s, t, short)) / factor);
      }
      return {
        score: m > 0 ? 1 - Math.pow(0.1, m) : 0,
        expected: budget,
        lower: 0,
        upper: budget * RULES[1][2],
        learning: false,
        outcome: 'taken',
      };
    },
  });
}
