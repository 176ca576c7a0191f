/**
 * parseSeriesKey is the inverse of seriesKey for every key ingest can make (metric names
 * without `{`, label names without `=`), whatever the label values hold: quotes, backslashes,
 * commas, braces, `=`, unicode. Anything else is refused, never misread.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyIsParseable, parseSeriesKey, seriesKey } from '../../src/queues/series-key.js';

const metric = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,30}$/);
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_.]{0,20}$/);
const labelValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('a"b', 'c\\d', 'x,y="z"}', '{', '}', '=', '\\"', 'é ✓ 日本', '\n\t'),
);

describe('parseSeriesKey', () => {
  it('gives back the metric and labels of every key ingest makes', () => {
    fc.assert(
      fc.property(metric, fc.dictionary(labelName, labelValue, { maxKeys: 12 }), (m, labels) => {
        expect(keyIsParseable(m, labels)).toBe(true);
        expect(parseSeriesKey(seriesKey(m, labels))).toEqual({ metric: m, labels });
      }),
    );
  });

  it('reads a key without labels as the metric alone', () => {
    expect(parseSeriesKey('up')).toEqual({ metric: 'up', labels: {} });
    expect(parseSeriesKey('up{}')).toEqual({ metric: 'up', labels: {} });
  });

  it('refuses what is not a key rather than misreading it', () => {
    for (const bad of ['up{a="1"', 'up{a=1}', 'up{a="1"b="2"}', 'up{a="1}', 'up{a}', 'up{="x",}']) {
      const parsed = parseSeriesKey(bad);
      if (parsed) expect(seriesKey(parsed.metric, parsed.labels)).toBe(bad);
    }
    expect(parseSeriesKey('up{a="1"')).toBeUndefined();
    expect(parseSeriesKey('up{a=1}')).toBeUndefined();
    expect(parseSeriesKey('up{a="1"b="2"}')).toBeUndefined();
  });

  it('says which metric and labels a key cannot carry', () => {
    expect(keyIsParseable('a{b', {})).toBe(false);
    expect(keyIsParseable('up', { 'a=b': '1' })).toBe(false);
    expect(keyIsParseable('up', { 'a.b': 'x=y' })).toBe(true);
    expect(keyIsParseable('up', { '': 'x' })).toBe(false);
    expect(keyIsParseable('up', JSON.parse('{"__proto__":"x"}') as Record<string, string>)).toBe(
      false,
    );
  });
});
