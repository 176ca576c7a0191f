/**
 * The band of line counts that Poisson noise around a rate explains: counts outside it are
 * surges or drops. Pure.
 */

/** One-sided tail probability left outside the band on each side. */
export const POISSON_TAIL = 1e-6;
/** z of POISSON_TAIL (one-sided), for the normal approximation at large rates. */
const Z = 4.753;

/**
 * [lo, hi]: the smallest and largest counts not in the outer `tail` of Poisson(rate): a count
 * below lo or above hi has probability at most `tail` each. Exact summation up to rate 50,
 * the normal approximation above.
 */
export function poissonBand(rate: number, tail = POISSON_TAIL): [lo: number, hi: number] {
  if (!(rate > 0)) return [0, 0];
  if (rate > 50) {
    const sd = Math.sqrt(rate);
    return [Math.max(0, Math.ceil(rate - Z * sd)), Math.floor(rate + Z * sd)];
  }
  let p = Math.exp(-rate);
  let cdf = p;
  let k = 0;
  let lo = -1;
  // At rate ≤ 50 the upper tail falls below 1e-6 within about 110 terms.
  for (;;) {
    if (lo < 0 && cdf > tail) lo = k;
    if (1 - cdf <= tail || k > 1000) return [Math.max(0, lo), k];
    k += 1;
    p *= rate / k;
    cdf += p;
  }
}
