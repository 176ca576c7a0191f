/**
 * The null suite (bench/false-alarms.ts) in small: the generators are what they say, the runner
 * counts what it says, and the default ensemble holds loose bounds where it holds today. Where
 * it does not (issue 14's classes), a test records today's failure: it turns red the day a
 * change fixes the class, to be turned into a plain bound then.
 */
import { mean, variance } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import type { Detector, DetectorResult } from '../../detectors/contract.js';
import { detectorRegistry } from '../../detectors/registry.js';
import {
  NULL_SHAPES,
  applyChange,
  robustSize,
  timestamps,
  type NullShape,
} from '../helpers/null-shapes.js';
import { observed, runChange, runNull } from '../helpers/null-suite.js';

const MIN = 60_000;
const shape = (name: string): NullShape => {
  const s = NULL_SHAPES.find((x) => x.name === name);
  if (!s) throw new Error(`no null shape ${name}`);
  return s;
};
/** A factory of ensembles with these parameters (camelCase, as the registry takes them). */
const ensembleWith =
  (params: Record<string, unknown> = {}) =>
  (): Detector<unknown> => {
    const entry = detectorRegistry.ensemble;
    if (!entry) throw new Error('no ensemble');
    return entry.create(params);
  };
const ensemble = ensembleWith();
const per10k = (r: { pages: number; judged: number }): number => (10_000 * r.pages) / r.judged;

describe('null shapes', () => {
  it('are deterministic per seed and differ across seeds', () => {
    for (const s of NULL_SHAPES) {
      const a = observed(s, 3, MIN, 300).vs;
      expect(observed(s, 3, MIN, 300).vs).toEqual(a);
      if (!s.name.startsWith('flat')) expect(observed(s, 4, MIN, 300).vs).not.toEqual(a);
    }
  });

  it('draw counts with the stated means and dispersion', () => {
    for (const lambda of [0.5, 3, 50]) {
      const xs = observed(shape(`poisson λ=${lambda}`), 1, MIN, 20_000).vs;
      expect(mean(xs)).toBeCloseTo(lambda, lambda < 10 ? 1 : 0);
      expect(variance(xs) / lambda).toBeGreaterThan(0.9);
      expect(variance(xs) / lambda).toBeLessThan(1.1);
      expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    }
    const nb = observed(shape('negative binomial (mean 20, k=2)'), 1, MIN, 20_000).vs;
    expect(mean(nb)).toBeGreaterThan(19);
    expect(mean(nb)).toBeLessThan(21);
    // Variance mean + mean²/k = 220: over-dispersed, unlike a Poisson count.
    expect(variance(nb)).toBeGreaterThan(180);
    expect(variance(nb)).toBeLessThan(260);
  });

  it('a flat gauge stays at 100 but for rare ±1 changes; a counter becomes its rate', () => {
    const flat = observed(shape('flat gauge, rare ±1'), 1, MIN, 20_000).vs;
    expect(new Set(flat)).toEqual(new Set([99, 100, 101]));
    expect(flat.filter((v) => v === 100).length / flat.length).toBeGreaterThan(0.4);
    // 30 a step on average, as a per-second rate.
    const rate = observed(shape('monotone counter'), 1, MIN, 5000).vs;
    expect(mean(rate)).toBeCloseTo(30 / 60, 2);
  });

  it('irregular timestamps are increasing, jittered, with dropped samples and scrape outages', () => {
    const ts = timestamps(5000, MIN, 0, true, 1);
    const gaps = ts.slice(1).map((t, i) => t - (ts[i] as number));
    expect(gaps.every((g) => g > 0)).toBe(true);
    expect(Math.min(...gaps)).toBeLessThan(0.9 * MIN);
    expect(gaps.filter((g) => g > 1.5 * MIN).length).toBeGreaterThan(50);
    expect(Math.max(...gaps)).toBeGreaterThan(60 * MIN);
  });

  it('sizes a change in the larger of the robust spread, the sd and the resolution', () => {
    expect(robustSize([100, 100, 100, 101, 100]).spread).toBe(1); // flat: the resolution
    const g = observed(shape('gaussian'), 1, MIN, 5000).vs;
    expect(robustSize(g).spread).toBeGreaterThan(1.8);
    expect(robustSize(g).spread).toBeLessThan(2.2);
    const s = { centre: 10, spread: 2 };
    expect(applyChange('level shift', 10, 5, s)).toBe(22);
    expect(applyChange('spike', 10, 0, s)).toBe(40);
    expect(applyChange('spike', 10, 1, s)).toBe(10);
    expect(applyChange('variance ×4', 11, 3, s)).toBe(14);
    expect(applyChange('ramp', 10, 9, s)).toBeCloseTo(12, 12);
  });
});

describe('the null-suite runner', () => {
  /** A detector that scores by a rule of the sample index, learning the first 10. */
  function scripted(score: (i: number) => number): Detector<{ i: number }> {
    return {
      name: 'scripted',
      create: () => ({ i: 0 }),
      update(state: { i: number }): DetectorResult {
        const i = state.i++;
        return { score: i < 10 ? 1 : score(i), learning: i < 10 } as DetectorResult;
      },
    } as unknown as Detector<{ i: number }>;
  }

  it('counts onsets past learning, not samples above the threshold', () => {
    // Above from 100 to 104 (one onset), and at 200 (another); learning samples score 1.
    const det = scripted((i) => ((i >= 100 && i < 105) || i === 200 ? 0.95 : 0.1));
    const r = runNull(det, shape('gaussian'), 1, MIN, 1000, 0.9);
    expect(r).toEqual({ pages: 2, judged: 990 });
  });

  it('gives the delay from the change to the first onset, and the pages before it', () => {
    const det = scripted((i) => (i === 50 || i === 307 ? 0.99 : 0));
    const r = runChange(det, shape('gaussian'), 'level shift', 1, MIN, {
      before: 300,
      maxDelay: 100,
      threshold: 0.9,
    });
    expect(r).toEqual({ delay: 7, pagesBefore: 1 });
    const never = scripted(() => 0);
    expect(
      runChange(never as Detector<unknown>, shape('gaussian'), 'spike', 1, MIN, {
        before: 300,
        maxDelay: 100,
        threshold: 0.9,
      }).delay,
    ).toBeUndefined();
  });
});

/** Pages per 10,000 samples at 0.9 over three seeds of 20,000 samples, a fresh detector each. */
function nullRateOf(det: () => Detector<unknown>, name: string, stepMs: number): number {
  let pages = 0;
  let judged = 0;
  for (let seed = 1; seed <= 3; seed++) {
    const r = runNull(det(), shape(name), seed, stepMs, 20_000, 0.9);
    pages += r.pages;
    judged += r.judged;
  }
  return per10k({ pages, judged });
}

/** A 6-spread level shift and a 15-spread spike (on Gaussian noise) paged within 3 samples. */
function expectShiftAndSpikeAtOnce(det: () => Detector<unknown>, on = 'gaussian'): void {
  for (const kind of ['level shift', 'spike'] as const) {
    for (let seed = 1; seed <= 3; seed++) {
      const r = runChange(det(), shape(on), kind, seed, MIN, {
        before: 3000,
        maxDelay: 500,
        threshold: 0.9,
      });
      expect(r.delay).toBeDefined();
      expect(r.delay).toBeLessThanOrEqual(3);
    }
  }
}

describe('the default ensemble on the null suite (loose bounds; the bench has the figures)', () => {
  const nullRate = (name: string, stepMs: number): number => nullRateOf(ensemble, name, stepMs);

  it.each([
    'gaussian',
    'poisson λ=50',
    'quantised gauge',
    'monotone counter',
    'gaussian, jitter and gaps',
  ])('pages at most 2 per 10,000 samples on %s at 1-minute steps', (name) => {
    expect(nullRate(name, MIN)).toBeLessThanOrEqual(2);
  });

  it('detects a 6-spread level shift and a 15-spread spike at once on Gaussian noise', () => {
    expectShiftAndSpikeAtOnce(ensemble);
  });

  // Today's failures (issue 14), recorded as they are: each of these turns red the day a change
  // brings its null within the bar (at most 1 page per 10,000), and becomes a plain bound then.
  it.each([
    ['bursty counts (3% ×3-10)', 5 * MIN],
    ['flat gauge, rare ±1', MIN],
    ['log-normal (σ=1)', MIN],
  ])('[known failure, issue 14] pages more than once per 10,000 samples on %s', (name, step) => {
    expect(nullRate(name, step)).toBeGreaterThan(1);
  });
});

describe('the ensemble with tail: learned (opt-in for heavy-tailed series)', () => {
  const learned = ensembleWith({ tail: 'learned' });

  // The three classes recorded as known failures of the default above, and two more nulls the
  // default fails, within the bar here.
  it.each([
    ['bursty counts (3% ×3-10)', 5 * MIN],
    ['flat gauge, rare ±1', MIN],
    ['log-normal (σ=1)', MIN],
    ['negative binomial (mean 20, k=2)', MIN],
    ['slow random walk', 15_000],
  ])('pages at most once per 10,000 samples on %s', (name, step) => {
    expect(nullRateOf(learned, name, step)).toBeLessThanOrEqual(1);
  });

  it('still detects a 6-spread level shift and a 15-spread spike at once on Gaussian noise', () => {
    expectShiftAndSpikeAtOnce(learned);
  });

  it('is refused with a clear error when misspelt', () => {
    expect(() => detectorRegistry.ensemble?.create({ tail: 'heavy' })).toThrow(
      'ensemble tail must be gaussian or learned, got "heavy"',
    );
    expect(() => detectorRegistry.ensemble?.create({ transform: 'log' })).toThrow(
      'ensemble transform must be none or sqrt, got "log"',
    );
  });
});

describe('the ensemble with transform: sqrt (opt-in for counts)', () => {
  const sqrt = ensembleWith({ transform: 'sqrt' });

  // Poisson and over-dispersed counts, which the default pages on (recorded above for the
  // default only through the bench: 2-3.4 pages per 10,000 samples).
  it.each([
    ['poisson λ=0.5', 5 * MIN],
    ['poisson λ=3', MIN],
    ['negative binomial (mean 20, k=2)', MIN],
  ])('pages at most once per 10,000 samples on %s', (name, step) => {
    expect(nullRateOf(sqrt, name, step)).toBeLessThanOrEqual(1);
    expect(nullRateOf(ensemble, name, step)).toBeGreaterThan(name === 'poisson λ=3' ? 0.3 : 1);
  });

  it('still pages a level shift of 6 spreads and a spike of 15 on Poisson counts at once', () => {
    expectShiftAndSpikeAtOnce(sqrt, 'poisson λ=3');
  });

  it('reports the expected value and band in counts, not on the square-root scale', () => {
    const det = sqrt();
    const s = det.create();
    const { ts, vs } = observed(shape('poisson λ=3'), 1, MIN, 3000);
    let last: DetectorResult | undefined;
    for (let i = 0; i < ts.length; i++) last = det.update(s, ts[i] as number, vs[i] as number);
    // The mean count is 3 (on the square-root scale the expected value would read about 3.6,
    // and the upper edge about 7 instead of about 12).
    expect(Math.abs((last?.expected ?? Number.NaN) - mean(vs))).toBeLessThan(0.4);
    expect(last?.lower).toBeGreaterThanOrEqual(0);
    expect(last?.upper).toBeGreaterThan(9);
  });

  it('learns afresh, on the plain scale, from the first value that is not a count', () => {
    const det = sqrt();
    const s = det.create();
    const { ts, vs } = observed(shape('poisson λ=3'), 2, MIN, 1300);
    for (let i = 0; i < 1000; i++) det.update(s, ts[i] as number, vs[i] as number);
    // From here on it is a plain ensemble that never saw the counts before.
    const plain = ensemble();
    const p = plain.create();
    const after = [2.5, ...vs.slice(1001)];
    after.forEach((v, k) => {
      const t = ts[1000 + k] as number;
      expect(det.update(s, t, v)).toEqual(plain.update(p, t, v));
    });
    expect(det.update(s, (ts.at(-1) ?? 0) + MIN, 2).learning).toBe(false);
  });
});
