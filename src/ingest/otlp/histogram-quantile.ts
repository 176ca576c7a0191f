/**
 * A quantile of an explicit-bucket histogram, estimated as Prometheus' `histogram_quantile`
 * does: find the bucket that holds the rank `q * count` and interpolate linearly inside it.
 * OTLP buckets: `counts[i]` observations in `(bounds[i-1], bounds[i]]`, the last one in
 * `(bounds[n-1], +Inf)`; `counts.length === bounds.length + 1`. As in Prometheus, the first
 * bucket starts at 0 (when its upper bound is positive) and a rank in the +Inf bucket answers
 * the highest finite bound. Pure.
 */

/** The q-quantile (0 < q < 1) of per-bucket counts; undefined when there is no observation. */
export function histogramQuantile(
  q: number,
  bounds: readonly number[],
  counts: readonly number[],
): number | undefined {
  let total = 0;
  for (const c of counts) total += c;
  if (total <= 0 || bounds.length === 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i] ?? 0;
    if (below + inBucket >= rank && inBucket > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1];
      const upper = bounds[i] as number;
      const lower = i === 0 ? (upper > 0 ? 0 : upper) : (bounds[i - 1] as number);
      return lower + (upper - lower) * ((rank - below) / inBucket);
    }
    below += inBucket;
  }
  return bounds[bounds.length - 1];
}
