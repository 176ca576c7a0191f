/**
 * Series with no anomaly in them, of the shapes real exporters produce, and true changes of a
 * stated size to put into them: the null suite of issue 14 (bench/false-alarms.ts, and
 * test/unit/false-alarms.test.ts with loose bounds). Deterministic: every draw comes from a
 * seeded PRNG (series.ts), so a figure can be reproduced.
 */
import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { gaussian, prng } from './series.js';

/** One sample source: the value at sample index `i` (called once per index, in order). */
export type ValueSource = (i: number) => number;

export interface NullShape {
  readonly name: string;
  /** A counter (monotone, the pipeline turns it into a per-second rate before detection). */
  readonly counter?: boolean;
  /** Timestamps jittered and with gaps (the pipeline sees them as they come). */
  readonly irregular?: boolean;
  /** The source for one seed and step (ms): seasonal shapes follow the wall clock. */
  make(seed: number, stepMs: number, t0: number): ValueSource;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/**
 * Poisson draw: Knuth's method, exact; a mean above 30 is drawn as the sum of draws of equal
 * parts of it (a sum of Poisson counts is Poisson), so the right skew is kept.
 */
export function poisson(u: () => number, lambda: number): number {
  if (lambda > 30) {
    const parts = Math.ceil(lambda / 30);
    let sum = 0;
    for (let i = 0; i < parts; i++) sum += poisson(u, lambda / parts);
    return sum;
  }
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= u();
  } while (p > l);
  return k - 1;
}

/** Gamma(shape k ≥ 1, scale 1) draw, Marsaglia-Tsang. */
function gamma(u: () => number, g: () => number, k: number): number {
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = g();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const w = u();
    if (w < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Negative binomial with mean `mean` and dispersion `k` (variance mean + mean²/k). */
function negativeBinomial(u: () => number, g: () => number, mean: number, k: number): number {
  return poisson(u, (gamma(u, g, k) * mean) / k);
}

export const NULL_SHAPES: readonly NullShape[] = [
  {
    name: 'gaussian',
    make: (seed) => {
      const g = gaussian(seed);
      return () => 100 + 2 * g();
    },
  },
  ...[0.5, 3, 50].map((lambda): NullShape => ({
    name: `poisson λ=${lambda}`,
    make: (seed) => {
      const u = prng(seed);
      return () => poisson(u, lambda);
    },
  })),
  {
    name: 'negative binomial (mean 20, k=2)',
    make: (seed) => {
      const u = prng(seed);
      const g = gaussian(seed + 7919);
      return () => negativeBinomial(u, g, 20, 2);
    },
  },
  {
    name: 'log-normal (σ=1)',
    make: (seed) => {
      const g = gaussian(seed);
      return () => 50 * Math.exp(g());
    },
  },
  {
    name: 'bursty counts (3% ×3-10)',
    make: (seed) => {
      const u = prng(seed);
      return () => {
        const base = poisson(u, 20);
        return u() < 0.03 ? Math.round(base * (3 + 7 * u())) : base;
      };
    },
  },
  {
    name: 'flat gauge, rare ±1',
    make: (seed) => {
      const u = prng(seed);
      let v = 100;
      return () => {
        // About one change in 500 samples, back to 100 about as often.
        const r = u();
        if (r < 0.002) v = v === 100 ? (u() < 0.5 ? 99 : 101) : 100;
        return v;
      };
    },
  },
  {
    name: 'quantised gauge',
    make: (seed) => {
      const g = gaussian(seed);
      return () => Math.round(50 + 0.6 * g());
    },
  },
  {
    name: 'monotone counter',
    counter: true,
    make: (seed) => {
      const u = prng(seed);
      let total = 1e6;
      return () => (total += poisson(u, 30));
    },
  },
  ...[
    // Days of the week from Monday (0); 1970-01-01 was a Thursday (3).
    { name: 'daily + weekly seasonality', low: [5, 6] },
    // A weekly low that the weekend hour bins do not split off: a Friday-Saturday weekend, or
    // any weekday that is always quieter.
    { name: 'daily + weekly, low Fri-Sat', low: [4, 5] },
  ].map(({ name, low }): NullShape => ({
    name,
    make: (seed, stepMs, t0) => {
      const g = gaussian(seed);
      return (i) => {
        const t = t0 + i * stepMs;
        const day = Math.sin((2 * Math.PI * (t % DAY_MS)) / DAY_MS);
        const weekday = Math.floor((t % WEEK_MS) / DAY_MS + 3) % 7;
        return 200 + 60 * day + (low.includes(weekday) ? -30 : 0) + 5 * g();
      };
    },
  })),
  {
    name: 'slow random walk',
    make: (seed) => {
      const g = gaussian(seed);
      let v = 100;
      return () => (v += 0.1 * g());
    },
  },
  {
    name: 'gaussian, jitter and gaps',
    irregular: true,
    make: (seed) => {
      const g = gaussian(seed);
      return () => 100 + 2 * g();
    },
  },
];

/**
 * The timestamps of a series of `n` samples every `stepMs` from `t0`. Irregular series jitter
 * each timestamp by up to ±20% of the step, drop 2% of samples, and skip 60 steps (a
 * scrape outage) once every 2,000.
 */
export function timestamps(
  n: number,
  stepMs: number,
  t0: number,
  irregular: boolean,
  seed: number,
): number[] {
  if (!irregular) return Array.from({ length: n }, (_, i) => t0 + i * stepMs);
  const u = prng(seed + 104729);
  const out: number[] = [];
  let slot = 0;
  while (out.length < n) {
    slot += 1;
    if (slot % 2000 === 0) slot += 60;
    if (u() < 0.02) continue;
    out.push(t0 + slot * stepMs + (u() - 0.5) * 0.4 * stepMs);
  }
  return out;
}

/** The true changes paired with each null, sized in the null's own spread. */
export const CHANGE_KINDS = ['level shift', 'spike', 'variance ×4', 'ramp'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface ChangeSize {
  /** The null's centre and spread before the change (median, and 1.4826 × MAD, floored). */
  readonly centre: number;
  readonly spread: number;
}

/** What each change adds, in spreads: stated in the bench's output. */
export const CHANGE_SIZE: Readonly<Record<ChangeKind, string>> = {
  'level shift': '+6 spreads from then on',
  spike: '+15 spreads for one sample',
  'variance ×4': 'deviations from the centre ×4 from then on',
  ramp: '+0.1 spread per sample from then on (+6 after 60 samples)',
};

/**
 * Samples after a change within which a page counts as its detection: a spike is seen at once
 * or not at all; a shift or a variance change within an hour at 1-minute steps; a ramp by the
 * time it reached +10 spreads. A page later than that is as likely the null's own.
 */
export const DETECTION_WINDOW: Readonly<Record<ChangeKind, number>> = {
  'level shift': 60,
  spike: 5,
  'variance ×4': 60,
  ramp: 100,
};

/** The value at `k` samples after a change starts (k ≥ 0), given the null's own value. */
export function applyChange(kind: ChangeKind, v: number, k: number, s: ChangeSize): number {
  switch (kind) {
    case 'level shift':
      return v + 6 * s.spread;
    case 'spike':
      return k === 0 ? v + 15 * s.spread : v;
    case 'variance ×4':
      return s.centre + 4 * (v - s.centre);
    case 'ramp':
      return v + 0.1 * s.spread * (k + 1);
  }
}

/**
 * The centre (median) of `xs` and the spread of its noise: 1.4826 × the MAD of the first
 * differences, over √2 (the sd of white noise, whatever slow pattern it rides on: a daily
 * cycle does not count as noise), and at least the series' resolution (the smallest step
 * between two distinct values), so that a change of a few spreads is one a person would call
 * a change on a seasonal, a sparse or a flat series alike.
 */
export function robustSize(xs: readonly number[]): ChangeSize {
  const centre = median(xs);
  const diffs = xs.slice(1).map((x, i) => x - (xs[i] as number));
  const noise = (1.4826 * medianAbsoluteDeviation(diffs)) / Math.SQRT2;
  const sorted = [...xs].sort((a, b) => a - b);
  let resolution = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++) {
    const d = (sorted[i] as number) - (sorted[i - 1] as number);
    if (d > 0 && d < resolution) resolution = d;
  }
  if (!Number.isFinite(resolution)) resolution = Math.max(0.01 * Math.abs(centre), 1e-9);
  return { centre, spread: Math.max(noise, resolution) };
}
