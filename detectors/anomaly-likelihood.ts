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

/** The learned tail's slots, after the ring (`learnedTail` trackers only): the share of z's
 * above TAIL_FROM (EWMA), the mean and mean square of their excesses, how many excesses were
 * seen, the last z (learned at the next step, so that a z is scored before it is learned) and
 * how many z's were kept. */
const RATE = 0;
const EX1 = 1;
const EX2 = 2;
const NEX = 3;
const LAST_Z = 4;
const SEEN = 5;
const TAIL_SLOTS = 6;

/** Slots of one tracker; a tracker that learns its tail (`tailScore`) has TAIL_SLOTS more. */
export const likelihoodSlots = (window: number, learnedTail = false): number =>
  RING + window + (learnedTail ? TAIL_SLOTS : 0);

const LOG_EPS = Math.log(1e-10);
const MIN_HISTORY = 50;
/** Beyond this z the tail is learned from the tracker's own z's (peaks over threshold). */
const TAIL_FROM = 2;
/** Excesses seen before the learned tail is used. */
const MIN_EXCESSES = 10;
/** EWMA weight of the excess moments: about the last 100 excesses. */
const EXCESS_ALPHA = 0.01;
/**
 * Smallest shape of the fitted tail. A moments fit on a hundred excesses often finds a short
 * bounded tail (xi < 0) and then calls anything beyond its endpoint impossible; -0.1 allows a
 * bounded tail but not a near endpoint (null suite: 52 of 52 cells with -0.1, 50 with -0.2, 38
 * unbounded; decision 0005).
 */
const XI_MIN = -0.1;

/**
 * Adds `raw`, a squared residual (z^2), to the tracker at `s[at..]` and returns how far the cube
 * root of the short-window mean (window `window` samples) lies above its long-run mean, in
 * long-run standard deviations (EWMA, weight `alpha`). Returns -Infinity while `ready` is false
 * or the long-run estimate has seen fewer than MIN_HISTORY residuals. Callers that combine
 * several trackers take the max z and call `likelihoodScore` once (it is monotone). With
 * `learnTailNow` (a tracker of `likelihoodSlots(window, true)`), the z is also learned into the
 * tracker's tail, which `tailScore` reads.
 */
export function likelihoodZ(
  s: Float64Array,
  at: number,
  window: number,
  alpha: number,
  raw: number,
  ready: boolean,
  learnTailNow = false,
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
  const trusted = s[at + COUNT]! >= MIN_HISTORY;
  const z =
    (ready || learnTailNow) && trusted
      ? (shortMean - s[at + MEAN]!) / (Math.sqrt(s[at + VAR]!) + 1e-9)
      : Number.NEGATIVE_INFINITY;
  if (learnTailNow && trusted) learnTail(s, at + RING + window, z, alpha);
  // Until 1/alpha residuals are seen, a plain running mean and variance: an EWMA started at 0
  // would underestimate the variance for its first ~1/alpha samples and fire on noise.
  const count = s[at + COUNT]! + 1;
  s[at + COUNT] = count;
  const a = Math.max(alpha, 1 / count);
  const d = shortMean - s[at + MEAN]!;
  s[at + MEAN]! += a * d;
  s[at + VAR] = (1 - a) * (s[at + VAR]! + a * d * d);
  return ready ? z : Number.NEGATIVE_INFINITY;
}

/**
 * Learns the previous z into the tail at `s[t..]` (whether it exceeded TAIL_FROM, and by how
 * much) and keeps `z` for the next step. The share is a running mean that settles into an EWMA
 * of weight `alpha` (the tracker's own); the excess moments' weight settles at EXCESS_ALPHA.
 */
function learnTail(s: Float64Array, t: number, z: number, alpha: number): void {
  const seen = s[t + SEEN]!;
  const last = s[t + LAST_Z]!;
  s[t + LAST_Z] = z;
  s[t + SEEN] = seen + 1;
  if (seen === 0) return; // nothing kept yet
  const over = last > TAIL_FROM;
  s[t + RATE]! += Math.max(alpha, 1 / seen) * ((over ? 1 : 0) - s[t + RATE]!);
  if (!over) return;
  const n = s[t + NEX]! + 1;
  s[t + NEX] = n;
  const w = Math.max(EXCESS_ALPHA, 1 / n);
  const y = last - TAIL_FROM;
  s[t + EX1]! += w * (y - s[t + EX1]!);
  s[t + EX2]! += w * (y * y - s[t + EX2]!);
}

/**
 * The log-scaled likelihood of `z` against a tracker that learns its tail (`likelihoodSlots(w,
 * true)`, `likelihoodZ(..., learnTailNow)`): the larger of two tail probabilities, the Gaussian
 * one (`likelihoodScore`) and the one learned from the tracker's own z's, the share beyond
 * TAIL_FROM times a generalised Pareto tail fitted to the excesses by moments (peaks over
 * threshold as in Siffer, Fouque, Termier & Largouët, "Anomaly detection in streams with
 * extreme value theory", KDD 2017). So a channel whose residuals are heavy-tailed (bursty
 * counts, log-normal values, a gauge's rare steps) needs a z as rare as its own history says;
 * the learned tail can only make a z less surprising, never more.
 */
export function tailScore(s: Float64Array, at: number, window: number, z: number): number {
  const gaussian = likelihoodScore(z);
  const t = at + RING + window;
  if (gaussian === 0 || s[t + NEX]! < MIN_EXCESSES) return gaussian;
  let logTail = Math.log(s[t + RATE]! + 1e-300);
  if (z > TAIL_FROM) {
    const y = z - TAIL_FROM;
    const m1 = s[t + EX1]!;
    const v = s[t + EX2]! - m1 * m1;
    // Moments: xi = (1 - m1² / v) / 2; sigma = m1 (1 - xi), the GPD's mean being sigma / (1 - xi).
    const xi = v > 0 ? Math.max(XI_MIN, 0.5 * (1 - (m1 * m1) / v)) : XI_MIN;
    const sigma = m1 * (1 - xi);
    const u = 1 + (xi * y) / sigma;
    if (!(sigma > 0 && u > 0)) logTail = Number.NEGATIVE_INFINITY;
    else logTail -= Math.abs(xi) < 1e-9 ? y / sigma : Math.log(u) / xi;
  }
  const learned = logTail / LOG_EPS;
  return learned < gaussian ? (learned > 0 ? learned : 0) : gaussian;
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
