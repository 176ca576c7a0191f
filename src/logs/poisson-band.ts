/**
 * The band of line counts that Poisson noise around a rate explains: counts outside it are
 * surges or drops. Pure.
 */

/** One-sided tail probability left outside the band on each side. */
export const POISSON_TAIL = 1e-6;
/** z of POISSON_TAIL (one-sided), for the Cornish-Fisher quantiles at very large rates. */
const Z = 4.753;
/** Up to this rate the tails are summed exactly (in log space, from the mode outwards). */
const EXACT_UP_TO = 1e5;

/** ln(k!) by Stirling's series (exact enough from k = 10; below, by the product). */
function lnFactorial(k: number): number {
  if (k < 10) {
    let f = 1;
    for (let i = 2; i <= k; i++) f *= i;
    return Math.log(f);
  }
  return k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k) + 1 / (12 * k) - 1 / (360 * k ** 3);
}

/**
 * [lo, hi]: the smallest and largest counts not in the outer `tail` of Poisson(rate): a count
 * below lo, or above hi, has probability at most `tail`. A rate that is not a positive finite
 * number gives [0, 0].
 */
export function poissonBand(rate: number, tail = POISSON_TAIL): [lo: number, hi: number] {
  if (!(rate > 0) || !Number.isFinite(rate)) return [0, 0];
  if (rate > EXACT_UP_TO) {
    // Cornish-Fisher: the normal quantile corrected for the Poisson's skew (1/sqrt(rate)).
    const sd = Math.sqrt(rate);
    const skew = (Z * Z - 1) / 6;
    return [Math.max(0, Math.ceil(rate - Z * sd + skew)), Math.floor(rate + Z * sd + skew)];
  }
  const mode = Math.floor(rate);
  const lnMode = mode * Math.log(rate) - rate - lnFactorial(mode);
  // Upper tail: pmf from the mode up until negligible, then summed from the top down.
  const up: number[] = [];
  let p = Math.exp(lnMode);
  for (let k = mode; p > tail * 1e-6 || k < mode + 2; k++) {
    up.push(p);
    p *= rate / (k + 1);
  }
  let hi = mode + up.length - 1;
  let mass = 0;
  for (let i = up.length - 1; i >= 0; i--) {
    mass += up[i] as number;
    if (mass > tail) {
      hi = mode + i;
      break;
    }
  }
  // Lower tail: pmf from the mode down until negligible or zero, summed from the bottom up.
  const down: number[] = [];
  p = Math.exp(lnMode);
  for (let k = mode; k >= 0 && (p > tail * 1e-6 || k > mode - 2); k--) {
    down.push(p);
    p *= k / rate;
  }
  let lo = mode - down.length + 1;
  mass = 0;
  for (let i = down.length - 1; i >= 0; i--) {
    mass += down[i] as number;
    if (mass > tail) {
      lo = mode - i;
      break;
    }
  }
  return [Math.max(0, lo), hi];
}
