/**
 * The calibration step the ensemble is built on (detectors/anomaly-likelihood.ts): a raw
 * residual stream becomes a log-scaled tail probability of its short-window mean against the
 * stream's own long-run distribution, so that 0.9 means "as rare as 1 in 10^9" whatever the
 * residual's units.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { likelihoodSlots, likelihoodStep } from '../../detectors/anomaly-likelihood.js';
import { gaussian } from '../helpers/series.js';

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
