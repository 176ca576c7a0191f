import { describe, expect, it } from 'vitest';
import { poissonBand } from '../../src/logs/poisson-band.js';

/** P(X >= k) and P(X <= k) for Poisson(rate), summed term by term in log space. */
function tails(rate: number, k: number): { atLeast: number; atMost: number } {
  let lnP = -rate; // ln P(X = 0)
  let below = 0; // P(X < k)
  for (let i = 0; i < k; i++) {
    below += Math.exp(lnP);
    lnP += Math.log(rate) - Math.log(i + 1);
  }
  const atK = Math.exp(lnP);
  let atLeast = 0; // P(X >= k), summed until the terms vanish
  for (let i = k; i < k + 20 * Math.sqrt(rate) + 200; i++) {
    atLeast += Math.exp(lnP);
    lnP += Math.log(rate) - Math.log(i + 1);
  }
  return { atLeast, atMost: below + atK };
}

describe('poissonBand', () => {
  it.each([0.01, 0.5, 1.5, 5, 20, 49, 50.01, 100, 1000, 20_000])(
    'leaves at most the tail outside, and no more than needed, at rate %f',
    (rate) => {
      const [lo, hi] = poissonBand(rate, 1e-6);
      expect(tails(rate, hi + 1).atLeast).toBeLessThanOrEqual(1e-6);
      expect(tails(rate, hi).atLeast).toBeGreaterThan(1e-6);
      if (lo > 0) {
        expect(tails(rate, lo - 1).atMost).toBeLessThanOrEqual(1e-6);
        expect(tails(rate, lo).atMost).toBeGreaterThan(1e-6);
      }
    },
  );

  it('widens with the rate; a rate that is no number gives [0, 0]', () => {
    expect(poissonBand(0)).toEqual([0, 0]);
    expect(poissonBand(Number.NaN)).toEqual([0, 0]);
    expect(poissonBand(Infinity)).toEqual([0, 0]);
    expect(poissonBand(1.5)[1]).toBeGreaterThanOrEqual(8);
    const [lo, hi] = poissonBand(10_000);
    expect(lo).toBeGreaterThan(9500);
    expect(hi).toBeLessThan(10_500);
  });
});
