import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ExpositionError,
  formatOf,
  parseExposition,
  type ExpositionFormat,
} from '../../src/ingest/pull/exposition.js';
import { exposedToSamples } from '../../src/ingest/pull/pulled-samples.js';

const TEXT = [
  '# HELP http_requests_total Requests served.',
  '# TYPE http_requests_total counter',
  'http_requests_total{method="post",code="200"} 1027 1395066363000',
  'http_requests_total{method="post",code="400"}    3 1395066363000',
  '',
  '# Escaping in label values:',
  'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
  'metric_without_timestamp_and_labels 12.47',
  'something_weird{problem="division by zero"} +Inf -3982045',
  '# TYPE rpc_duration_seconds summary',
  'rpc_duration_seconds{quantile="0.5"} 4773',
  'rpc_duration_seconds_sum 1.7560473e+07',
  'rpc_duration_seconds_count 2693',
  '# TYPE http_request_duration_seconds histogram',
  'http_request_duration_seconds_bucket{le="0.05"} 24054',
  'http_request_duration_seconds_bucket{le="+Inf"} 144320',
  'http_request_duration_seconds_sum 53423',
  'http_request_duration_seconds_count 144320',
  '# TYPE temperature gauge',
  'temperature{room="a",} NaN',
  '',
].join('\n');

const OPENMETRICS = [
  '# TYPE acme_http_router_request counter',
  '# UNIT acme_http_router_request requests',
  '# HELP acme_http_router_request Total HTTP requests',
  'acme_http_router_request_total{path="/api/v1",method="GET"} 1.0 1520879607.789',
  'acme_http_router_request_created{path="/api/v1",method="GET"} 1520430000.123',
  '# TYPE foo histogram',
  'foo_bucket{le="0.01"} 0',
  'foo_bucket{le="+Inf"} 17 # {trace_id="oHg5SJYRHA0"} 9.8 1520879607.789',
  'foo_count 17',
  'foo_sum 324789.3',
  'foo_created 1520430000.123',
  '# TYPE queue_depth gauge',
  'queue_depth 5',
  '# TYPE build info',
  'build_info{version="1.2"} 1',
  '# EOF',
  '',
].join('\n');

describe('parseExposition: the Prometheus text format 0.0.4', () => {
  const samples = parseExposition(TEXT, 'prometheus');
  const byName = (name: string, labels: Record<string, string> = {}): unknown =>
    samples.find(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );

  it('reads names, labels, values and ms timestamps', () => {
    expect(samples).toHaveLength(13);
    expect(byName('http_requests_total', { code: '400' })).toEqual({
      name: 'http_requests_total',
      labels: { method: 'post', code: '400' },
      value: 3,
      ts: 1395066363000,
      type: 'counter',
      family: 'http_requests_total',
    });
    expect(byName('metric_without_timestamp_and_labels')).toEqual({
      name: 'metric_without_timestamp_and_labels',
      labels: {},
      value: 12.47,
      type: 'untyped',
      family: 'metric_without_timestamp_and_labels',
    });
  });

  it('unescapes \\\\, \\" and \\n in label values', () => {
    expect(byName('msdos_file_access_time_seconds')).toMatchObject({
      labels: { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' },
      value: 1.458255915e9,
    });
  });

  it('reads +Inf, NaN, negative timestamps and a trailing comma in labels', () => {
    expect(byName('something_weird')).toMatchObject({ value: Infinity, ts: -3982045 });
    const t = byName('temperature') as { value: number; labels: object; type: string };
    expect(Number.isNaN(t.value)).toBe(true);
    expect(t.labels).toEqual({ room: 'a' });
    expect(t.type).toBe('gauge');
  });

  it('puts _bucket, _sum and _count samples in their histogram or summary family', () => {
    expect(byName('http_request_duration_seconds_bucket', { le: '+Inf' })).toMatchObject({
      family: 'http_request_duration_seconds',
      type: 'histogram',
      value: 144320,
    });
    expect(byName('rpc_duration_seconds_count')).toMatchObject({
      family: 'rpc_duration_seconds',
      type: 'summary',
    });
    expect(byName('rpc_duration_seconds', { quantile: '0.5' })).toMatchObject({
      family: 'rpc_duration_seconds',
      type: 'summary',
    });
  });

  it('reads what Prometheus reads: unknown escapes kept as written, CRLF lines, a blank before the labels', () => {
    const body = '# TYPE a counter\r\na_total{path="C:\\temp"} 1\r\nb {x="y"} 2\r\n';
    const out = parseExposition(body, 'prometheus');
    expect(out.map((s) => [s.name, s.labels, s.value])).toEqual([
      ['a_total', { path: 'C:\\temp' }, 1],
      ['b', { x: 'y' }, 2],
    ]);
    expect(out[0]?.type).toBe('counter');
    const om = parseExposition('# TYPE c gauge\r\nc 3\r\n# EOF\r\n', 'openmetrics');
    expect(om.map((s) => s.value)).toEqual([3]);
  });

  it('accepts leading blanks and a body without a final newline', () => {
    expect(parseExposition('  a 1\n\tb{x="y"} 2', 'prometheus').map((s) => s.value)).toEqual([
      1, 2,
    ]);
  });
});

describe('parseExposition: OpenMetrics 1.0', () => {
  const samples = parseExposition(OPENMETRICS, 'openmetrics');

  it('types foo_total and foo_created by the counter family foo, with its unit, timestamps in seconds', () => {
    expect(samples[0]).toEqual({
      name: 'acme_http_router_request_total',
      labels: { path: '/api/v1', method: 'GET' },
      value: 1,
      ts: 1520879607789,
      type: 'counter',
      family: 'acme_http_router_request',
      unit: 'requests',
    });
    // A family without # UNIT has none.
    expect(samples.find((s) => s.name === 'foo_count')).not.toHaveProperty('unit');
    expect(samples[1]).toMatchObject({
      name: 'acme_http_router_request_created',
      family: 'acme_http_router_request',
      value: 1520430000.123,
    });
  });

  it('drops exemplars and keeps the sample', () => {
    expect(samples.find((s) => s.labels.le === '+Inf')).toMatchObject({
      name: 'foo_bucket',
      value: 17,
      type: 'histogram',
      family: 'foo',
    });
    expect(samples.find((s) => s.labels.le === '+Inf')?.ts).toBeUndefined();
  });

  it('reads info and gauge families', () => {
    expect(samples.find((s) => s.name === 'build_info')).toMatchObject({
      type: 'info',
      family: 'build',
    });
    expect(samples.find((s) => s.name === 'queue_depth')).toMatchObject({ type: 'gauge' });
  });
});

describe('parseExposition: bodies that break the format fail as a whole', () => {
  const cases: [string, ExpositionFormat, string, RegExp][] = [
    ['no value', 'prometheus', 'a\n', /line 1: expected a value/],
    ['bad value', 'prometheus', 'a 1x\n', /invalid value 1x/],
    ['unterminated label value', 'prometheus', 'a{b="c} 1\n', /unterminated/],
    ['unquoted label value', 'prometheus', 'a{b=c} 1\n', /must be quoted/],
    ['bad escape', 'openmetrics', 'a{b="\\t"} 1\n# EOF\n', /invalid escape/],
    ['duplicate label', 'prometheus', 'a{b="1",b="2"} 1\n', /label b twice/],
    ['float ms timestamp', 'prometheus', 'a 1 1.5\n', /integer ms/],
    ['three fields', 'prometheus', 'a 1 2 3\n', /value \[timestamp\]/],
    ['bad name', 'prometheus', '0a 1\n', /expected a metric name/],
    ['unknown type', 'prometheus', '# TYPE a info\n', /unknown type info/],
    ['second TYPE', 'prometheus', '# TYPE a gauge\n# TYPE a counter\n', /second TYPE/],
    ['malformed TYPE', 'prometheus', '# TYPE a\n', /malformed TYPE/],
    ['no # EOF', 'openmetrics', 'a 1\n', /does not end with # EOF/],
    ['content after # EOF', 'openmetrics', '# EOF\na 1\n', /line 2: content after # EOF/],
    ['empty line', 'openmetrics', 'a 1\n\n# EOF\n', /line 2: empty line/],
    ['huge seconds timestamp', 'openmetrics', 'a 1 1e300\n# EOF\n', /seconds/],
  ];
  it.each(cases)('%s', (_what, format, body, message) => {
    expect(() => parseExposition(body, format)).toThrow(ExpositionError);
    expect(() => parseExposition(body, format)).toThrow(message);
  });

  it('fails a body with more samples than the limit', () => {
    expect(() => parseExposition('a 1\nb 2\nc 3\n', 'prometheus', 2)).toThrow(/more than 2/);
    expect(parseExposition('a 1\nb 2\n', 'prometheus', 2)).toHaveLength(2);
  });
});

describe('formatOf', () => {
  it.each([
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics'],
    ['Application/OpenMetrics-Text', 'openmetrics'],
    ['text/plain; version=0.0.4; charset=utf-8', 'prometheus'],
    [null, 'prometheus'],
    ['', 'prometheus'],
  ])('%s is %s', (type, format) => {
    expect(formatOf(type)).toBe(format);
  });
});

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LIMITS = {
  serviceLabels: ['service'],
  maxLabels: 30,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * What a parse may do: return well-formed samples, or throw ExpositionError; nothing else.
 * Plain checks (not expect) keep 10,000 runs fast; fast-check reports the body that broke one.
 */
function parsesOrRejects(body: string, format: ExpositionFormat): void {
  let samples;
  try {
    samples = parseExposition(body, format, 10_000);
  } catch (err) {
    if (err instanceof ExpositionError) return;
    throw err;
  }
  // Whatever parses also converts without throwing (bad samples are rejections).
  exposedToSamples(samples, 1_764_000_000_000, { service: 'fuzz' }, LIMITS);
  for (const s of samples) {
    if (!NAME.test(s.name)) throw new Error(`bad name ${s.name}`);
    if (typeof s.value !== 'number') throw new Error(`bad value ${String(s.value)}`);
    if (s.ts !== undefined && !Number.isFinite(s.ts)) throw new Error(`bad ts ${s.ts}`);
    for (const [k, v] of Object.entries(s.labels)) {
      if (!LABEL.test(k) || typeof v !== 'string') throw new Error(`bad label ${k}`);
    }
  }
}

/** Inserts, deletes or replaces characters of a valid body at random places. */
const mutated = (base: string): fc.Arbitrary<string> =>
  fc
    .array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom('insert', 'delete', 'replace'),
        fc.constantFrom(...Array.from('{}",=\\# \n\t.eE+-_:0123456789aN/'), '\u0000', 'é', '\r'),
      ),
      { minLength: 1, maxLength: 8 },
    )
    .map((edits) => {
      let s = base;
      for (const [at, op, c] of edits) {
        const i = s.length === 0 ? 0 : at % s.length;
        if (op === 'insert') s = s.slice(0, i) + c + s.slice(i);
        else if (op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
        else s = s.slice(0, i) + c + s.slice(i + 1);
      }
      return s;
    });

describe('parseExposition fuzz: only ExpositionError, never a hang', () => {
  const formats: ExpositionFormat[] = ['prometheus', 'openmetrics'];
  const alphabet = fc.constantFrom(
    ...Array.from('ab_:{}",=\\# \n\t.1eE+-NaIf0'),
    'TYPE ',
    'counter',
    '# EOF',
  );

  for (const format of formats) {
    it(`${format}: 10,000 random bodies`, { timeout: 60_000 }, () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ maxLength: 300 }),
            fc.array(alphabet, { maxLength: 80 }).map((a) => a.join('')),
          ),
          (body) => {
            parsesOrRejects(body, format);
          },
        ),
        { numRuns: 10_000 },
      );
    });

    it(`${format}: 10,000 mutated valid bodies`, { timeout: 60_000 }, () => {
      const base = format === 'prometheus' ? TEXT : OPENMETRICS;
      fc.assert(
        fc.property(mutated(base), (body) => {
          parsesOrRejects(body, format);
        }),
        { numRuns: 10_000 },
      );
    });
  }

  it('a long pathological line parses in linear time', () => {
    const started = performance.now();
    const line = `a{${Array.from({ length: 20_000 }, (_, i) => `l${i}="${'\\"'.repeat(5)}"`).join(',')}} 1\n`;
    expect(parseExposition(line, 'prometheus')[0]?.labels.l19999).toBe('"""""');
    expect(() => parseExposition('a{b="' + 'x'.repeat(1_000_000), 'prometheus')).toThrow(
      ExpositionError,
    );
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('parseExposition round trip', () => {
  const labelValue = fc.string({ maxLength: 20 });
  const escape = (v: string): string =>
    v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

  it('reads back any label values and numbers it is given, escaped', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), { minLength: 1, maxLength: 4 }),
        fc.array(labelValue, { minLength: 4, maxLength: 4 }),
        fc.double({ noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 7_000_000_000_000 }), { nil: undefined }),
        (names, values, value, ts) => {
          const labels = Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
          const body =
            `m{${names.map((n) => `${n}="${escape(labels[n] ?? '')}"`).join(',')}} ` +
            (Object.is(value, -0) ? '-0' : String(value).replace('Infinity', 'Inf')) +
            `${ts === undefined ? '' : ` ${ts}`}\n`;
          const [s] = parseExposition(body, 'prometheus');
          expect(s?.labels).toEqual(labels);
          expect(s?.value).toBe(value);
          expect(s?.ts).toBe(ts);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
