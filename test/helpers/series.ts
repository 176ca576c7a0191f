/** Deterministic synthetic series for tests (no datasets, no Math.random). */

/** Mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box-Muller) from a seeded PRNG. */
export function gaussian(seed: number): () => number {
  const u = prng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export interface MetricLine {
  ts: number;
  metric: string;
  labels: Record<string, string>;
  value: number;
}

/** `n` points around `level` with noise `sd`, one every `stepMs` from `t0`. */
export function normalSeries(o: {
  metric: string;
  labels: Record<string, string>;
  n: number;
  t0: number;
  stepMs: number;
  level: number;
  sd: number;
  seed: number;
}): MetricLine[] {
  const g = gaussian(o.seed);
  return Array.from({ length: o.n }, (_, i) => ({
    ts: o.t0 + i * o.stepMs,
    metric: o.metric,
    labels: o.labels,
    value: o.level + o.sd * g(),
  }));
}

export const toNdjson = (lines: readonly object[]): string =>
  lines.map((l) => JSON.stringify(l)).join('\n');
