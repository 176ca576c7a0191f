/**
 * Early warning by trend forecast: a straight line fitted by exponentially weighted least
 * squares over event time (weights exp(-age / window), as in Brown's discounted least squares,
 * Brown 1963) gives the level now and the slope per ms, and from them the time until the value
 * crosses a configured threshold ("auth error ratio reaches 5% in ~6 min"). The score is 0.9
 * when that time equals `leadMs` and rises to 1 as it shrinks: score = 1 - 0.1^(leadMs / eta);
 * 1 once the fitted level is past the threshold.
 *
 * A slope only counts when it is significant: its t statistic (slope over its standard error,
 * from the fit's own weighted residuals, effective sample size n_eff = (Σw)² / Σw², at least 4)
 * must reach `significance`. Residuals include lack of fit, so at 60 s sampling a level shift,
 * which a line fits badly, is not mistaken for a trend, and flat noise gives t statistics near
 * 0. At 15 s a large step toward the threshold looks like a ramp for about one window and can
 * warn for a few minutes. The level counts as past the threshold once it is past by 1.5
 * standard errors of the level.
 *
 * The weights decay with time, not with the sample count, so the forecast reacts in the same
 * minutes whether a series is sampled every 15 s or every 60 s. The window is at least
 * `minWindowSamples` typical sample intervals, so a coarse series still fits over a few points.
 *
 * Parameters: `threshold` (required), `direction` ('up' | 'down', 'up'), `leadMs` (10 min),
 * `windowMs` (2 min: the weights' time constant), `minWindowSamples` (2), `significance` (4),
 * `warmup` (10 samples). State: 13 float64 (104 bytes). The result carries `etaMs`.
 */
import {
  FIRST_FREE,
  LAST_TS,
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
  readonly windowMs: number;
  readonly minWindowSamples: number;
  readonly significance: number;
  readonly warmup: number;
}

export const defaultTrendForecastParams: Omit<TrendForecastParams, 'threshold'> = Object.freeze({
  direction: 'up',
  leadMs: 10 * 60_000,
  windowMs: 2 * 60_000,
  minWindowSamples: 2,
  significance: 4,
  warmup: 10,
});

// Weighted sums over the samples, x = (t_i - now) / window and y = v_i - CENTER:
// S0 = Σw, S1 = Σwx, S2 = Σwx², SY = Σwy, SXY = Σwxy, SYY = Σwy², and Q* the same with w².
const S0 = FIRST_FREE;
const S1 = FIRST_FREE + 1;
const S2 = FIRST_FREE + 2;
const SY = FIRST_FREE + 3;
const SXY = FIRST_FREE + 4;
const SYY = FIRST_FREE + 5;
const Q0 = FIRST_FREE + 6;
const Q1 = FIRST_FREE + 7;
const Q2 = FIRST_FREE + 8;
/** y's origin: the fitted level after the last sample, so the sums stay small. */
const CENTER = FIRST_FREE + 9;
/** Typical sample interval (ms), exponentially averaged. */
const INTERVAL = FIRST_FREE + 10;
/** Beyond this many windows of silence the old samples weigh nothing: start the fit afresh. */
const FORGET_WINDOWS = 40;
/** The fit's effective sample count below which its slope is not tested. */
const MIN_EFFECTIVE_SAMPLES = 4;

interface Fit {
  /** Fitted value now. */
  readonly level: number;
  /** Per ms. */
  readonly slope: number;
  /** Standard error of the slope, per ms. */
  readonly slopeSe: number;
  /** Standard error of the level (approximately sd / sqrt(n_eff)). */
  readonly levelSe: number;
  /** Effective number of samples in the fit, (Σw)² / Σw². */
  readonly nEff: number;
}

/**
 * Moves the sums' time origin `dx` window units later (x is always in units of `windowMs`) and
 * discounts them by `decay` (exp(-dt / effective window)).
 */
function age(s: Float64Array, dx: number, decay: number): void {
  if (decay === 0) {
    s.fill(0, S0, Q2 + 1);
    return;
  }
  // x' = x - dx
  s[S2] = s[S2]! - 2 * dx * s[S1]! + dx * dx * s[S0]!;
  s[S1] = s[S1]! - dx * s[S0]!;
  s[SXY] = s[SXY]! - dx * s[SY]!;
  s[Q2] = s[Q2]! - 2 * dx * s[Q1]! + dx * dx * s[Q0]!;
  s[Q1] = s[Q1]! - dx * s[Q0]!;
  const d2 = decay * decay;
  for (const i of [S0, S1, S2, SY, SXY, SYY]) s[i]! *= decay;
  for (const i of [Q0, Q1, Q2]) s[i]! *= d2;
}

/** The weighted least-squares line at x = 0 (now), or undefined while it is not determined. */
function fit(s: Float64Array, windowMs: number): Fit | undefined {
  const s0 = s[S0]!;
  const s1 = s[S1]!;
  const s2 = s[S2]!;
  const sy = s[SY]!;
  const sxy = s[SXY]!;
  const det = s0 * s2 - s1 * s1;
  if (!(det > 1e-12 * s0 * s2)) return undefined;
  const b = (s0 * sxy - s1 * sy) / det;
  const a = (sy - b * s1) / s0;
  const ssr = Math.max(
    0,
    s[SYY]! - 2 * a * sy - 2 * b * sxy + a * a * s0 + 2 * a * b * s1 + b * b * s2,
  );
  const q0 = s[Q0]!;
  const nEff = (s0 * s0) / q0;
  const variance = ((ssr / s0) * nEff) / Math.max(1, nEff - 2);
  const xBar = s1 / s0;
  const sxxCentered = s2 - s1 * xBar;
  const qxxCentered = s[Q2]! - 2 * xBar * s[Q1]! + xBar * xBar * q0;
  const bSe = Math.sqrt(variance * Math.max(0, qxxCentered)) / sxxCentered;
  return {
    level: a + s[CENTER]!,
    slope: b / windowMs,
    slopeSe: bSe / windowMs,
    levelSe: Math.sqrt(variance / nEff),
    nEff,
  };
}

/** Moves y's origin to `c` (the sums are rewritten, the fit is unchanged). */
function recenter(s: Float64Array, c: number): void {
  const dc = c - s[CENTER]!;
  s[SYY] = s[SYY]! - 2 * dc * s[SY]! + dc * dc * s[S0]!;
  s[SY] = s[SY]! - dc * s[S0]!;
  s[SXY] = s[SXY]! - dc * s[S1]!;
  s[CENTER] = c;
}

export function createTrendForecastDetector(p: TrendForecastParams): Detector<Float64Array> {
  if (!Number.isFinite(p.threshold))
    throw new RangeError('trend_forecast needs a finite threshold');
  // Parameters come from config at run time: the type does not guarantee the value.
  if (!['up', 'down'].includes(p.direction)) {
    throw new RangeError(`trend_forecast direction must be up or down, got "${p.direction}"`);
  }
  requireRange('trend_forecast', 'leadMs', p.leadMs, 0, Number.MAX_VALUE);
  requireRange('trend_forecast', 'windowMs', p.windowMs, 0, Number.MAX_VALUE);
  requireRange('trend_forecast', 'minWindowSamples', p.minWindowSamples, 0, 1000);
  requireRange('trend_forecast', 'significance', p.significance, 0, 1000);
  requireInt('trend_forecast', 'warmup', p.warmup, 3);
  const sign = p.direction === 'up' ? 1 : -1;
  const band = (s: Float64Array) => ({
    expected: s[CENTER]!,
    lower: Math.min(s[CENTER]!, p.threshold),
    upper: Math.max(s[CENTER]!, p.threshold),
  });
  return floatDetector({
    name: 'trend_forecast',
    slots: FIRST_FREE + 11,
    band,
    step(s, t, v) {
      const n = s[N]!;
      if (n === 0) {
        s[CENTER] = v;
      } else {
        const dt = t - s[LAST_TS]!;
        // A gap in the data is not a new sampling rate: it moves the average by at most 10%.
        s[INTERVAL] =
          n === 1 ? dt : s[INTERVAL]! + 0.1 * (Math.min(dt, 2 * s[INTERVAL]!) - s[INTERVAL]!);
        const windows = dt / Math.max(p.windowMs, p.minWindowSamples * s[INTERVAL]);
        age(s, dt / p.windowMs, windows > FORGET_WINDOWS ? 0 : Math.exp(-windows));
      }
      const y = v - s[CENTER]!;
      s[S0]! += 1;
      s[SY]! += y;
      s[SYY]! += y * y;
      s[Q0]! += 1;
      const f = n + 1 >= p.warmup ? fit(s, p.windowMs) : undefined;
      // After a gap the old samples weigh nothing: a line through two points has no residual
      // and any slope would look significant, so the fit needs a few samples' weight first.
      if (f === undefined || f.nEff < MIN_EFFECTIVE_SAMPLES) {
        if (n === 0 || s[S0]! === 1) recenter(s, v);
        return takenResult(0, band(s), true);
      }
      recenter(s, f.level);
      const b = band(s);
      const gap = sign * (p.threshold - f.level);
      // Past the threshold only when clearly so: the fitted level is noisier than a smoothed one.
      if (gap <= -1.5 * f.levelSe) return { ...takenResult(1, b, false), etaMs: 0 };
      if (gap <= 0) return takenResult(0, b, false);
      const rate = sign * f.slope; // towards the threshold, per ms
      // Written so that a NaN fails closed.
      if (!(rate > 0 && rate >= p.significance * f.slopeSe)) return takenResult(0, b, false);
      const eta = gap / rate;
      return { ...takenResult(1 - Math.pow(0.1, p.leadMs / eta), b, false), etaMs: eta };
    },
  });
}
