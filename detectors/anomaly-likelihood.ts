/**
 * Calibration: turns a raw residual stream into an anomaly likelihood, the tail probability of
 * the recent mean residual against the long-run distribution of the same detector's residuals
 * (Ahmad, Lavin, Purdy & Agha, "Unsupervised real-time anomaly detection for streaming data",
 * Neurocomputing 2017, section 4.3: short window mean vs. long-run mean and variance, Gaussian
 * tail). So one threshold means the same across series and detectors: "as rare as 1 in 10^x".
 * The output is log-scaled like NAB's HTM detector: log(1 - L) / log(1e-10), in [0, 1].
 *
 * It works on a slice of a Float64Array state (`slots(window)` floats from `at`) so that a
 * detector can embed several trackers in its one flat state.
 */

const MEAN = 0;
const VAR = 1;
const SUM = 2;
const POS = 3;
const LEN = 4;
const COUNT = 5;
const RING = 6;

export const likelihoodSlots = (window: number): number => RING + window;

const LOG_EPS = Math.log(1e-10);
const MIN_HISTORY = 50;

/**
 * Adds `raw`, a squared residual (z^2), to the tracker at `s[at..]` and returns how far the cube
 * root of the short-window mean (window `window` samples) lies above its long-run mean, in
 * long-run standard deviations (EWMA, weight `alpha`). Returns -Infinity while `ready` is false
 * or the long-run estimate has seen fewer than MIN_HISTORY residuals. Callers that combine
 * several trackers take the max z and call `likelihoodScore` once (it is monotone).
 */
export function likelihoodZ(
  s: Float64Array,
  at: number,
  window: number,
  alpha: number,
  raw: number,
  ready: boolean,
): number {
  const pos = s[at + POS]!;
  const len = s[at + LEN]!;
  if (len >= window) s[at + SUM]! -= s[at + RING + pos]!;
  else s[at + LEN] = len + 1;
  s[at + RING + pos] = raw;
  s[at + SUM]! += raw;
  s[at + POS] = pos + 1 === window ? 0 : pos + 1; // not %: a float modulo per sample
  // The short-window mean of squares is chi-square-like and skewed, so it is compared on its
  // cube root, which is close to Gaussian (Wilson & Hilferty 1931): the Gaussian tail of
  // likelihoodScore then means what it says.
  const shortMean = Math.cbrt(s[at + SUM]! / s[at + LEN]!);
  // A long-run distribution of fewer than MIN_HISTORY residuals is not trusted yet.
  const z =
    ready && s[at + COUNT]! >= MIN_HISTORY
      ? (shortMean - s[at + MEAN]!) / (Math.sqrt(s[at + VAR]!) + 1e-9)
      : Number.NEGATIVE_INFINITY;
  // Until 1/alpha residuals are seen, a plain running mean and variance: an EWMA started at 0
  // would underestimate the variance for its first ~1/alpha samples and fire on noise.
  const count = s[at + COUNT]! + 1;
  s[at + COUNT] = count;
  const a = Math.max(alpha, 1 / count);
  const d = shortMean - s[at + MEAN]!;
  s[at + MEAN]! += a * d;
  s[at + VAR] = (1 - a) * (s[at + VAR]! + a * d * d);
  return z;
}

/**
 * The log-scaled likelihood of a z: log(1 - Phi(z)) / log(1e-10), clamped to [0, 1]. The tail
 * is taken on a log scale straight from Abramowitz & Stegun 7.1.26 (erfc(x) = poly(t) e^(-x²),
 * x = z / sqrt 2): log(1 - Phi(z)) = log(poly(t) / 2) - z² / 2, one logarithm and no
 * exponential, and no cancellation in the far tail.
 */
export function likelihoodScore(z: number): number {
  if (!(z > 0)) return 0; // Phi(0) = 0.5: score ~0.03; below it, 0
  const t = 1 / (1 + 0.3275911 * (z / Math.SQRT2));
  const poly =
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  const score = (Math.log(0.5 * poly) - 0.5 * z * z) / LOG_EPS;
  return score > 1 ? 1 : score;
}

/** One tracker step and its score (`likelihoodZ` then `likelihoodScore`). */
export function likelihoodStep(
  s: Float64Array,
  at: number,
  window: number,
  alpha: number,
  raw: number,
  ready: boolean,
): number {
  return likelihoodScore(likelihoodZ(s, at, window, alpha, raw, ready));
}

/** Slots of a shadow window (`shadowZ`): its sum and its ring. */
export const shadowSlots = (window: number): number => 1 + window;

/**
 * The z of a second residual stream against the calibration of the tracker at `s[at..]`, which
 * it does not change: its own short window lives at `s[shadowAt..]` and follows the tracker's
 * ring position. For a part of a channel's residual (what a gate leaves of it), judged by the
 * distribution of the whole. Call it before `likelihoodZ` adds the tracker's own residual.
 * With `wanted` false it only keeps its window and returns -Infinity (saves the cube root); it
 * also returns -Infinity for any z <= 0, which scores 0 like -Infinity.
 */
export function shadowZ(
  s: Float64Array,
  at: number,
  shadowAt: number,
  window: number,
  raw: number,
  wanted: boolean,
): number {
  const pos = s[at + POS]!;
  const len = s[at + LEN]!;
  if (len >= window) s[shadowAt]! -= s[shadowAt + 1 + pos]!;
  s[shadowAt + 1 + pos] = raw;
  s[shadowAt]! += raw;
  if (!(wanted && s[at + COUNT]! >= MIN_HISTORY)) return Number.NEGATIVE_INFINITY;
  const meanSquare = Math.max(0, s[shadowAt]!) / Math.min(len + 1, window);
  const mean = s[at + MEAN]!;
  // z <= 0 scores 0 whatever its value (likelihoodScore): spare the cube root and the sqrt.
  if (mean > 0 && meanSquare <= mean * mean * mean) return Number.NEGATIVE_INFINITY;
  return (Math.cbrt(meanSquare) - mean) / (Math.sqrt(s[at + VAR]!) + 1e-9);
}
