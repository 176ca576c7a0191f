import { describe, expect, it } from 'vitest';
import { counterToRate, createCounterState } from '../../src/detect/counter-rate.js';

const feed = (points: [number, number][]): (number | undefined)[] => {
  const s = createCounterState();
  return points.map(([t, v]) => counterToRate(s, t, v));
};

describe('counter to rate', () => {
  it.each([
    [
      'steady increase',
      [
        [0, 0],
        [1000, 10],
        [2000, 30],
      ],
      [undefined, 10, 20],
    ],
    [
      'reset to zero then growth',
      [
        [0, 100],
        [1000, 150],
        [2000, 5],
        [3000, 25],
      ],
      [undefined, 50, 5, 20],
    ],
    [
      'reset to exactly zero',
      [
        [0, 7],
        [10_000, 0],
      ],
      [undefined, 0],
    ],
    [
      'flat counter',
      [
        [0, 42],
        [5000, 42],
      ],
      [undefined, 0],
    ],
    [
      'uneven spacing',
      [
        [0, 0],
        [500, 10],
        [2500, 30],
      ],
      [undefined, 20, 10],
    ],
    [
      'older sample ignored',
      [
        [0, 0],
        [2000, 20],
        [1000, 5],
        [3000, 30],
      ],
      [undefined, 10, undefined, 10],
    ],
    [
      'duplicate timestamp ignored',
      [
        [0, 0],
        [1000, 10],
        [1000, 99],
        [2000, 20],
      ],
      [undefined, 10, undefined, 10],
    ],
    [
      'NaN ignored',
      [
        [0, 0],
        [1000, Number.NaN],
        [2000, 20],
      ],
      [undefined, undefined, 10],
    ],
  ] as [string, [number, number][], (number | undefined)[]][])('%s', (_name, points, rates) => {
    expect(feed(points)).toEqual(rates);
  });
});
