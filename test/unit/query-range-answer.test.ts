import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PullError } from '../../src/ingest/pull/pull-error.js';
import { matrixToSamples } from '../../src/ingest/pull/pulled-samples.js';
import { parseQueryRangeAnswer, queryRangeUrl } from '../../src/ingest/pull/query-range.js';
import type { RecordLimits } from '../../src/ingest/records.js';

const URL = 'http://prom:9090/api/v1/query_range';
const limits: RecordLimits = {
  serviceLabels: ['service', 'job'],
  maxLabels: 30,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};
const VALID = JSON.stringify({
  status: 'success',
  data: {
    resultType: 'matrix',
    result: [
      {
        metric: { __name__: 'up', job: 'auth', instance: 'a:9100' },
        values: [
          [1764000000, '1'],
          [1764000015.5, 'NaN'],
        ],
      },
      { metric: { job: 'mail' }, values: [[1764000000, '+Inf']] },
    ],
  },
});

const reasonOf = (status: number, text: string): string => {
  try {
    parseQueryRangeAnswer(status, text, URL);
  } catch (err) {
    if (err instanceof PullError) return err.reason;
    throw err;
  }
  return 'ok';
};

describe('parseQueryRangeAnswer', () => {
  it('reads a matrix', () => {
    const series = parseQueryRangeAnswer(200, VALID, URL);
    expect(series).toHaveLength(2);
    expect(series[0]).toEqual({
      metric: { __name__: 'up', job: 'auth', instance: 'a:9100' },
      values: [
        [1764000000, '1'],
        [1764000015.5, 'NaN'],
      ],
    });
  });

  it.each([
    [
      'an API error with a 4xx status',
      400,
      '{"status":"error","errorType":"bad_data","error":"parse error"}',
      'api_error',
    ],
    ['an API error with a 2xx status', 200, '{"status":"error","error":"x"}', 'api_error'],
    ['a 503 without an API body', 503, 'overloaded', 'http_status'],
    [
      'a vector instead of a matrix',
      200,
      '{"status":"success","data":{"resultType":"vector","result":[]}}',
      'bad_response',
    ],
    [
      'a value that is not a string',
      200,
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,1]]}]}}',
      'bad_response',
    ],
    ['HTML', 200, '<html>login</html>', 'bad_response'],
    ['an empty body', 200, '', 'bad_response'],
  ])('%s is %s', (_what, status, body, reason) => {
    expect(reasonOf(status, body)).toBe(reason);
  });

  it('names the API error in the message', () => {
    expect(() =>
      parseQueryRangeAnswer(
        422,
        '{"status":"error","errorType":"execution","error":"too many points"}',
        URL,
      ),
    ).toThrow(/422, execution\): too many points/);
  });

  it('joins the API path to a base URL with or without a trailing slash or a prefix', () => {
    expect(queryRangeUrl('http://p:9090')).toBe('http://p:9090/api/v1/query_range');
    expect(queryRangeUrl('http://p/prom/')).toBe('http://p/prom/api/v1/query_range');
  });
});

/** An answer decodes to series that convert without throwing, or fails with a PullError. */
function decodesOrFails(status: number, text: string): void {
  let series;
  try {
    series = parseQueryRangeAnswer(status, text, URL);
  } catch (err) {
    if (err instanceof PullError) return;
    throw err;
  }
  const out = matrixToSamples(series, 'q', { service: 'auth' }, limits);
  for (const s of out.samples) {
    if (!Number.isFinite(s.value) || !Number.isFinite(s.ts)) throw new Error('bad sample');
  }
}

const mutatedText = fc
  .array(
    fc.tuple(
      fc.nat(),
      fc.constantFrom('insert', 'delete', 'replace'),
      fc.constantFrom(...Array.from('{}[]",:0123456789.eE-+ntfaslu\\'), 'null', '"__name__"'),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((edits) => {
    let s = VALID;
    for (const [at, op, c] of edits) {
      const i = at % s.length;
      if (op === 'insert') s = s.slice(0, i) + c + s.slice(i);
      else if (op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
      else s = s.slice(0, i) + c + s.slice(i + 1);
    }
    return s;
  });

/** Valid shapes with random leaves: metric maps, values and timestamps of any JSON. */
const mutatedShape = fc
  .record({
    status: fc.oneof(fc.constant('success'), fc.constant('error'), fc.jsonValue({ maxDepth: 2 })),
    data: fc.record({
      resultType: fc.oneof(fc.constant('matrix'), fc.jsonValue({ maxDepth: 2 })),
      result: fc.array(
        fc.record({
          metric: fc.oneof(
            fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), {
              maxKeys: 4,
            }),
            fc.jsonValue({ maxDepth: 2 }),
          ),
          values: fc.oneof(
            fc.array(
              fc.tuple(
                fc.oneof(fc.double(), fc.integer()),
                fc.oneof(fc.string(), fc.constantFrom('NaN', '1e308', '-Inf', '0x10')),
              ),
            ),
            fc.jsonValue({ maxDepth: 2 }),
          ),
        }),
        { maxLength: 4 },
      ),
    }),
  })
  .map((v) => JSON.stringify(v));

describe('parseQueryRangeAnswer fuzz: only PullError, never a throw from conversion', () => {
  const status = fc.constantFrom(200, 204, 400, 422, 500, 503);

  it('10,000 random bodies', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(
        status,
        fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 3 })),
        (st, body) => {
          decodesOrFails(st, body);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('10,000 mutated valid bodies', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(status, fc.oneof(mutatedText, mutatedShape), (st, body) => {
        decodesOrFails(st, body);
      }),
      { numRuns: 10_000 },
    );
  });
});
