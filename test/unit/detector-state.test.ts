/**
 * The state contract of every registry detector (detectors/contract.ts): the state encodes to
 * bytes and decodes to a state that behaves exactly the same; a sample whose timestamp is not
 * newer than the last one taken is ignored, so a replayed (retried) batch changes nothing;
 * NaN/Inf input is flagged and ignored, never thrown.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detector, DetectorResult } from '../../detectors/contract.js';
import { detectorRegistry, type DetectorParams } from '../../detectors/registry.js';
import { gaussian } from '../helpers/series.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5);

/** Every registry detector with the parameters it needs; the first test checks it is complete. */
const ALL: readonly (readonly [string, DetectorParams])[] = [
  ['ensemble', {}],
  ['ewma', {}],
  ['robust_median', {}],
  ['seasonal', {}],
  ['holt_winters', {}],
  ['cusum', {}],
  ['trend_forecast', { threshold: 130 }],
  ['burn_rate', {}],
];

function build(name: string, params: DetectorParams): Detector<unknown> {
  const entry = detectorRegistry[name];
  if (!entry) throw new Error(`no detector ${name}`);
  return entry.create(params);
}

type Sample = readonly [t: number, v: number];

/**
 * A realistic batch: one-minute samples of N(100, 2²) (an error ratio around 0.1% for
 * burn_rate) with a spike at 80% of the way, long enough (800) to take every detector past its
 * warm-up, Holt-Winters' 576 samples included.
 */
function batch(name: string, seed: number, n = 800): Sample[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, (_, i): Sample => {
    const z = i === Math.floor(n * 0.8) ? 15 : g();
    const v = name === 'burn_rate' ? Math.max(0, 0.001 * (1 + 0.3 * z)) : 100 + 2 * z;
    return [T0 + i * MIN, v];
  });
}

/** State bytes as hex: exact, and much faster to compare than a typed array element by element. */
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const feed = (det: Detector<unknown>, state: unknown, samples: readonly Sample[]) =>
  samples.map(([t, v]) => det.update(state, t, v));

describe('detector state contract', () => {
  it('covers every detector in the registry', () => {
    expect(ALL.map(([n]) => n).sort()).toEqual(Object.keys(detectorRegistry).sort());
  });

  describe.each(ALL)('%s', (name, params) => {
    const det = build(name, params);

    it('replaying the same batch twice changes nothing: all not_newer, state bytes unchanged', () => {
      const state = det.create();
      const samples = batch(name, 1);
      const first = feed(det, state, samples);
      expect(first.every((r) => r.outcome === 'taken')).toBe(true);
      const bytes = hex(det.encode(state));
      const last = samples.at(-1);
      expect(det.lastTimestamp(state)).toBe(last?.[0]);

      const second = feed(det, state, samples);
      expect(new Set(second.map((r) => r.outcome))).toEqual(new Set(['not_newer']));
      expect(second.every((r) => r.score === 0)).toBe(true);
      expect(hex(det.encode(state))).toBe(bytes);
      expect(det.lastTimestamp(state)).toBe(last?.[0]);
    });

    it('an overlapping retry (old samples, then new ones) ends exactly like one clean pass', () => {
      const samples = batch(name, 2);
      const clean = det.create();
      const cleanResults = feed(det, clean, samples);

      const retried = det.create();
      feed(det, retried, samples.slice(0, 600));
      const retry = feed(det, retried, samples.slice(300));
      expect(retry.slice(0, 300).every((r) => r.outcome === 'not_newer')).toBe(true);
      expect(retry.slice(300)).toEqual(cleanResults.slice(600));
      expect(hex(det.encode(retried))).toBe(hex(det.encode(clean)));
    });

    it('flags NaN/Inf values and timestamps as invalid, without throwing or learning', () => {
      const state = det.create();
      feed(det, state, batch(name, 3, 700));
      const bytes = hex(det.encode(state));
      const t = det.lastTimestamp(state) + MIN;
      const bad: Sample[] = [
        [t, Number.NaN],
        [t, Number.POSITIVE_INFINITY],
        [t, Number.NEGATIVE_INFINITY],
        [Number.NaN, 100],
        [Number.POSITIVE_INFINITY, 100],
      ];
      for (const [bt, bv] of bad) {
        const r = det.update(state, bt, bv);
        expect(r.outcome, `${bt} ${bv}`).toBe('invalid');
        expect(r.score).toBe(0);
      }
      expect(hex(det.encode(state))).toBe(bytes);
      expect(det.update(state, t, name === 'burn_rate' ? 0.001 : 100).outcome).toBe('taken');
    });

    it('rejects state bytes of the wrong size with a RangeError', () => {
      const size = det.encode(det.create()).byteLength;
      expect(() => det.decode(new Uint8Array(size + 8))).toThrow(RangeError);
      expect(() => det.decode(new Uint8Array(size - 8))).toThrow(RangeError);
    });

    /** Arbitrary samples: jumps back and forth in time, extreme values, NaN and ±Inf. */
    const sample = fc.record({
      dt: fc.integer({ min: -2 * MIN, max: 6 * 60 * MIN }),
      v: fc.oneof(
        { weight: 4, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
        { weight: 1, arbitrary: fc.double() },
      ),
    });

    it('decode(encode(state)) is exact and continues exactly like the state (property)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.integer({ min: 0, max: 800 }),
          fc.array(sample, { maxLength: 30 }),
          fc.array(sample, { maxLength: 30 }),
          (seed, n, middle, tail) => {
            const a = det.create();
            const prefix = batch(name, seed, n);
            feed(det, a, prefix);
            let t = prefix.at(-1)?.[0] ?? T0;
            for (const { dt, v } of middle) det.update(a, (t += dt), v);

            const bytes = det.encode(a);
            // The view without a copy, where a detector has one, holds the same bytes.
            const view = det.encodedView?.(a);
            if (view !== undefined) expect(hex(view)).toBe(hex(bytes));
            // Decode from a view into a larger buffer, as a pooled Redis reply would be, at an
            // offset that is not a multiple of 8.
            const pooled = new Uint8Array(bytes.byteLength + 24);
            pooled.set(bytes, 13);
            const b = det.decode(pooled.subarray(13, 13 + bytes.byteLength));
            expect(hex(det.encode(b))).toBe(hex(bytes));
            expect(det.lastTimestamp(b)).toBe(det.lastTimestamp(a));

            for (const { dt, v } of tail) {
              t += dt;
              const ra: DetectorResult = det.update(a, t, v);
              const rb: DetectorResult = det.update(b, t, v);
              expect(rb).toEqual(ra);
            }
            expect(hex(det.encode(b))).toBe(hex(det.encode(a)));
          },
        ),
        { numRuns: 100 },
      );
    });

    it('keeps every score in [0, 1], whatever the input (property)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.integer({ min: 0, max: 800 }),
          fc.array(sample, { maxLength: 60 }),
          (seed, n, extra) => {
            const state = det.create();
            const results = feed(det, state, batch(name, seed, n));
            let t = det.lastTimestamp(state);
            if (!Number.isFinite(t)) t = T0;
            for (const { dt, v } of extra) results.push(det.update(state, (t += dt), v));
            const outside = results.filter((r) => !(r.score >= 0 && r.score <= 1));
            expect(outside).toEqual([]);
          },
        ),
        { numRuns: 50 },
      );
    });
  });
});
