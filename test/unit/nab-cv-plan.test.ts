import { describe, expect, it } from 'vitest';
import {
  NAB_FOLDS,
  accepting,
  bestVariant,
  median,
  sensitivityVariants,
  trainingCategories,
} from '../../bench/nab-cv-plan.js';
import { detectorRegistry } from '../../detectors/registry.js';

describe('NAB cross-validation plan', () => {
  it('has three folds, the two artificial categories together, each category in exactly one', () => {
    expect(NAB_FOLDS.map((f) => f.name)).toEqual([
      'artificial',
      'realKnownCause',
      'realAWSCloudwatch',
    ]);
    const all = NAB_FOLDS.flatMap((f) => f.categories);
    expect(new Set(all).size).toBe(all.length);
    expect(NAB_FOLDS[0]?.categories).toEqual(['artificialNoAnomaly', 'artificialWithAnomaly']);
  });

  it('trains on every fold but the held-out one', () => {
    const held = NAB_FOLDS[1];
    if (!held) throw new Error('no fold');
    expect(trainingCategories(NAB_FOLDS, held)).toEqual([
      'artificialNoAnomaly',
      'artificialWithAnomaly',
      'realAWSCloudwatch',
    ]);
  });

  it('moves each numeric parameter by each factor, one at a time, defaults first', () => {
    // `window` must be an integer (as the ensemble's is), `level` need not be.
    const { variants, refused } = sensitivityVariants(
      { alpha: 0.2, window: 5, level: 1, off: 0, zone: 'UTC', flag: true },
      (params) => typeof params.window !== 'number' || Number.isInteger(params.window),
    );
    expect(variants.map((v) => v.label)).toEqual([
      'defaults',
      'alpha ×0.8',
      'alpha ×1.25',
      'window ×0.8',
      'window ×1.25',
      'level ×0.8',
      'level ×1.25',
    ]);
    expect(variants[0]?.params).toEqual({});
    expect(variants[1]?.params.alpha).toBeCloseTo(0.16, 12);
    // Integers the detector requires are rounded: 5 × 0.8 = 4, 5 × 1.25 = 6.25 → 6; a whole
    // number it takes as it is stays unrounded: 1 × 0.8 = 0.8.
    expect(variants.slice(3, 5).map((v) => v.params.window)).toEqual([4, 6]);
    expect(variants.slice(5).map((v) => v.params.level)).toEqual([0.8, 1.25]);
    expect(refused).toEqual([]);
  });

  it('leaves out an integer that rounds back to its default, and names what the detector refuses', () => {
    const { variants, refused } = sensitivityVariants(
      { n: 2, p: 0.9 },
      (params) =>
        !(typeof params.p === 'number' && params.p >= 1) &&
        !(typeof params.n === 'number' && !Number.isInteger(params.n)),
    );
    // 2 × 1.25 = 2.5 rounds to 3 (kept); 2 × 0.8 = 1.6 rounds to 2 (the default: left out).
    expect(variants.map((v) => v.label)).toEqual(['defaults', 'n ×1.25', 'p ×0.8']);
    expect(refused).toEqual(['p ×1.25']);
  });

  it('moves every numeric parameter of the ensemble, rounding only its integer ones', () => {
    const entry = detectorRegistry.ensemble;
    if (!entry) throw new Error('no ensemble');
    const { variants, refused } = sensitivityVariants(entry.defaults, accepting(entry));
    expect(refused).toEqual([]);
    const byLabel = new Map(variants.map((v) => [v.label, v.value]));
    // sd multiples of 1 and 2 are moved as they are, not rounded back to their defaults.
    expect(byLabel.get('minPointSd ×0.8')).toBeCloseTo(0.8, 12);
    expect(byLabel.get('seasonGatePoint ×0.8')).toBeCloseTo(1.6, 12);
    expect(byLabel.get('seasonGatePoint ×1.25')).toBeCloseTo(2.5, 12);
    // Windows and sample counts stay integers.
    expect(byLabel.get('window ×1.25')).toBe(6);
    expect(byLabel.get('warmup ×1.25')).toBe(188);
    const numeric = Object.values(entry.defaults).filter(
      (v) => typeof v === 'number' && v !== 0,
    ).length;
    expect(variants.length).toBe(1 + 2 * numeric);
  });

  it('median and best pick what they say', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(
      bestVariant([
        { item: 'defaults', score: 70 },
        { item: 'a', score: 71 },
        { item: 'b', score: 71 },
      ]),
    ).toBe('a');
    expect(
      bestVariant([
        { item: 'defaults', score: 70 },
        { item: 'a', score: 70 },
      ]),
    ).toBe('defaults');
  });
});
