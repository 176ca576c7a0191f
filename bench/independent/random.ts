/**
 * The independent suite's own random source (xoshiro128**, seeded by splitmix32), so that its
 * draws share nothing with the project's cascade generator. Deterministic for a seed.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(xs: readonly T[]): T;
  /** Standard normal. */
  gauss(): number;
  /** Poisson(λ): exact below 30, normal approximation above. */
  poisson(lambda: number): number;
  /** A new independent stream, for one purpose (so adding draws elsewhere changes nothing here). */
  fork(label: string): Random;
}

function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const hash = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
};

export function random(seed: number): Random {
  const sm = splitmix32(seed);
  const s = [sm(), sm(), sm(), sm()];
  const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
  const u32 = (): number => {
    const [s0 = 0, s1 = 0, s2 = 0, s3 = 0] = s;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    const n2 = (s2 ^ s0) >>> 0;
    const n3 = (s3 ^ s1) >>> 0;
    const n1 = (s1 ^ n2) >>> 0;
    const n0 = (s0 ^ n3) >>> 0;
    s[0] = n0;
    s[1] = n1;
    s[2] = (n2 ^ t) >>> 0;
    s[3] = rotl(n3, 11);
    return result;
  };
  const next = (): number => u32() / 4294967296;
  let spare: number | undefined;
  const r: Random = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor((hi - lo + 1) * next()),
    chance: (p) => next() < p,
    pick: (xs) => {
      const x = xs[Math.floor(xs.length * next())];
      if (x === undefined) throw new Error('pick from an empty list');
      return x;
    },
    gauss: () => {
      if (spare !== undefined) {
        const g = spare;
        spare = undefined;
        return g;
      }
      const u = 1 - next();
      const v = next();
      const m = Math.sqrt(-2 * Math.log(u));
      spare = m * Math.sin(2 * Math.PI * v);
      return m * Math.cos(2 * Math.PI * v);
    },
    poisson: (lambda) => {
      if (!(lambda > 0)) return 0;
      if (lambda >= 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * r.gauss()));
      const l = Math.exp(-lambda);
      let k = 0;
      let p = next();
      while (p > l) {
        k += 1;
        p *= next();
      }
      return k;
    },
    fork: (label) => random((u32() ^ hash(label)) >>> 0),
  };
  return r;
}
