import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEwmaDetector, zToScore } from '../../detectors/ewma.js';
import { gaussian } from '../helpers/series.js';

const det = createEwmaDetector();

describe('EWMA detector', () => {
  it('scores 0 and reports learning during warm-up', () => {
    const s = det.create();
    for (let i = 0; i < 29; i++) {
      const r = det.update(s, i * 1000, i % 2 ? 1000 : 0);
      expect(r.score).toBe(0);
      expect(r.learning).toBe(true);
    }
  });

  it('scores a spike near 1 and normal noise low, with the band around the mean', () => {
    const s = det.create();
    const g = gaussian(7);
    let maxNormal = 0;
    for (let i = 0; i < 2000; i++) {
      const r = det.update(s, i * 1000, 100 + 5 * g());
      if (i > 100) maxNormal = Math.max(maxNormal, r.score);
    }
    expect(maxNormal).toBeLessThan(0.5);
    const spike = det.update(s, 2000 * 1000, 200);
    expect(spike.score).toBeGreaterThan(0.9);
    expect(spike.expected).toBeGreaterThan(95);
    expect(spike.expected).toBeLessThan(105);
    expect(spike.lower).toBeLessThan(spike.expected);
    expect(spike.upper).toBeGreaterThan(spike.expected);
    expect(spike.upper).toBeLessThan(200);
  });

  it('does not let one spike widen the band for the samples after it', () => {
    const s = det.create();
    const g = gaussian(3);
    for (let i = 0; i < 500; i++) det.update(s, i, 50 + g());
    const before = det.update(s, 500, 50);
    det.update(s, 501, 5000);
    const after = det.update(s, 502, 50);
    expect(after.upper - after.lower).toBeLessThan(2 * (before.upper - before.lower));
  });

  it('keeps a lasting level shift anomalous for a while, then learns the new level', () => {
    const s = det.create();
    const g = gaussian(5);
    for (let i = 0; i < 1000; i++) det.update(s, i, 100 + 2 * g());
    const scores = Array.from(
      { length: 400 },
      (_, k) => det.update(s, 1000 + k, 160 + 2 * g()).score,
    );
    expect(Math.min(...scores.slice(0, 20))).toBeGreaterThan(0.9);
    expect(Math.max(...scores.slice(-50))).toBeLessThan(0.5);
  });

  it('ignores samples not newer than the last one taken, and NaN/Inf, without throwing', () => {
    const s = det.create();
    expect(det.update(s, 10, 1).outcome).toBe('taken');
    expect(det.update(s, 10, 2).outcome).toBe('not_newer');
    expect(det.update(s, 5, 2).outcome).toBe('not_newer');
    expect(det.update(s, 11, Number.NaN).outcome).toBe('invalid');
    expect(det.update(s, 12, Number.POSITIVE_INFINITY).outcome).toBe('invalid');
    expect(s.n).toBe(1);
    expect(det.update(s, 13, 1).outcome).toBe('taken');
    expect(s.n).toBe(2);
  });

  it('encodes to 32 bytes and decodes to a state that scores identically (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 80 }),
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        (values, next) => {
          const a = det.create();
          values.forEach((v, i) => det.update(a, i, v));
          const bytes = det.encode(a);
          expect(bytes.byteLength).toBe(32);
          const b = det.decode(bytes);
          expect(b).toEqual(a);
          expect(det.update(b, values.length, next)).toEqual(det.update(a, values.length, next));
        },
      ),
    );
  });

  it('stays finite when values near the float limits arrive', () => {
    const s = det.create();
    for (let i = 0; i < 40; i++) det.update(s, i, i % 2 ? 1e308 : -1e308);
    expect(Number.isFinite(s.mean)).toBe(true);
    expect(Number.isFinite(s.variance)).toBe(true);
    const r = det.update(s, 100, 5);
    expect(r.score).toBeGreaterThanOrEqual(0);
    expect(r.score).toBeLessThanOrEqual(1);
  });

  it('rejects a state of the wrong size', () => {
    expect(() => det.decode(new Uint8Array(7))).toThrow(/32 bytes/);
  });

  it.each([
    [0, 0],
    [3.5, 0],
    [-3.5, 0],
    [6, 0.9],
    [-6, 0.9],
  ])('maps z=%d to score %d', (z, score) => {
    expect(zToScore(z, 3.5, 2.5 / Math.LN10)).toBeCloseTo(score, 6);
  });

  it('keeps every score in [0, 1] (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: false }), { maxLength: 200 }), (values) => {
        const s = det.create();
        values.forEach((v, i) => {
          const r = det.update(s, i, v);
          expect(r.score).toBeGreaterThanOrEqual(0);
          expect(r.score).toBeLessThanOrEqual(1);
        });
      }),
    );
  });
});
