/**
 * The buckets of an OTLP histogram data point as explicit upper bounds and per-bucket counts
 * (`counts[i]` in `(bounds[i-1], bounds[i]]`, the last count above the last bound), the form
 * histogram-quantile.ts reads. Explicit-bucket points are checked as they are; exponential ones
 * (OTLP `ExponentialHistogramDataPoint`: bucket `i` covers `(base^i, base^(i+1)]` with
 * `base = 2^(2^-scale)`, negative buckets mirrored, a zero bucket between) are laid out on the
 * same line (the quantile is then interpolated linearly within a bucket, where Prometheus'
 * native histograms interpolate exponentially). Undefined when the point's buckets are not valid, `too_many_buckets` past the caps
 * below (a point's buckets are laid out and summed on every export: they must stay small). Pure.
 */
import { arrayField, doubleOf, field, int64Of, objectField, type Loose } from './otlp-values.js';

export interface Buckets {
  readonly bounds: number[];
  readonly counts: number[];
}

/** Explicit bounds per point at most (the SDKs default to 15; Prometheus native: 160). */
export const MAX_EXPLICIT_BOUNDS = 1000;
/** Exponential buckets per side at most (the SDKs default to 160). */
export const MAX_EXPONENTIAL_BUCKETS = 320;
export const TOO_MANY_BUCKETS = 'too_many_buckets';

const increasing = (bounds: readonly number[]): boolean =>
  bounds.every((b, i) => Number.isFinite(b) && (i === 0 || b > (bounds[i - 1] as number)));

const counted = (counts: readonly (number | undefined)[]): counts is number[] =>
  counts.every((c) => c !== undefined && c >= 0);

export function explicitBuckets(p: Loose): Buckets | typeof TOO_MANY_BUCKETS | undefined {
  const count = int64Of(field(p, 'count')) ?? 0;
  const rawBounds = arrayField(p, 'explicitBounds') ?? [];
  const rawCounts = arrayField(p, 'bucketCounts') ?? [];
  if (rawBounds.length > MAX_EXPLICIT_BOUNDS || rawCounts.length > MAX_EXPLICIT_BOUNDS + 1) {
    return TOO_MANY_BUCKETS;
  }
  const bounds = rawBounds.map(doubleOf);
  const raw = rawCounts.map(int64Of);
  const counts = raw.length === 0 ? [count] : raw;
  if (count < 0 || counts.length !== bounds.length + 1 || !counted(counts)) return undefined;
  if (!bounds.every((b) => b !== undefined)) return undefined;
  return increasing(bounds) ? { bounds, counts } : undefined;
}

/** OTLP allows scales -10 to 20. */
const MIN_SCALE = -10;
const MAX_SCALE = 20;

function side(
  p: Loose,
  name: 'positive' | 'negative',
): { offset: number; counts: number[] } | typeof TOO_MANY_BUCKETS | undefined {
  const b = objectField(p, name);
  if (b === undefined) return { offset: 0, counts: [] };
  const offset = int64Of(field(b, 'offset')) ?? 0;
  const rawCounts = arrayField(b, 'bucketCounts') ?? [];
  if (rawCounts.length > MAX_EXPONENTIAL_BUCKETS) return TOO_MANY_BUCKETS;
  const counts = rawCounts.map(int64Of);
  return counted(counts) ? { offset, counts } : undefined;
}

export function exponentialBuckets(p: Loose): Buckets | typeof TOO_MANY_BUCKETS | undefined {
  const scale = int64Of(field(p, 'scale')) ?? 0;
  if (scale < MIN_SCALE || scale > MAX_SCALE) return undefined;
  const pos = side(p, 'positive');
  const neg = side(p, 'negative');
  if (pos === TOO_MANY_BUCKETS || neg === TOO_MANY_BUCKETS) return TOO_MANY_BUCKETS;
  const zeroCount = int64Of(field(p, 'zeroCount')) ?? 0;
  const zeroThreshold = doubleOf(field(p, 'zeroThreshold')) ?? 0;
  if (pos === undefined || neg === undefined || zeroCount < 0 || !(zeroThreshold >= 0)) {
    return undefined;
  }
  // Edges past the largest double are clamped to it: no finite value lies beyond, so buckets
  // there are merged into the last one (scale -10 overflows at the second bucket).
  const edge = (i: number): number => Math.min(2 ** (i / 2 ** scale), Number.MAX_VALUE);
  const bounds: number[] = [];
  const counts: number[] = [];
  const put = (bound: number, count: number): void => {
    if (bounds.length > 0 && bound === bounds[bounds.length - 1]) {
      counts[counts.length - 1] = (counts[counts.length - 1] as number) + count;
    } else {
      bounds.push(bound);
      counts.push(count);
    }
  };
  // Negative buckets, most negative first: bucket i covers [-base^(i+1), -base^i).
  for (let k = neg.counts.length - 1; k >= 0; k--) {
    const i = neg.offset + k;
    if (bounds.length === 0) put(-edge(i + 1), 0);
    put(-edge(i), neg.counts[k] as number);
  }
  // The zero bucket [-zeroThreshold, zeroThreshold] (after the gap from the last negative
  // bucket), then the gap up to the first positive bucket.
  if (
    bounds.length > 0 &&
    zeroThreshold > 0 &&
    (bounds[bounds.length - 1] as number) < -zeroThreshold
  ) {
    put(-zeroThreshold, 0);
  }
  put(zeroThreshold, zeroCount);
  if (pos.counts.length > 0 && edge(pos.offset) > zeroThreshold) put(edge(pos.offset), 0);
  pos.counts.forEach((c, k) => {
    put(edge(pos.offset + k + 1), c);
  });
  counts.push(0); // nothing above the last positive bucket
  return increasing(bounds) ? { bounds, counts } : undefined;
}
