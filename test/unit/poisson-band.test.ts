import { describe, expect, it } from 'vitest';
import { poissonBand } from '../../src/logs/poisson-band.js';

/** P(X >= k) and P(X <= k) for Poisson(rate), by summation. */
function tails(rate: number, k: number): { atLeast: number; atMost: number } {
  let p = Math.exp(-rate);
  let cdf = 0;
  for (let i = 0; i < k; i++) {
    cdf += p;
    p *= rate / (i + 1);
  }
  return { atLeast: 1 - cdf, atMost: cdf + p };
}

describe('poissonBand', () => {
  it.each([0.01, 0.5, 1.5, 5, 20, 49])('leaves at most the tail outside at rate %f', (rate) => {
    const [lo, hi] = poissonBand(rate, 1e-6);
    expect(tails(rate, hi + 1).atLeast).toBeLessThanOrEqual(1e-6);
    expect(tails(rate, hi).atLeast).toBeGreaterThan(1e-6);
    if (lo > 0) {
      expect(tails(rate, lo - 1).atMost).toBeLessThanOrEqual(1e-6);
      expect(tails(rate, lo).atMost).toBeGreaterThan(1e-6);
    }
  });

  it('widens with the rate and uses the normal approximation past 50', () => {
    expect(poissonBand(0)).toEqual([0, 0]);
    expect(poissonBand(1.5)[1]).toBeGreaterThanOrEqual(8);
    const [lo, hi] = poissonBand(10_000);
    expect(lo).toBeGreaterThan(9500);
    expect(hi).toBeLessThan(10_500);
  });
});
