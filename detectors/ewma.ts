/**
 * EWMA mean/variance z-score detector.
 *
 * Computes an exponentially weighted moving mean and variance (the incremental form in
 * T. Finch, "Incremental calculation of weighted mean and variance", 2009, eqs. 124-143) and
 * scores each value by its z-score against the state learned from earlier samples only.
 *
 * The z-score becomes a score in [0, 1] by `1 - exp(-(|z| - zStart) / zScale)` above `zStart`
 * (0 below it): with the defaults |z| = 3.5 scores 0, |z| = 4.5 about 0.6 and |z| = 6 about 0.9.
 * A value outside the band is learned only up to the band's edge and leaves the variance as it
 * was (a Huber-style robust update), so one spike does not widen the band for the samples after
 * it, while a lasting level shift is still learned, over about 1/(alpha * zStart) std steps.
 *
 * Parameters:
 * - `alpha` (0.05): weight of the newest sample; the memory is about 1/alpha samples.
 * - `warmup` (30): samples seen before the detector scores anything (score 0, learning).
 * - `zStart` (3.5), `zScale` (1.086): the z-to-score mapping above.
 * - `minStdRelative` (0.001), `minStdAbsolute` (1e-9): floor of the standard deviation, as a
 *   fraction of |mean| and absolute, so a flat series does not score infinite on a tiny wobble.
 */
import { SampleOutcome, type Detector, type DetectorResult } from './contract.js';

export interface EwmaParams {
  readonly alpha: number;
  readonly warmup: number;
  readonly zStart: number;
  readonly zScale: number;
  readonly minStdRelative: number;
  readonly minStdAbsolute: number;
}

export const defaultEwmaParams: EwmaParams = Object.freeze({
  alpha: 0.05,
  warmup: 30,
  zStart: 3.5,
  zScale: 2.5 / Math.LN10,
  minStdRelative: 0.001,
  minStdAbsolute: 1e-9,
});

/** State: four float64 values, 32 bytes per series. */
export interface EwmaState {
  /** Samples taken. */
  n: number;
  lastTs: number;
  mean: number;
  variance: number;
}

const FIELDS = 4;

/** Maps a z-score to an anomaly score in [0, 1]. */
export function zToScore(z: number, zStart: number, zScale: number): number {
  const excess = Math.abs(z) - zStart;
  if (!(excess > 0)) return 0;
  return 1 - Math.exp(-excess / zScale);
}

export function createEwmaDetector(params: EwmaParams = defaultEwmaParams): Detector<EwmaState> {
  const { alpha, warmup, zStart, zScale, minStdRelative, minStdAbsolute } = params;
  if (!(alpha > 0 && alpha <= 1))
    throw new RangeError(`ewma alpha must be in (0, 1], got ${alpha}`);
  if (!(zScale > 0)) throw new RangeError(`ewma zScale must be > 0, got ${zScale}`);

  const band = (s: EwmaState): { std: number; lower: number; upper: number } => {
    const std = Math.max(Math.sqrt(s.variance), Math.abs(s.mean) * minStdRelative, minStdAbsolute);
    return { std, lower: s.mean - zStart * std, upper: s.mean + zStart * std };
  };

  const notTaken = (s: EwmaState, outcome: SampleOutcome): DetectorResult => {
    const b = band(s);
    return {
      score: 0,
      expected: s.mean,
      lower: b.lower,
      upper: b.upper,
      learning: s.n < warmup,
      outcome,
    };
  };

  return {
    name: 'ewma',
    create: () => ({ n: 0, lastTs: Number.NEGATIVE_INFINITY, mean: 0, variance: 0 }),
    lastTimestamp: (s) => s.lastTs,
    update(s, t, v) {
      if (!Number.isFinite(v) || !Number.isFinite(t)) return notTaken(s, SampleOutcome.Invalid);
      if (t <= s.lastTs) return notTaken(s, SampleOutcome.NotNewer);
      s.lastTs = t;
      if (s.n === 0) {
        s.n = 1;
        s.mean = v;
        s.variance = 0;
        return {
          score: 0,
          expected: v,
          lower: v,
          upper: v,
          learning: warmup > 1,
          outcome: 'taken',
        };
      }
      const { std, lower, upper } = band(s);
      const learning = s.n < warmup;
      const score = learning ? 0 : zToScore((v - s.mean) / std, zStart, zScale);
      const result: DetectorResult = {
        score,
        expected: s.mean,
        lower,
        upper,
        learning,
        outcome: SampleOutcome.Taken,
      };
      // Once warm, an outlier is learned only as far as the band's edge, and it does not grow
      // the variance: a spike leaves the band as it was, and a lasting level shift is learned by
      // the mean walking toward it (alpha * zStart std per sample), so it stays anomalous for
      // a while instead of widening the band away within a few samples.
      const outlier = !learning && (v < lower || v > upper);
      const x = outlier ? Math.min(Math.max(v, lower), upper) : v;
      const diff = x - s.mean;
      const incr = alpha * diff;
      const mean = s.mean + incr;
      const variance = outlier
        ? (1 - alpha) * (s.variance + alpha * std * std)
        : (1 - alpha) * (s.variance + diff * incr);
      // Values near the float limits could overflow the state: such a sample is scored, not learned.
      if (Number.isFinite(mean) && Number.isFinite(variance)) {
        s.mean = mean;
        s.variance = variance;
      }
      s.n += 1;
      return result;
    },
    encode(s) {
      const out = new Uint8Array(FIELDS * 8);
      const view = new DataView(out.buffer);
      [s.n, s.lastTs, s.mean, s.variance].forEach((v, i) => {
        view.setFloat64(i * 8, v, true);
      });
      return out;
    },
    decode(bytes) {
      if (bytes.byteLength !== FIELDS * 8) {
        throw new RangeError(`ewma state must be ${FIELDS * 8} bytes, got ${bytes.byteLength}`);
      }
      // A DataView honours byteOffset: `bytes` may be a view into a larger (pooled) buffer.
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const f = (i: number): number => view.getFloat64(i * 8, true);
      return { n: f(0), lastTs: f(1), mean: f(2), variance: f(3) };
    },
  };
}
