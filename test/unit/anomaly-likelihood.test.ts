/**
 * The calibration step the ensemble is built on (detectors/anomaly-likelihood.ts): a raw
 * residual stream becomes a log-scaled tail probability of its short-window mean against the
 * stream's own long-run distribution, so that 0.9 means "as rare as 1 in 10^9" whatever the
 * residual's units.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  likelihoodScore,
  likelihoodSlots,
  likelihoodStep,
  likelihoodZ,
  tailScore,
} from '../../detectors/anomaly-likelihood.js';
import { gaussian, prng } from '../helpers/series.js';

const WINDOW = 5;
const ALPHA = 0.002;

/** A tracker at offset 3 of a larger state, as the ensemble embeds three of them. */
const AT = 3;
const tracker = (): Float64Array => new Float64Array(AT + likelihoodSlots(WINDOW) + 2);

/** Feeds `n` squared residuals N(0, 1)^2 (residuals in sd, squared) and returns their scores. */
function feed(s: Float64Array, g: () => number, n: number, ready: boolean): number[] {
  return Array.from({ length: n }, () => likelihoodStep(s, AT, WINDOW, ALPHA, g() ** 2, ready));
}

describe('anomaly likelihood', () => {
  it('scores 0 while not ready, however large the residual, but still learns', () => {
    const s = tracker();
    const g = gaussian(1);
    expect(feed(s, g, 500, false).every((x) => x === 0)).toBe(true);
    expect(likelihoodStep(s, AT, WINDOW, ALPHA, 1e6, false)).toBe(0);
    // The long-run mean moved from 0 towards the cube root of the mean square (~0.9).
    expect(s[AT]).toBeGreaterThan(0.3);
  });

  it('leaves the rest of the state alone', () => {
    const s = tracker().fill(7);
    s.fill(0, AT, AT + likelihoodSlots(WINDOW));
    feed(s, gaussian(2), 100, true);
    expect([...s.slice(0, AT), ...s.slice(AT + likelihoodSlots(WINDOW))]).toEqual([7, 7, 7, 7, 7]);
  });

  it.each([1, 2, 3])(
    'stays below 0.7 (tail probability > 1e-7) on 3000 calibrated stationary residuals (seed %i)',
    (seed) => {
      // 3000 windows: the rarest expected is about 1 in 3000 (score ~0.35); the short-window
      // mean of |N(0,1)| is skewed right, which the Gaussian tail underrates a little.
      const s = tracker();
      const g = gaussian(seed);
      feed(s, g, 3000, false);
      expect(Math.max(...feed(s, g, 3000, true))).toBeLessThan(0.7);
    },
  );

  it.each([1, 2, 3])(
    'reaches 0.9 within 3 samples of a lasting shift of the residuals by +4 (seed %i)',
    (seed) => {
      // Long-run: the cube root of a 5-sample mean of z^2 is ~N(0.96, 0.21) (Wilson-Hilferty).
      // Three residuals of 4-5 sd make that mean ~11, cube root ~2.2: about 6 sd (tail ~1e-9).
      const s = tracker();
      const g = gaussian(seed);
      feed(s, g, 3000, false);
      feed(s, g, 500, true);
      const shifted = Array.from({ length: 3 }, () =>
        likelihoodStep(s, AT, WINDOW, ALPHA, (4 + Math.abs(g())) ** 2, true),
      );
      expect(Math.max(...shifted)).toBeGreaterThanOrEqual(0.9);
    },
  );

  it('is monotone in the residual and stays in [0, 1] (property)', () => {
    const base = tracker();
    const g = gaussian(4);
    feed(base, g, 2000, false);
    feed(base, g, 100, true);
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        (x, y) => {
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          const a = likelihoodStep(base.slice(), AT, WINDOW, ALPHA, lo, true);
          const b = likelihoodStep(base.slice(), AT, WINDOW, ALPHA, hi, true);
          expect(a).toBeLessThanOrEqual(b);
          expect(a).toBeGreaterThanOrEqual(0);
          expect(b).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe('learned tail (peaks over threshold)', () => {
  const learning = (): Float64Array => new Float64Array(AT + likelihoodSlots(WINDOW, true) + 2);
  /** Feeds squared residuals from `raw` with the tail learned; returns each z and its tail score. */
  function feedLearned(s: Float64Array, raw: () => number, n: number): [number, number][] {
    return Array.from({ length: n }, () => {
      const z = likelihoodZ(s, AT, WINDOW, ALPHA, raw(), true, true);
      return [z, tailScore(s, AT, WINDOW, z)];
    });
  }
  /** Residuals in sd: Gaussian, but 3% of them 10-40 sd (bursts). */
  const bursty = (seed: number): (() => number) => {
    const g = gaussian(seed);
    const u = prng(seed + 1);
    return () => (u() < 0.03 ? (10 + 30 * u()) ** 2 : g() ** 2);
  };

  it('scores as the Gaussian tail until it has seen excesses', () => {
    const s = learning();
    const rows = feedLearned(s, bursty(1), 3000);
    // The first positive z's: no excess learned yet, so the Gaussian tail's own score.
    const early = rows.slice(0, 80).filter(([z]) => z > 0.5);
    expect(early.length).toBeGreaterThan(3);
    for (const [z, score] of early) expect(score).toBe(likelihoodScore(z));
  });

  it('learns that bursts are ordinary: far fewer z reach 1 in 10^5 than by the Gaussian tail', () => {
    let gaussianOver = 0;
    let learnedOver = 0;
    for (const seed of [1, 2, 3]) {
      const s = learning();
      const raw = bursty(seed);
      feedLearned(s, raw, 2000);
      for (const [z, score] of feedLearned(s, raw, 20_000)) {
        if (likelihoodScore(z) >= 0.5) gaussianOver++;
        if (score >= 0.5) learnedOver++;
      }
    }
    // 60,000 z's: at 1 in 10^5 about 0.6 should get there; the Gaussian tail lets ~50 through.
    expect(gaussianOver).toBeGreaterThan(20);
    expect(learnedOver).toBeLessThanOrEqual(3);
  });

  it("on Gaussian residuals still reaches the ensemble's fire level (1 in 10^5) on a shift by +4 sd", () => {
    for (const seed of [1, 2, 3]) {
      const s = learning();
      const g = gaussian(seed);
      feedLearned(s, () => g() ** 2, 3000);
      const shifted = feedLearned(s, () => (4 + Math.abs(g())) ** 2, 3).map(([, x]) => x);
      expect(Math.max(...shifted)).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('on Gaussian residuals, a first 40-sd residual scores as the Gaussian tail does', () => {
    // The tail fitted to Gaussian excesses ends well short of it, and the residual is scored
    // before it is learned.
    const s = learning();
    const g = gaussian(5);
    feedLearned(s, () => g() ** 2, 3000);
    const [z, score] = feedLearned(s, () => 40 ** 2, 1)[0] ?? [Number.NaN, Number.NaN];
    expect(z).toBeGreaterThan(8);
    expect(score).toBe(likelihoodScore(z));
  });

  it('is monotone in the residual and stays in [0, 1] (property)', () => {
    const base = learning();
    feedLearned(base, bursty(4), 3000);
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (x, y) => {
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          const a = base.slice();
          const b = base.slice();
          const sa = tailScore(a, AT, WINDOW, likelihoodZ(a, AT, WINDOW, ALPHA, lo, true, true));
          const sb = tailScore(b, AT, WINDOW, likelihoodZ(b, AT, WINDOW, ALPHA, hi, true, true));
          expect(sa).toBeLessThanOrEqual(sb);
          expect(sa).toBeGreaterThanOrEqual(0);
          expect(sb).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
