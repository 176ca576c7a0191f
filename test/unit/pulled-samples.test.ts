import { describe, expect, it } from 'vitest';
import { parseExposition } from '../../src/ingest/pull/exposition.js';
import { exposedToSamples, matrixToSamples } from '../../src/ingest/pull/pulled-samples.js';
import type { RecordLimits } from '../../src/ingest/records.js';
import { metaSeriesFilter } from '../../src/ingest/meta-series.js';
import { liveTimeWindow } from '../../src/ingest/timestamps.js';

const limits: RecordLimits = {
  serviceLabels: ['service', 'job'],
  maxLabels: 30,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};

describe('exposedToSamples', () => {
  const body = [
    '# TYPE logins counter',
    'logins_total{result="fail"} 12',
    'logins_created{result="fail"} 1700000000',
    '# TYPE latency histogram',
    'latency_bucket{le="0.1"} 3',
    'latency_sum 1.5',
    '# TYPE rpc summary',
    'rpc{quantile="0.9"} 0.2',
    'rpc_count 7',
    '# TYPE temp gauge',
    'temp 21.5 1700000000',
    'untyped_total 3',
    'plain 4',
    'empty_summary NaN',
    '# EOF',
  ].join('\n');
  const scrapedAt = 1_700_000_123_000;
  const out = exposedToSamples(
    parseExposition(body, 'openmetrics'),
    scrapedAt,
    { service: 'auth' },
    limits,
  );
  const get = (metric: string) => out.samples.find((s) => s.series.metric === metric);

  it('keeps the typed families, with their units, for the signal kinds', () => {
    const withUnit = exposedToSamples(
      parseExposition(
        ['# TYPE rpc_wait histogram', '# UNIT rpc_wait seconds', 'rpc_wait_count 3', '# EOF'].join(
          '\n',
        ),
        'openmetrics',
      ),
      scrapedAt,
      { service: 'auth' },
      limits,
    );
    expect(withUnit.families).toEqual(
      new Map([['rpc_wait', { type: 'histogram', unit: 'seconds' }]]),
    );
    // Every typed family of the body, none of the untyped ones.
    expect([...out.families.keys()].sort()).toEqual(['latency', 'logins', 'rpc', 'temp']);
    expect(out.families.get('rpc')).toEqual({ type: 'summary', unit: undefined });
  });

  it('skips _created gauges of the text format beside their counter, keeps an unrelated _created gauge', () => {
    const text = [
      '# TYPE logins_total counter',
      'logins_total 12',
      '# TYPE logins_created gauge',
      'logins_created 1700000000',
      '# TYPE jobs_created gauge',
      'jobs_created 4',
      '',
    ].join('\n');
    const got = exposedToSamples(
      parseExposition(text, 'prometheus'),
      scrapedAt,
      { service: 'auth' },
      limits,
    );
    expect(got.samples.map((s) => s.series.metric)).toEqual(['logins_total', 'jobs_created']);
    expect(got.created).toBe(1);
  });

  it('types counters by family: _total, histogram and summary _bucket/_sum/_count', () => {
    expect(get('logins_total')?.series.counter).toBe(true);
    expect(get('latency_bucket')?.series.counter).toBe(true);
    expect(get('latency_sum')?.series.counter).toBe(true);
    expect(get('rpc_count')?.series.counter).toBe(true);
    expect(get('rpc')?.series.counter).toBe(false);
    expect(get('temp')?.series.counter).toBe(false);
    expect(get('untyped_total')?.series.counter).toBe(true);
    expect(get('plain')?.series.counter).toBe(false);
  });

  it('uses the scrape time when a sample has none, its own timestamp when it has one', () => {
    expect(get('logins_total')?.ts).toBe(scrapedAt);
    expect(get('temp')?.ts).toBe(1_700_000_000_000);
  });

  it('skips _created samples and rejects NaN with a reason', () => {
    expect(get('logins_created')).toBeUndefined();
    expect(out.created).toBe(1);
    expect(out.rejected).toEqual(new Map([['nan_value', 1]]));
    expect(out.samples).toHaveLength(8);
  });

  it('the configured service is a fallback; a series label wins', () => {
    expect(get('temp')?.series.service).toBe('auth');
    const own = exposedToSamples(
      parseExposition('x{service="mail"} 1\n', 'prometheus'),
      scrapedAt,
      { service: 'auth' },
      limits,
    );
    expect(own.samples[0]?.series.service).toBe('mail');
  });

  it('configured labels are added and win over exposed ones', () => {
    const r = exposedToSamples(
      parseExposition('x{env="dev",job="a"} 1\n', 'prometheus'),
      scrapedAt,
      { labels: { env: 'prod' } },
      limits,
    );
    expect(r.samples[0]?.series.labels).toEqual({ env: 'prod', job: 'a' });
    expect(r.samples[0]?.series.key).toBe('x{env="prod",job="a"}');
  });

  it('rejects series without a service, and reserved label names, by reason', () => {
    const r = exposedToSamples(
      parseExposition('x 1\ny{__proto__="z",job="a"} 2\nz{job="a"} 3\n', 'prometheus'),
      scrapedAt,
      {},
      limits,
    );
    expect(r.samples.map((s) => s.series.metric)).toEqual(['z']);
    expect(r.rejected).toEqual(
      new Map([
        ['missing_service', 1],
        ['invalid_name', 1],
      ]),
    );
  });
});

describe('matrixToSamples', () => {
  it('a value that does not parse is invalid, a NaN routine, a bad time invalid first', () => {
    const out = matrixToSamples(
      [
        {
          metric: { __name__: 'temp', job: 'auth' },
          values: [
            [1700000000, 'abc'],
            [1700000015, 'NaN'],
            [-1e12, 'NaN'],
          ],
        },
      ],
      'q',
      {},
      limits,
    );
    expect(out.samples).toEqual([]);
    expect(out.rejected).toEqual(
      new Map([
        ['invalid_value', 1],
        ['nan_value', 1],
        ['invalid_timestamp', 1],
      ]),
    );
  });

  it('turns [seconds, "value"] pairs into ms samples, metric labels into series labels', () => {
    const out = matrixToSamples(
      [
        {
          metric: { __name__: 'http_requests_total', job: 'auth', path: '/login' },
          values: [
            [1700000000, '1'],
            [1700000015.5, '+Inf'],
            [1700000030, '3'],
          ],
        },
      ],
      'q',
      {},
      limits,
    );
    expect(out.samples.map((s) => [s.ts, s.value])).toEqual([
      [1_700_000_000_000, 1],
      [1_700_000_030_000, 3],
    ]);
    expect(out.samples[0]?.series).toEqual({
      key: 'http_requests_total{job="auth",path="/login"}',
      metric: 'http_requests_total',
      service: 'auth',
      labels: { job: 'auth', path: '/login' },
      counter: true,
    });
    expect(out.rejected).toEqual(new Map([['invalid_value', 1]]));
  });

  it('names series without __name__ after the query, with the query service as fallback', () => {
    const out = matrixToSamples(
      [{ metric: { path: '/login' }, values: [[1700000000, '0.25']] }],
      'login_error_ratio',
      { service: 'auth' },
      limits,
    );
    expect(out.samples[0]?.series).toMatchObject({
      metric: 'login_error_ratio',
      service: 'auth',
      counter: false,
    });
  });

  it('rejects every sample of a series without a service', () => {
    const out = matrixToSamples(
      [
        {
          metric: { __name__: 'x' },
          values: [
            [1, '1'],
            [2, '2'],
          ],
        },
      ],
      'q',
      {},
      limits,
    );
    expect(out.samples).toHaveLength(0);
    expect(out.rejected).toEqual(new Map([['missing_service', 2]]));
  });
});

describe('pull: meta-series and times', () => {
  const live: RecordLimits = {
    ...limits,
    metaSeries: metaSeriesFilter({ drop_meta_series: true, keep_meta_series: [] }),
    times: liveTimeWindow(() => 1_700_000_123_000),
  };

  it("drops a scraped target's meta-series and samples stamped far ahead, counting both", () => {
    const text = [
      'up 1',
      'scrape_duration_seconds 0.01',
      'aiops_anomaly_score{service="auth"} 0.4',
      'logins_total 12',
      'temp 21.5 1700003723000',
      '',
    ].join('\n');
    const got = exposedToSamples(
      parseExposition(text, 'prometheus'),
      1_700_000_123_000,
      { service: 'auth' },
      live,
    );
    expect(got.samples.map((s) => s.series.metric)).toEqual(['logins_total']);
    expect(got.rejected).toEqual(
      new Map([
        ['meta_series', 3],
        ['invalid_timestamp', 1],
      ]),
    );
  });
});
