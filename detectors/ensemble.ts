/**
 * The default ensemble. Three residual signals, each calibrated into an anomaly likelihood
 * (anomaly-likelihood.ts; Wilson-Hilferty on squared residuals), combined by their maximum
 * (Fisher's combination of the three was tried and scored worse), then post-processed for alerting:
 * - point: distance of the value from a fast EWMA level (alpha 0.2), in units of the slow
 *   mean absolute deviation: spikes and dips;
 * - drift: distance of the fast level from a slow one (alpha 0.01): level shifts and ramps;
 * - seasonal: distance of the value from its hour-of-day bin plus a level shift common to all
 *   bins, with separate bins for weekends: a value normal for Monday noon is abnormal at 3 a.m.
 *   or on a Sunday. The shift is a slow EWMA (alpha `slowAlpha`) of the value's distance from
 *   its learned bin, and the bins learn the value less the shift (an additive decomposition, as
 *   Holt-Winters'): after a level shift the whole profile moves within ~1/slowAlpha samples,
 *   instead of each hour bin relearning on its own over days (which re-paged when the
 *   refractory period ended and when the next weekend began, and hid a second shift; decision
 *   0005);
 * Values are learned winsorised at `clip` deviations, so an anomaly does not become normal at
 * once. The log-scaled likelihood is rescaled monotonically (`rescale`) so that `fireAt` maps
 * to 0.9 (the default alert threshold). After the score reaches 0.9 it is held at 0 for `refractory`
 * samples, or until every channel has been quiet (z < `rearmZ`) for `rearm` samples in a row:
 * one detection per event, as NAB rewards and as on-call wants (the anomaly event is the
 * onset), and the next event gets its own.
 *
 * Which channels may fire: once the value's hour bin has learned, the point and drift residuals
 * count at most `seasonGatePoint` / `seasonGateDrift` times the seasonal one (a daily cron
 * spike or a daily ramp is explained by the profile), and only from `minPointSd` / `minDriftSd`
 * deviations up (1 and 1) (the likelihood is relative to a channel's own history, so a 0.4 sd drift on a
 * very quiet channel looks rare without being a real change). The channels are still calibrated
 * on their whole residuals (anomaly-likelihood.ts's shadowZ judges the gated part).
 *
 * `minDevAbsolute` / `minDevRelative`: a value within this distance of the expected value is
 * never anomalous, so a low-variance series does not page on noise. `direction` keeps only
 * rises ('up') or falls ('down').
 *
 * The parameters below scored best on the NAB development subset (bench/nab.ts); they are the
 * same for every series. On Gaussian noise it pages about once per 100k samples at 15 s to 5 min
 * steps, once per 50k at 1 h (fireAt 0.5; `npm run bench -- false-alarms`, its gaussian row).
 * State: 199 float64 (1,592 bytes) with the defaults.
 */
import {
  FIRST_FREE,
  N,
  bandAround,
  floatDetector,
  flooredScale,
  requireInt,
  requireRange,
} from './base.js';
import type { Detector, DetectorResult } from './contract.js';
import {
  likelihoodScore,
  likelihoodSlots,
  likelihoodZ,
  shadowSlots,
  shadowZ,
  tailScore,
} from './anomaly-likelihood.js';
import { localClock } from './time-of-period.js';

export interface EnsembleParams {
  readonly fastAlpha: number;
  readonly slowAlpha: number;
  readonly devAlpha: number;
  readonly clip: number;
  /** Short window of the likelihood (samples). */
  readonly window: number;
  /** EWMA weight of the likelihood's long-run residual distribution. */
  readonly likelihoodAlpha: number;
  readonly warmup: number;
  readonly refractory: number;
  readonly fireAt: number;
  readonly bins: number;
  readonly binAlpha: number;
  /** An hour bin scores only after this many samples. */
  readonly minBinSamples: number;
  /** Separate hour-of-day bins for Saturday and Sunday (local time). */
  readonly splitWeekend: boolean;
  /** A bin's scale is at least this fraction of the series' overall scale. */
  readonly binScaleFloor: number;
  readonly timeZone: string;
  readonly direction: 'up' | 'down' | 'both';
  readonly minDevAbsolute: number;
  readonly minDevRelative: number;
  /**
   * Once the value's hour bin has learned (minBinSamples), the point residual counts at most
   * `seasonGatePoint` times the seasonal one, and the drift residual `seasonGateDrift` times:
   * a jump or a level change that is normal for this time of day (a daily cron spike, a daily
   * ramp) is explained by the seasonal profile. 0 turns a gate off.
   */
  readonly seasonGatePoint: number;
  readonly seasonGateDrift: number;
  /**
   * Smallest point and drift residuals (in sd of the series) that may fire: the likelihood is
   * relative to the channel's own history, so on a very quiet channel a 0.4 sd drift can look
   * rare. Below these the channel is still calibrated, it just cannot fire. (Point: NAB scores
   * the same for any floor from 0 to 1.6 sd; 1 spares most samples a cube root.)
   */
  readonly minPointSd: number;
  readonly minDriftSd: number;
  /**
   * The refractory period ends early once the event is over: every channel's z under `rearmZ`
   * for `rearm` samples in a row (0: the full period always). So an event that follows a
   * short one gets its own detection.
   */
  readonly rearm: number;
  readonly rearmZ: number;
  /**
   * How a channel's z becomes a likelihood. 'gaussian': a Gaussian tail (the default; the
   * figures in decision 0005 are this). 'learned': the larger of that and the tail learned from
   * the channel's own z's (anomaly-likelihood.ts's tailScore), for counts and gauges whose
   * residuals are heavy-tailed: bursty counts page under once per 10,000 samples instead of
   * 15-19 times, but small changes among the bursts go unseen and NAB falls from 67.22 to 38.71
   * (docs/detectors.md#heavy-tailed-series-tail-learned).
   */
  readonly tail: 'gaussian' | 'learned';
  /**
   * 'sqrt': a series whose values are all non-negative integers (counts per interval) is scored
   * on 2·sqrt(v + 3/8) (Anscombe 1948), on which Poisson noise has about unit variance from a
   * mean of about 2 up (less below: 0.47 at 0.5), so a count of 4 where 0.5 is usual is not a
   * 5-sd event. Expected values and bands are reported in counts, through Mäkitalo and Foi's
   * unbiased inverse. The first value that is not a non-negative integer turns it off for the
   * series for good (until its state expires), and the series learns afresh. 'none' (the
   * default; NAB's figures in decision 0005 are this): values as they are
   * (docs/detectors.md#counts-transform-sqrt).
   */
  readonly transform: 'none' | 'sqrt';
}

export const defaultEnsembleParams: EnsembleParams = Object.freeze({
  fastAlpha: 0.2,
  slowAlpha: 0.01,
  devAlpha: 0.01,
  clip: 4,
  window: 5,
  likelihoodAlpha: 0.0002,
  warmup: 150,
  refractory: 200,
  fireAt: 0.5,
  bins: 24,
  binAlpha: 0.03,
  minBinSamples: 10,
  splitWeekend: true,
  binScaleFloor: 0.5,
  timeZone: 'UTC',
  direction: 'both',
  minDevAbsolute: 0,
  minDevRelative: 0,
  seasonGatePoint: 2,
  seasonGateDrift: 1,
  minPointSd: 1,
  minDriftSd: 1,
  rearm: 70,
  rearmZ: 1.5,
  tail: 'gaussian',
  transform: 'none',
});

const FAST = FIRST_FREE;
const SLOW = FIRST_FREE + 1;
const DEV = FIRST_FREE + 2;
const LAST_FIRE = FIRST_FREE + 3;
/** Samples in a row with every channel quiet, since the last detection. */
const QUIET = FIRST_FREE + 4;
/** The level shift common to every hour bin (added to the bin's mean). */
const SHIFT = FIRST_FREE + 5;
/** 1 once any hour bin has learned: the season channel has residuals from then on. */
const SEASON_ON = FIRST_FREE + 6;
/** 1 while `transform: sqrt` applies: every value so far was a non-negative integer. */
const COUNTS = FIRST_FREE + 7;
const TRACKERS = FIRST_FREE + 8;
const RAW_CAP = 50;
/** 2·sqrt(3/8): Anscombe's transform of a count of 0. */
const ANSCOMBE_ZERO = 2 * Math.sqrt(0.375);
const SQRT_3_2 = Math.sqrt(1.5);

/**
 * A count from a value on Anscombe's scale: the closed-form approximation of the exact unbiased
 * inverse (Mäkitalo & Foi, "A closed-form approximation of the exact unbiased inverse of the
 * Anscombe variance-stabilizing transformation", IEEE TIP 2011). The plain algebraic inverse
 * (y/2)² - 3/8 reads a mean of 0.5 as 0.38 and of 3 as 2.76. Monotone, 0 at and below the
 * transform of 0.
 */
export function countFromAnscombe(y: number): number {
  if (y <= ANSCOMBE_ZERO) return 0;
  const inv = 1 / y;
  const c =
    0.25 * y * y + 0.25 * SQRT_3_2 * inv - 1.375 * inv * inv + 0.625 * SQRT_3_2 * inv * inv * inv;
  return Math.max(0, c - 0.125);
}

/**
 * Monotone map of the log-likelihood onto the score: `fireAt` goes to 0.9 (the default alert
 * threshold); below it the curve is steep (power 4), so the likelihood levels ordinary noise
 * reaches (up to ~0.5 on 1-second samples) read as clearly normal (< 0.5) rather than "almost
 * anomalous". Monotone, so any threshold on the likelihood is still a threshold on the score.
 */
export function rescale(likelihood: number, fireAt: number): number {
  if (likelihood >= fireAt) return 0.9 + (0.1 * (likelihood - fireAt)) / (1 - fireAt);
  const r = likelihood / fireAt;
  return 0.9 * r * r * r * r;
}
/** Mean absolute deviation to sd, rounded (MEAN_ABS_DEV_TO_SD in base.ts is exact); the
 * parameters above were tuned with this value, so it stays. */
const MAD_TO_SD = 1.25;

export function createEnsembleDetector(
  p: EnsembleParams = defaultEnsembleParams,
): Detector<Float64Array> {
  requireInt('ensemble', 'window', p.window);
  requireInt('ensemble', 'bins', p.bins);
  requireInt('ensemble', 'warmup', p.warmup, 0);
  requireInt('ensemble', 'refractory', p.refractory, 0);
  for (const [name, v] of [
    ['fastAlpha', p.fastAlpha],
    ['slowAlpha', p.slowAlpha],
    ['devAlpha', p.devAlpha],
    ['likelihoodAlpha', p.likelihoodAlpha],
    ['binAlpha', p.binAlpha],
  ] as const) {
    requireRange('ensemble', name, v, 0, 1);
  }
  if (!['up', 'down', 'both'].includes(p.direction)) {
    throw new RangeError(`ensemble direction must be up, down or both, got "${p.direction}"`);
  }
  if (!['gaussian', 'learned'].includes(p.tail)) {
    throw new RangeError(`ensemble tail must be gaussian or learned, got "${p.tail}"`);
  }
  const learned = p.tail === 'learned';
  if (!['none', 'sqrt'].includes(p.transform)) {
    throw new RangeError(`ensemble transform must be none or sqrt, got "${p.transform}"`);
  }
  if (!(p.fireAt > 0 && p.fireAt < 1))
    throw new RangeError(`ensemble fireAt must be in (0, 1), got ${p.fireAt}`);
  const clock = localClock(p.timeZone);
  const trackerSize = likelihoodSlots(p.window, learned);
  const L_POINT = TRACKERS;
  const L_DRIFT = TRACKERS + trackerSize;
  const L_SEASON = TRACKERS + 2 * trackerSize;
  const G_POINT = TRACKERS + 3 * trackerSize;
  const G_DRIFT = G_POINT + shadowSlots(p.window);
  const BINS = G_DRIFT + shadowSlots(p.window);
  const dayBin = (t: number): number =>
    Math.min(p.bins - 1, Math.floor((clock.minuteOf(t, 'day') / 1440) * p.bins));
  const binOf = (t: number): number =>
    p.splitWeekend && clock.minuteOf(t, 'week') >= 5 * 1440 ? p.bins + dayBin(t) : dayBin(t);
  const scale = (s: Float64Array): number => flooredScale(s[DEV]! * MAD_TO_SD, s[SLOW]!);
  const signed = (d: number): number =>
    p.direction === 'both' ? Math.abs(d) : p.direction === 'up' ? Math.max(0, d) : Math.max(0, -d);

  const expectedAt = (s: Float64Array, b: number): number =>
    s[BINS + 3 * b + 2]! > 3 ? s[BINS + 3 * b]! + s[SHIFT]! : s[FAST]!;
  /** A value in the series' own units from the scale it is scored on (Anscombe's inverse). */
  const ownUnits = (s: Float64Array, y: number): number =>
    s[COUNTS] === 1 ? countFromAnscombe(y) : y;
  const bandOf = (s: Float64Array, b: number) => {
    const e = expectedAt(s, b);
    const half = 3.5 * scale(s);
    return s[COUNTS] === 1
      ? { expected: ownUnits(s, e), lower: ownUnits(s, e - half), upper: ownUnits(s, e + half) }
      : bandAround(e, half);
  };

  /** A state that has learned nothing (`counts`: on Anscombe's scale). */
  const fresh = (s: Float64Array, counts: boolean): void => {
    s.fill(0, FIRST_FREE);
    s[LAST_FIRE] = Number.NEGATIVE_INFINITY;
    s[COUNTS] = counts ? 1 : 0;
  };

  return floatDetector({
    name: 'ensemble',
    slots: BINS + 3 * p.bins * (p.splitWeekend ? 2 : 1),
    init: (s) => {
      fresh(s, p.transform === 'sqrt');
    },
    band: (s) => bandOf(s, binOf(Number.isFinite(s[1]!) ? s[1]! : 0)),
    step(s, t, value) {
      if (s[COUNTS] === 1 && !(value >= 0 && Number.isInteger(value))) {
        // Not a count after all: what was learned is on the wrong scale; learn afresh, plain.
        fresh(s, false);
        s[N] = 0;
      }
      const counts = s[COUNTS] === 1;
      const v = counts ? 2 * Math.sqrt(value + 0.375) : value;
      const r = scoreStep(s, t, v, value);
      if (!counts) return r;
      return {
        score: r.score,
        expected: ownUnits(s, r.expected),
        lower: ownUnits(s, r.lower),
        upper: ownUnits(s, r.upper),
        learning: r.learning,
        outcome: r.outcome,
      };
    },
  });

  /** Scores `v` (on the scale scored on; `value` in the series' own units) and learns it. */
  function scoreStep(s: Float64Array, t: number, v: number, value: number): DetectorResult {
    const n = s[N]!;
    const b = binOf(t);
    if (n === 0) {
      s[FAST] = v;
      s[SLOW] = v;
      s[BINS + 3 * b] = v;
      s[BINS + 3 * b + 2] = 1;
      return { score: 0, expected: v, lower: v, upper: v, learning: true, outcome: 'taken' };
    }
    // The band, kept as numbers: an object per sample here costs throughput (bench/detectors.ts).
    const sc = scale(s);
    const expected = expectedAt(s, b);
    const halfWidth = 3.5 * sc;
    const expectedOwn = ownUnits(s, expected);
    const quiet =
      Math.abs(value - expectedOwn) <
      Math.max(p.minDevAbsolute, p.minDevRelative * Math.abs(expectedOwn));
    const point = quiet ? 0 : Math.min(signed(v - s[FAST]!) / sc, RAW_CAP);
    const drift = Math.min(signed(s[FAST]! - s[SLOW]!) / sc, RAW_CAP);
    const binMean = BINS + 3 * b;
    const binCount = s[binMean + 2]!;
    let season = 0;
    if (binCount >= p.minBinSamples && !quiet) {
      const binScale = Math.max(s[binMean + 1]! * MAD_TO_SD, sc * p.binScaleFloor, 1e-9);
      season = Math.min(signed(v - s[binMean]! - s[SHIFT]!) / binScale, RAW_CAP);
    }
    const ready = n > p.warmup;
    // The residuals of the first third of the warm-up come from levels and scales that are
    // still settling: the calibration starts after them.
    // The likelihood is monotone in z: the max over the channels' z, scored once.
    let likelihood = 0;
    let zMax = Number.NEGATIVE_INFINITY;
    if (n > p.warmup / 3) {
      // Point and drift are calibrated on their whole residuals; what may fire is the part a
      // learned hour bin does not explain (the gates), judged against that calibration.
      const binLearned = binCount >= p.minBinSamples;
      const pointG =
        binLearned && p.seasonGatePoint > 0 ? Math.min(point, p.seasonGatePoint * season) : point;
      const driftG =
        binLearned && p.seasonGateDrift > 0 ? Math.min(drift, p.seasonGateDrift * season) : drift;
      // Below the minimum effect a channel cannot fire: its z is not even computed.
      const zPoint = shadowZ(
        s,
        L_POINT,
        G_POINT,
        p.window,
        pointG * pointG,
        ready && pointG >= p.minPointSd,
      );
      const zDrift = shadowZ(
        s,
        L_DRIFT,
        G_DRIFT,
        p.window,
        driftG * driftG,
        ready && driftG >= p.minDriftSd,
      );
      // Learn the whole residuals (their own z is not needed: ready false skips it).
      // A learned tail learns from the first sample scored on (warm-up's z's come from levels
      // still settling). It learns every z, a past anomaly's too (decision 0005).
      const learn = learned && ready;
      likelihoodZ(s, L_POINT, p.window, p.likelihoodAlpha, point * point, false, learn);
      likelihoodZ(s, L_DRIFT, p.window, p.likelihoodAlpha, drift * drift, false, learn);
      // The season channel is fed nothing before the first hour bin has learned: it has no
      // residual yet, and days of 0 (an hourly series' first 10) taught its calibration a
      // spread of 0, so that its first real residual paged. After that, a bin still learning
      // feeds a 0 (the Gaussian default: NAB's figures rest on it, decision 0005), or nothing
      // with a learned tail (its 0s would teach the tail a share of 0).
      if (binLearned) s[SEASON_ON] = 1;
      const zSeason =
        (binLearned || !learned) && s[SEASON_ON] === 1
          ? likelihoodZ(s, L_SEASON, p.window, p.likelihoodAlpha, season * season, ready, learn)
          : Number.NEGATIVE_INFINITY;
      zMax = Math.max(zPoint, zDrift, zSeason);
      if (!learned) likelihood = likelihoodScore(zMax);
      else if (zMax > 0) {
        likelihood = Math.max(
          tailScore(s, L_POINT, p.window, zPoint),
          tailScore(s, L_DRIFT, p.window, zDrift),
          tailScore(s, L_SEASON, p.window, zSeason),
        );
      }
    }

    // Learn: levels and deviation from the winsorised value, the bin from the value itself
    // less the common shift.
    // Until 1/alpha samples are seen, plain running averages (an EWMA started from the first
    // value would underestimate the deviation and make start-up residuals huge), and no
    // winsorising while the scale is still unknown.
    const x = ready ? Math.min(Math.max(v, s[FAST]! - p.clip * sc), s[FAST]! + p.clip * sc) : v;
    const first = 1 / n;
    s[FAST]! += (first > p.fastAlpha ? first : p.fastAlpha) * (x - s[FAST]!);
    s[SLOW]! += (first > p.slowAlpha ? first : p.slowAlpha) * (x - s[SLOW]!);
    s[DEV]! += (first > p.devAlpha ? first : p.devAlpha) * (Math.abs(x - s[SLOW]!) - s[DEV]!);
    // The common shift learns how far a learned bin is off, winsorised like the levels.
    if (binCount >= p.minBinSamples && ready) {
      const off = v - s[binMean]! - s[SHIFT]!;
      const next = s[SHIFT]! + p.slowAlpha * Math.min(Math.max(off, -p.clip * sc), p.clip * sc);
      // Only the way `direction` watches, and back: a dip that a detector of rises ignores
      // must not lower the level, or its end would read as a rise and page.
      s[SHIFT] =
        p.direction === 'up'
          ? Math.max(0, next)
          : p.direction === 'down'
            ? Math.min(0, next)
            : next;
    }
    const count = binCount + 1;
    const d = v - s[SHIFT]! - s[binMean]!;
    if (binCount === 0) s[binMean] = v - s[SHIFT]!;
    else {
      // binCount deviations seen so far, including this one.
      s[binMean + 1]! += Math.max(1 / binCount, p.binAlpha) * (Math.abs(d) - s[binMean + 1]!);
      s[binMean]! += Math.max(1 / count, p.binAlpha) * d;
    }
    s[binMean + 2] = count;

    // Monotone rescale so that the fire level maps to 0.9, the default alert threshold.
    let score = ready ? rescale(likelihood, p.fireAt) : 0;
    if (n - s[LAST_FIRE]! < p.refractory && p.rearm > 0) {
      s[QUIET] = zMax < p.rearmZ ? s[QUIET]! + 1 : 0;
      if (s[QUIET] >= p.rearm) s[LAST_FIRE] = Number.NEGATIVE_INFINITY; // the event is over
    }
    if (n - s[LAST_FIRE]! < p.refractory) score = 0;
    else if (score >= 0.9) {
      s[LAST_FIRE] = n;
      s[QUIET] = 0;
    }
    return {
      score,
      expected,
      lower: expected - halfWidth,
      upper: expected + halfWidth,
      learning: !ready,
      outcome: 'taken',
    };
  }
}
