import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LokiSelectorError, parseLokiSelector } from '../../src/ingest/loki/selector.js';
import { selector } from '../helpers/loki-push.js';

describe('Loki stream selectors', () => {
  it.each([
    ['{job="auth", level="error"}', { job: 'auth', level: 'error' }],
    ['{}', {}],
    [' { job = "auth" , } ', { job: 'auth' }],
    ['{a=""}', { a: '' }],
    // Go's %q: quotes, backslashes, control characters, non-ASCII as it is.
    [String.raw`{path="C:\\logs\\a \"b\"\n\t"}`, { path: 'C:\\logs\\a "b"\n\t' }],
    [String.raw`{x="\a\b\f\r\v"}`, { x: '\x07\b\f\r\v' }],
    [String.raw`{x="\x41\101\u00e9\U0001F600"}`, { x: 'AAé😀' }],
    [String.raw`{x="\xc3\xa9"}`, { x: 'é' }],
    ['{x="héllo 😀", y="\u007f"}', { x: 'héllo 😀', y: '\u007f' }],
    ['{x=`raw \\n "text"`}', { x: 'raw \\n "text"' }],
    ['{_under_score9="v"}', { _under_score9: 'v' }],
    ['{__proto__="p", constructor="c"}', { ['__proto__']: 'p', constructor: 'c' }],
  ])('parses %s', (text, labels) => {
    const parsed = parseLokiSelector(text);
    expect(parsed).toEqual(labels);
    expect(Object.keys(parsed)).toEqual(Object.keys(labels));
  });

  it.each([
    ['', /expected "\{"/],
    ['job="auth"', /expected "\{"/],
    ['{job="auth"', /expected "," or "\}"/],
    ['{job="auth" level="x"}', /expected "," or "\}"/],
    ['{job=~"auth"}', /only = matchers/],
    ['{job!="auth"}', /expected "="/],
    ['{job="a", job="b"}', /appears twice/],
    ['{1job="a"}', /label name/],
    ['{service.name="a"}', /expected "="/],
    ['{job=auth}', /quoted value/],
    ['{job="auth}', /unterminated/],
    ['{job="a\nb"}', /unterminated/],
    ['{job=`auth}', /unterminated raw/],
    [String.raw`{x="\q"}`, /unknown escape/],
    [String.raw`{x="\'"}`, /unknown escape/],
    [String.raw`{x="\x4"}`, /2 hex digits/],
    [String.raw`{x="\12"}`, /three digits/],
    [String.raw`{x="\400"}`, /above/],
    [String.raw`{x="\ud800"}`, /invalid code point/],
    [String.raw`{x="\U00110000"}`, /invalid code point/],
    [String.raw`{x="\xff"}`, /not UTF-8/],
    ['{job="auth"} extra', /after "\}"/],
    ['{job="auth"}}', /after "\}"/],
    ['{,}', /label name/],
  ])('refuses %s', (text, message) => {
    expect(() => parseLokiSelector(text)).toThrow(LokiSelectorError);
    expect(() => parseLokiSelector(text)).toThrow(message);
  });

  it('reads back any label set written as promtail writes it (2,000 sets)', () => {
    const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,20}$/);
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.string({ unit: 'binary', maxLength: 40 }), { maxKeys: 8 }),
        (labels) => {
          expect(parseLokiSelector(selector(labels))).toEqual(labels);
        },
      ),
      { numRuns: 2000 },
    );
  }, 30_000);

  it('fuzz: any text is parsed or refused with a LokiSelectorError (10,000 texts)', () => {
    const pieces = fc.constantFrom('{', '}', '=', '"', '`', ',', ' ', '\\', 'x', 'u', '7', 'a=');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(pieces, { maxLength: 30 }).map((p) => p.join('')),
        ),
        (text) => {
          try {
            const labels = parseLokiSelector(text);
            for (const v of Object.values(labels)) expect(typeof v).toBe('string');
          } catch (err) {
            if (!(err instanceof LokiSelectorError)) throw err;
          }
        },
      ),
      { numRuns: 10_000 },
    );
  }, 60_000);
});
