/**
 * Shared plumbing of the Float64Array-state detectors: slot 0 counts samples taken, slot 1
 * holds the last timestamp; the NaN/Inf and not-newer checks happen here, once.
 */
import { SampleOutcome, type Detector, type DetectorResult } from './contract.js';
import { decodeFloats, encodeFloats, floatsView } from './float-state.js';

export const N = 0;
export const LAST_TS = 1;
/** First slot a detector may use for itself. */
export const FIRST_FREE = 2;

/** Larger magnitudes are rejected as invalid (their squares overflow). */
export const MAX_ABS_VALUE = 1e150;

/** Mean absolute deviation to standard deviation for normal data (sqrt(pi/2)). */
export const MEAN_ABS_DEV_TO_SD = 1.2533;

export interface FloatDetectorSpec {
  readonly name: string;
  readonly slots: number;
  /** Sets the detector's own initial slots (all start at 0). */
  init?(s: Float64Array): void;
  /** The band the next sample would be compared against (for results of samples not taken). */
  band(s: Float64Array): { expected: number; lower: number; upper: number };
  /** Scores `v` at `t` against the state, then learns it. `s[N]` is the count before this sample. */
  step(s: Float64Array, t: number, v: number): DetectorResult;
}

export function floatDetector(spec: FloatDetectorSpec): Detector<Float64Array> {
  const notTaken = (s: Float64Array, outcome: SampleOutcome): DetectorResult => ({
    score: 0,
    ...spec.band(s),
    learning: true,
    outcome,
  });
  return {
    name: spec.name,
    create() {
      const s = new Float64Array(spec.slots);
      s[LAST_TS] = Number.NEGATIVE_INFINITY;
      spec.init?.(s);
      return s;
    },
    lastTimestamp: (s) => s[LAST_TS]!,
    update(s, t, v) {
      // Beyond 1e150 a square overflows to Infinity and would poison the state for good: no
      // real metric is that large, so such a value is flagged invalid like NaN.
      if (!Number.isFinite(v) || !Number.isFinite(t) || Math.abs(v) > MAX_ABS_VALUE) {
        return notTaken(s, SampleOutcome.Invalid);
      }
      if (t <= s[LAST_TS]!) return notTaken(s, SampleOutcome.NotNewer);
      const r = spec.step(s, t, v);
      s[LAST_TS] = t;
      s[N]! += 1;
      return r;
    },
    encode: encodeFloats,
    encodedView: floatsView,
    decode: (bytes) => decodeFloats(bytes, spec.slots, spec.name),
  };
}

/**
 * A scale floored at 0.1% of |center| and at 1e-9, so a flat series does not score infinite on
 * a tiny wobble.
 */
export const flooredScale = (scale: number, center: number): number =>
  Math.max(scale, Math.abs(center) * 1e-3, 1e-9);

/** The band `center ± halfWidth` as a result's expected/lower/upper. */
export const bandAround = (center: number, halfWidth: number) => ({
  expected: center,
  lower: center - halfWidth,
  upper: center + halfWidth,
});

/**
 * A taken sample's result. Built field by field: object spread on this hot path cost the
 * ensemble two thirds of its throughput (bench/detectors.ts).
 */
export function takenResult(
  score: number,
  band: { expected: number; lower: number; upper: number },
  learning: boolean,
): DetectorResult {
  return {
    score,
    expected: band.expected,
    lower: band.lower,
    upper: band.upper,
    learning,
    outcome: 'taken',
  };
}

/** Throws RangeError unless `v` is an integer >= `min` (config values reach detectors as-is). */
export function requireInt(detector: string, name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(`${detector} ${name} must be an integer >= ${min}, got ${v}`);
  }
}

/** Throws RangeError unless lo < v <= hi (lo exclusive). */
export function requireRange(
  detector: string,
  name: string,
  v: number,
  lo: number,
  hi: number,
): void {
  if (!(v > lo && v <= hi))
    throw new RangeError(`${detector} ${name} must be in (${lo}, ${hi}], got ${v}`);
}
