import type { SampleBatch } from '../queues/contract.js';

/** Shape check of a job payload: a job that fails it is poison and is not retried. */
export function isSampleBatch(data: unknown): data is SampleBatch {
  if (data === null || typeof data !== 'object') return false;
  const b = data as Partial<Record<keyof SampleBatch, unknown>>;
  if (b.v !== 1 || !Array.isArray(b.series) || !Array.isArray(b.idx)) return false;
  if (!Array.isArray(b.ts) || !Array.isArray(b.val)) return false;
  if (b.idx.length !== b.ts.length || b.ts.length !== b.val.length) return false;
  const n = b.series.length;
  for (const s of b.series as unknown[]) {
    if (s === null || typeof s !== 'object') return false;
    const m = s as Record<string, unknown>;
    if (typeof m.key !== 'string' || typeof m.metric !== 'string' || typeof m.service !== 'string')
      return false;
  }
  return (b.idx as unknown[]).every(
    (i) => typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < n,
  );
}
