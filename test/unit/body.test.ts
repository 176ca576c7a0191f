import { describe, expect, it } from 'vitest';
import { bodyFormatOf, splitBody } from '../../src/ingest/body.js';

describe('body splitting', () => {
  it.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/x-ndjson', 'ndjson'],
    ['text/plain', undefined],
    ['application/x-protobuf', undefined],
    [undefined, undefined],
  ])('%s -> %s', (type, format) => {
    expect(bodyFormatOf(type)).toBe(format);
  });

  it('takes a JSON array or a single object', () => {
    expect(splitBody('[{"a":1},{"a":2}]', 'json').map((i) => i.ok && i.value)).toEqual([
      { a: 1 },
      { a: 2 },
    ]);
    expect(splitBody('{"a":1}', 'json')).toEqual([{ at: 0, ok: true, value: { a: 1 } }]);
    expect(() => splitBody('{"a":', 'json')).toThrow(SyntaxError);
  });

  it('keeps the good NDJSON lines and names the bad one by its line number', () => {
    const items = splitBody('{"a":1}\n\n{oops\r\n{"a":3}\n', 'ndjson');
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual({ at: 1, ok: true, value: { a: 1 } });
    expect(items[1]?.ok).toBe(false);
    expect(items[1]?.at).toBe(3);
    expect(items[2]).toEqual({ at: 4, ok: true, value: { a: 3 } });
  });
});
