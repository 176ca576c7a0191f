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
import { normalCdf } from './float-state.js';

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
 * Adds raw residual `raw` to the tracker at `s[at..]` and returns the log-scaled likelihood of
 * the short-window mean (window `window` samples) against the long-run mean/variance (EWMA,
 * weight `alpha`). Returns 0 while `ready` is false (the long-run estimate still learns).
 */
export function likelihoodStep(
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
  s[at + POS] = (pos + 1) % window;
  const shortMean = s[at + SUM]! / s[at + LEN]!;
  let score = 0;
  // A long-run distribution of fewer than MIN_HISTORY residuals is not trusted yet.
  if (ready && s[at + COUNT]! >= MIN_HISTORY) {
    const z = (shortMean - s[at + MEAN]!) / (Math.sqrt(s[at + VAR]!) + 1e-9);
    const likelihood = normalCdf(z);
    score = Math.log(1.0000000001 - likelihood) / LOG_EPS;
    if (!(score > 0)) score = 0;
    else if (score > 1) score = 1;
  }
  // Until 1/alpha residuals are seen, a plain running mean and variance: an EWMA started at 0
  // would underestimate the variance for its first ~1/alpha samples and fire on noise.
  const count = s[at + COUNT]! + 1;
  s[at + COUNT] = count;
  const a = Math.max(alpha, 1 / count);
  const d = shortMean - s[at + MEAN]!;
  s[at + MEAN]! += a * d;
  s[at + VAR] = (1 - a) * (s[at + VAR]! + a * d * d);
  return score;
}
