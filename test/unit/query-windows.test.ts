import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRange, splitRange } from '../../src/ingest/pull/query-windows.js';

const S = 1000;
const base = { stepMs: 15 * S, offsetMs: 60 * S, catchUpMs: 3600 * S };

describe('planRange', () => {
  it('first start: reads catch_up_ms back, up to now - offset, aligned to the step', () => {
    const now = 1_700_000_007_123;
    const plan = planRange({ ...base, watermark: undefined, now });
    const to = Math.floor((now - 60 * S) / (15 * S)) * 15 * S;
    expect(plan).toEqual({ range: { from: to - 3600 * S, to }, skippedMs: 0 });
    expect(plan.range?.to).toBeLessThanOrEqual(now - base.offsetMs);
  });

  it('continues one step after the watermark', () => {
    const to = 1_700_000_100_000 - (1_700_000_100_000 % (15 * S));
    const plan = planRange({ ...base, watermark: to - 45 * S, now: to + 60 * S + 1 });
    expect(plan).toEqual({ range: { from: to - 30 * S, to }, skippedMs: 0 });
  });

  it('reads nothing while the watermark is at the newest complete step', () => {
    const to = 1_700_000_100_000 - (1_700_000_100_000 % (15 * S));
    expect(planRange({ ...base, watermark: to, now: to + 60 * S + 14 * S }).range).toBeUndefined();
  });

  it('a watermark older than catch_up_ms is bounded, and says how much is skipped', () => {
    const to = 1_700_000_100_000 - (1_700_000_100_000 % (15 * S));
    const plan = planRange({ ...base, watermark: to - 7200 * S, now: to + 60 * S });
    expect(plan.range).toEqual({ from: to - 3600 * S, to });
    expect(plan.skippedMs).toBe(3600 * S - 15 * S);
  });
});

describe('splitRange', () => {
  it('keeps a short range whole', () => {
    expect(splitRange({ from: 0, to: 10 * S }, S, 11)).toEqual([{ from: 0, to: 10 * S }]);
  });

  it('splits a long range into ranges of at most maxPoints instants', () => {
    expect(splitRange({ from: 0, to: 10 * S }, S, 4)).toEqual([
      { from: 0, to: 3 * S },
      { from: 4 * S, to: 7 * S },
      { from: 8 * S, to: 10 * S },
    ]);
  });

  it('refuses a zero step', () => {
    expect(() => splitRange({ from: 0, to: 1 }, 0, 10)).toThrow(RangeError);
  });

  it('covers every step instant exactly once, in order, within the point limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (stepS, steps, maxPoints, start) => {
          const step = stepS * S;
          const from = start * step;
          const ranges = splitRange({ from, to: from + steps * step }, step, maxPoints);
          const instants: number[] = [];
          for (const r of ranges) {
            const n = (r.to - r.from) / step + 1;
            if (n > maxPoints) return false;
            for (let t = r.from; t <= r.to; t += step) instants.push(t);
          }
          return instants.length === steps + 1 && instants.every((t, i) => t === from + i * step);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('runs that each read their plan and move the watermark read every instant once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 400 * S }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 2, max: 20 }),
        (gaps, maxPoints) => {
          const p = { stepMs: 5 * S, offsetMs: 10 * S, catchUpMs: 10_000 * S };
          let now = 1_700_000_000_000;
          let watermark: number | undefined;
          const seen: number[] = [];
          for (const gap of gaps) {
            now += gap;
            const { range } = planRange({ ...p, watermark, now });
            if (range === undefined) continue;
            for (const r of splitRange(range, p.stepMs, maxPoints)) {
              for (let t = r.from; t <= r.to; t += p.stepMs) seen.push(t);
              watermark = r.to;
            }
          }
          return seen.every((t, i) => i === 0 || t === (seen[i - 1] ?? 0) + p.stepMs);
        },
      ),
      { numRuns: 300 },
    );
  });
});
