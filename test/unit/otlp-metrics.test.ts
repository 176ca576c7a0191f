import { describe, expect, it } from 'vitest';
import { exponentialBuckets } from '../../src/ingest/otlp/histogram-buckets.js';
import { HistogramWindow } from '../../src/ingest/otlp/histogram-window.js';
import { histogramQuantile } from '../../src/ingest/otlp/histogram-quantile.js';
import { otlpMetricsToSamples } from '../../src/ingest/otlp/metrics-to-samples.js';
import { decodeOtlpBody, type OtlpEncoding } from '../../src/ingest/otlp/otlp-body.js';
import { OtlpFormatError, OtlpTooLargeError } from '../../src/ingest/otlp/otlp-errors.js';
import { OtlpTypes } from '../../src/ingest/otlp/proto.js';
import {
  counterName,
  prometheusLabelName,
  prometheusMetricName,
} from '../../src/ingest/otlp/prometheus-names.js';
import type { MetricSample } from '../../src/ingest/records.js';
import { metaSeriesFilter } from '../../src/ingest/meta-series.js';
import { liveTimeWindow } from '../../src/ingest/timestamps.js';
import { sdkMeter } from '../helpers/otlp-sdk.js';

const limits = {
  serviceLabels: ['service'],
  maxLabels: 30,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};

const map = (request: unknown, window = new HistogramWindow()) =>
  otlpMetricsToSamples(request, limits, window);

const decodeMap = (bytes: Uint8Array, encoding: OtlpEncoding, window = new HistogramWindow()) =>
  map(decodeOtlpBody(bytes, encoding, OtlpTypes.metricsRequest), window);

const byMetric = (samples: readonly MetricSample[]) =>
  Object.fromEntries(samples.map((s) => [s.series.metric, s]));

const tick = () => new Promise((r) => setTimeout(r, 5));
const T0 = 1_795_000_000_000; // ms
const ns = (ms: number): string => `${ms}000000`;

/** A hand-written OTLP JSON request with one metric of `service`. */
const request = (metric: Record<string, unknown>, service = 'auth') => ({
  resourceMetrics: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeMetrics: [{ scope: { name: 's' }, metrics: [metric] }],
    },
  ],
});

describe('OTLP metrics from the OpenTelemetry SDK (protobuf and JSON)', () => {
  it.each(['proto', 'json'] as const)(
    '%s: gauge, counter, up-down counter and histogram map to their series',
    async (which) => {
      const { meter, collect } = sdkMeter('auth');
      meter.createGauge('cpu.usage').record(0.75, { host: 'a' });
      meter.createCounter('http.requests').add(42, { route: '/login', 'http.method': 'POST' });
      meter.createUpDownCounter('queue.depth').add(-3);
      const h = meter.createHistogram('login.latency');
      for (let v = 1; v <= 100; v++) h.record(v);
      await tick(); // the SDK's times are in ms: the interval must not be empty
      const bodies = await collect();
      const out = decodeMap(
        which === 'proto' ? bodies.proto : bodies.json,
        which === 'proto' ? 'protobuf' : 'json',
      );
      expect(out.rejections.total).toBe(0);
      expect(out.points).toBe(4);
      const m = byMetric(out.samples);
      expect(m.cpu_usage?.value).toBe(0.75);
      expect(m.cpu_usage?.series).toMatchObject({
        service: 'auth',
        counter: false,
        labels: { host: 'a', service: 'auth' },
      });
      expect(m.http_requests_total?.value).toBe(42);
      expect(m.http_requests_total?.series).toMatchObject({
        counter: true,
        labels: { route: '/login', http_method: 'POST', service: 'auth' },
        key: 'http_requests_total{http_method="POST",route="/login",service="auth"}',
      });
      expect(m.queue_depth?.value).toBe(-3);
      expect(m.queue_depth?.series.counter).toBe(false);
      // Default buckets ... 50, 75, 100 ...: the 99th of 1..100 falls at 99 inside (75, 100].
      expect(m.login_latency_p99?.value).toBeCloseTo(99, 9);
      expect(m.login_latency_rate?.value).toBeGreaterThan(0);
      expect(m.login_latency_rate?.series.counter).toBe(false);
    },
  );

  it('both encodings of the same export give the same samples', async () => {
    const { meter, collect } = sdkMeter('routing');
    meter.createCounter('requests').add(7, { code: '401' });
    meter.createGauge('temp').record(21.5);
    const bodies = await collect();
    expect(decodeMap(bodies.proto, 'protobuf').samples).toEqual(
      decodeMap(bodies.json, 'json').samples,
    );
  });

  it('a cumulative histogram: the next export gives what happened between the two', async () => {
    const { meter, collect } = sdkMeter('auth');
    const h = meter.createHistogram('latency', { advice: { explicitBucketBoundaries: [10, 20] } });
    const window = new HistogramWindow();
    h.record(5);
    decodeMap((await collect()).proto, 'protobuf', window);
    for (let i = 0; i < 100; i++) h.record(15);
    // A later millisecond: the window takes a point no newer than the last for a retried export.
    await tick();
    const second = byMetric(decodeMap((await collect()).proto, 'protobuf', window).samples);
    // Only the 100 new observations, all in (10, 20]: the 99th percentile interpolates to 19.9.
    expect(second.latency_p99?.value).toBeCloseTo(19.9, 9);
  });

  it('delta temporality from the SDK: a monotonic sum becomes a per-second rate', async () => {
    const { meter, collect } = sdkMeter('auth', true);
    meter.createCounter('logins').add(10);
    await tick();
    const out = decodeMap((await collect()).json, 'json');
    expect(out.samples.map((s) => s.series.metric)).toEqual(['logins_rate']);
    expect(out.samples[0]?.value).toBeGreaterThan(0);
  });
});

describe('OTLP metrics mapping (hand-written OTLP JSON)', () => {
  const point = (extra: Record<string, unknown>) => ({
    timeUnixNano: ns(T0),
    attributes: [{ key: 'pod', value: { stringValue: 'p-1' } }],
    ...extra,
  });

  it('a monotonic delta sum is divided by its interval', () => {
    const out = map(
      request({
        name: 'logins',
        sum: {
          isMonotonic: true,
          aggregationTemporality: 1,
          dataPoints: [point({ startTimeUnixNano: ns(T0 - 10_000), asInt: '50' })],
        },
      }),
    );
    expect(out.samples).toHaveLength(1);
    expect(out.samples[0]).toMatchObject({ ts: T0, value: 5, series: { metric: 'logins_rate' } });
  });

  it('JSON aggregationTemporality may be the enum name', () => {
    const counter = (temporality: unknown) =>
      map(
        request({
          name: 'requests',
          sum: {
            aggregationTemporality: temporality,
            isMonotonic: true,
            dataPoints: [point({ asInt: '30', startTimeUnixNano: ns(T0 - 10_000) })],
          },
        }),
      ).samples.map((s) => [s.series.metric, s.value]);
    expect(counter('AGGREGATION_TEMPORALITY_CUMULATIVE')).toEqual([['requests_total', 30]]);
    expect(counter('AGGREGATION_TEMPORALITY_DELTA')).toEqual([['requests_rate', 3]]);
    expect(counter(2)).toEqual([['requests_total', 30]]);
  });

  it('a non-monotonic delta sum is rejected, a cumulative one is a gauge', () => {
    const sum = (temporality: number) =>
      map(
        request({
          name: 'queue.depth',
          sum: {
            aggregationTemporality: temporality,
            isMonotonic: false,
            dataPoints: [point({ asInt: '-3', startTimeUnixNano: ns(T0 - 1000) })],
          },
        }),
      );
    const delta = sum(1);
    expect(delta.samples).toEqual([]);
    expect([...delta.rejections.byReason]).toEqual([['unsupported_temporality', 1]]);
    const cumulative = sum(2);
    expect(cumulative.samples.map((s) => [s.series.metric, s.value])).toEqual([
      ['queue_depth', -3],
    ]);
  });

  it('a cumulative histogram sequence: rate and p99 of each interval, a reset starts over', () => {
    const window = new HistogramWindow();
    const hist = (at: number, counts: string[]) =>
      request({
        name: 'rpc.duration',
        histogram: {
          aggregationTemporality: 2,
          dataPoints: [
            point({
              timeUnixNano: ns(at),
              startTimeUnixNano: ns(T0 - 60_000),
              count: String(counts.reduce((a, b) => a + Number(b), 0)),
              explicitBounds: [0.1, 0.5, 1],
              bucketCounts: counts,
            }),
          ],
        },
      });
    // First point: since its start 60 s ago, 60 observations in (0, 0.1].
    const first = byMetric(map(hist(T0, ['60', '0', '0', '0']), window).samples);
    expect(first.rpc_duration_rate?.value).toBe(1);
    expect(first.rpc_duration_p99?.value).toBeCloseTo(0.099, 9);
    // 10 s later: 100 more, all in (0.5, 1]; p99 rank 99 of 100 → 0.5 + 0.5 * 0.99.
    const second = byMetric(map(hist(T0 + 10_000, ['60', '0', '100', '0']), window).samples);
    expect(second.rpc_duration_rate?.value).toBe(10);
    expect(second.rpc_duration_p99?.value).toBeCloseTo(0.995, 9);
    // The same point again (a retried export) gives nothing.
    expect(map(hist(T0 + 10_000, ['60', '0', '100', '0']), window).samples).toEqual([]);
    // Counts went down: a restart. The point covers [start, time] again: 70 s, 7 observations.
    const reset = byMetric(map(hist(T0 + 10_000 + 1, ['7', '0', '0', '0']), window).samples);
    expect(reset.rpc_duration_rate?.value).toBeCloseTo(7 / 70.001, 9);
  });

  it('a summary gives its 0.99 quantile, or is rejected without one', () => {
    const summary = (quantiles: { quantile: number; value: number | string }[]) =>
      request({
        name: 'gc.pause',
        summary: { dataPoints: [point({ count: '3', sum: 1, quantileValues: quantiles })] },
      });
    const ok = map(
      summary([
        { quantile: 0.5, value: 1 },
        { quantile: 0.99, value: 9 },
      ]),
    );
    expect(ok.samples.map((s) => [s.series.metric, s.value])).toEqual([['gc_pause_p99', 9]]);
    // An empty window's NaN quantile is normal data: skipped, not rejected.
    const empty = map(summary([{ quantile: 0.99, value: 'NaN' }]));
    expect(empty.samples).toEqual([]);
    expect(empty.rejections.total).toBe(0);
    const none = map(summary([{ quantile: 0.5, value: 1 }]));
    expect(none.samples).toEqual([]);
    expect([...none.rejections.byReason]).toEqual([['summary_without_p99', 1]]);
  });

  it('rejects bad points one by one and keeps the rest, with the reasons counted', () => {
    const out = map(
      request({
        name: 'mixed',
        gauge: {
          dataPoints: [
            point({ asDouble: 1 }),
            point({ asDouble: 'NaN' }),
            point({}),
            point({ asDouble: 2, flags: 1 }),
            point({ asDouble: 3, timeUnixNano: '0' }),
            point({ asDouble: 'Infinity' }),
            point({ asDouble: 4, attributes: { key: 'not a list' } }),
            point({ asDouble: 5, attributes: [{ key: 'host', value: { stringValue: 'a' } }] }),
          ],
        },
      }),
    );
    // The no-recorded-value flag is normal data: skipped, not rejected.
    expect(out.samples.map((s) => s.value)).toEqual([1, 5]);
    expect(out.points).toBe(8);
    expect(Object.fromEntries(out.rejections.byReason)).toEqual({
      nan_value: 1,
      invalid_value: 1,
      missing_value: 1,
      invalid_timestamp: 1,
      invalid_attributes: 1,
    });
    expect(out.rejections.total).toBe(5);
    expect(out.rejections.first).toMatch(/mixed/);
  });

  it('refuses a timeUnixNano in another unit or far ahead, saying which unit it takes', () => {
    const live = { ...limits, times: liveTimeWindow(() => T0) };
    const out = otlpMetricsToSamples(
      request({
        name: 'clock',
        gauge: {
          dataPoints: [
            point({ asDouble: 1, timeUnixNano: String(T0) }),
            point({ asDouble: 2, timeUnixNano: String(T0 / 1000) }),
            point({ asDouble: 3, timeUnixNano: ns(T0 + 3_600_000) }),
            point({ asDouble: 4, timeUnixNano: ns(T0 + 60_000) }),
          ],
        },
      }),
      live,
      new HistogramWindow(),
    );
    expect(out.samples.map((s) => s.value)).toEqual([4]);
    expect(out.rejections.examples.get('invalid_timestamp')).toBe(
      `clock: timeUnixNano "${T0}" looks like milliseconds; timeUnixNano is nanoseconds since the epoch (send "${T0}000000")`,
    );
    expect(out.rejections.byReason.get('invalid_timestamp')).toBe(3);
  });

  it('drops meta-series by the job Prometheus would give them, not as rejected points', () => {
    const meta = {
      ...limits,
      metaSeries: metaSeriesFilter({ drop_meta_series: true, keep_meta_series: [] }),
    };
    const out = otlpMetricsToSamples(
      {
        resourceMetrics: [
          {
            // The Collector's prometheus receiver: the scrape job becomes service.name.
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'auth' } }] },
            scopeMetrics: [
              {
                metrics: [
                  { name: 'up', gauge: { dataPoints: [point({ asDouble: 1 })] } },
                  { name: 'logins', gauge: { dataPoints: [point({ asDouble: 7 })] } },
                ],
              },
            ],
          },
          {
            resource: {
              attributes: [{ key: 'service.name', value: { stringValue: 'prometheus' } }],
            },
            scopeMetrics: [
              {
                metrics: [
                  { name: 'go_goroutines', gauge: { dataPoints: [point({ asDouble: 40 })] } },
                ],
              },
            ],
          },
        ],
      },
      meta,
      new HistogramWindow(),
    );
    expect(out.samples.map((s) => s.series.metric)).toEqual(['logins']);
    expect(out.rejections.total).toBe(0);
    expect(out.dropped).toBe(2);
    expect(out.droppedExample).toBe(
      "up is not scored: Prometheus' scrape health of a target (ingest.drop_meta_series, ingest.keep_meta_series)",
    );
  });

  it('rejects nameless metrics and bad buckets, with their point counts', () => {
    const out = map({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'auth' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'h',
                  histogram: {
                    aggregationTemporality: 1,
                    dataPoints: [
                      point({
                        startTimeUnixNano: ns(T0 - 1000),
                        explicitBounds: [2, 1],
                        bucketCounts: ['1', '1', '1'],
                      }),
                      point({
                        startTimeUnixNano: ns(T0 - 1000),
                        explicitBounds: [1],
                        bucketCounts: ['1'],
                      }),
                    ],
                  },
                },
                {
                  name: 'e',
                  exponentialHistogram: {
                    aggregationTemporality: 1,
                    dataPoints: [point({ startTimeUnixNano: ns(T0 - 1000), scale: 21 })],
                  },
                },
                { name: '', gauge: { dataPoints: [point({ asDouble: 1 })] } },
                { name: 'ok', gauge: { dataPoints: [point({ asDouble: 1 })] } },
              ],
            },
          ],
        },
      ],
    });
    expect(out.samples).toHaveLength(1);
    expect(Object.fromEntries(out.rejections.byReason)).toEqual({
      invalid_histogram: 3,
      invalid_name: 1,
    });
  });

  it('a point with too many buckets is rejected on its own; the others are kept', () => {
    const bounds = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    const explicit = (n: number) => ({
      timeUnixNano: ns(T0),
      startTimeUnixNano: ns(T0 - 60_000),
      count: '1',
      explicitBounds: bounds(n),
      bucketCounts: [...Array<number>(n).fill(0), 1],
    });
    const out = map(
      request({
        name: 'lat',
        histogram: { aggregationTemporality: 1, dataPoints: [explicit(1001), explicit(1000)] },
      }),
    );
    expect(out.rejections.byReason.get('too_many_buckets')).toBe(1);
    expect(out.samples.map((s) => s.series.metric)).toEqual(['lat_rate', 'lat_p99']);
    const exp = map(
      request({
        name: 'e',
        exponentialHistogram: {
          aggregationTemporality: 1,
          dataPoints: [
            {
              timeUnixNano: ns(T0),
              startTimeUnixNano: ns(T0 - 60_000),
              positive: { bucketCounts: Array(321).fill(0) },
            },
          ],
        },
      }),
    );
    expect(exp.rejections.byReason.get('too_many_buckets')).toBe(1);
  });

  it('more data points than the limit throw OtlpTooLargeError before any is mapped', () => {
    const gauge = (n: number) =>
      request({
        name: 'g',
        gauge: {
          dataPoints: Array.from({ length: n }, () => ({ timeUnixNano: ns(T0), asDouble: 1 })),
        },
      });
    expect(otlpMetricsToSamples(gauge(5), limits, new HistogramWindow(), 5).samples).toHaveLength(
      5,
    );
    expect(() => otlpMetricsToSamples(gauge(6), limits, new HistogramWindow(), 5)).toThrow(
      OtlpTooLargeError,
    );
  });

  it('an exponential histogram gives the same rate and p99 series as an explicit one', () => {
    const out = map(
      request({
        name: 'resp.size',
        exponentialHistogram: {
          aggregationTemporality: 1,
          dataPoints: [
            // scale 0: base 2; buckets (1,2], (2,4], (4,8]: ten observations in (2,4].
            point({
              startTimeUnixNano: ns(T0 - 10_000),
              count: '10',
              scale: 0,
              zeroCount: '0',
              positive: { offset: 0, bucketCounts: ['0', '10', '0'] },
            }),
          ],
        },
      }),
    );
    expect(out.rejections.total).toBe(0);
    const m = byMetric(out.samples);
    expect(m.resp_size_rate?.value).toBe(1);
    expect(m.resp_size_p99?.value).toBeCloseTo(3.98, 9);
  });

  it('exponential edges: clamped to the largest double; the zero bucket starts at -zeroThreshold', () => {
    // Scale -10: base 2^1024 overflows; bucket 0 is (1, MAX_VALUE], bucket 1 lies past it.
    expect(
      exponentialBuckets({ scale: -10, positive: { offset: 0, bucketCounts: ['3', '0'] } }),
    ).toEqual({ bounds: [0, 1, Number.MAX_VALUE], counts: [0, 0, 3, 0] });
    expect(
      exponentialBuckets({
        scale: 0,
        zeroCount: '2',
        zeroThreshold: 0.5,
        negative: { offset: 1, bucketCounts: ['4'] },
      }),
    ).toEqual({ bounds: [-4, -2, -0.5, 0.5], counts: [0, 4, 0, 2, 0] });
  });

  it('exponential buckets: negative, zero and positive laid out on one line', () => {
    expect(
      exponentialBuckets({
        scale: 1,
        zeroCount: '2',
        negative: { offset: 0, bucketCounts: ['4'] },
        positive: { offset: 2, bucketCounts: ['1', '3'] },
      }),
    ).toEqual({
      // base √2: negative bucket 0 is [-√2, -1); positive buckets 2 and 3 are (2, 2√2], (2√2, 4].
      bounds: [-Math.SQRT2, -1, 0, 2, 2 * Math.SQRT2, 4].map(
        (b) => expect.closeTo(b, 12) as number,
      ),
      counts: [0, 4, 2, 0, 1, 3, 0],
    });
  });

  it('an SDK exponential histogram: the p99 lands near the true one', async () => {
    const { meter, collect } = sdkMeter('auth', false, ['latency']);
    const h = meter.createHistogram('latency');
    for (let v = 1; v <= 1000; v++) h.record(v);
    await tick();
    const out = decodeMap((await collect()).proto, 'protobuf');
    expect(out.rejections.total).toBe(0);
    const p99 = byMetric(out.samples).latency_p99?.value ?? NaN;
    // 1..1000 in the SDK's 160 buckets: scale 4, buckets 2^(1/16) ≈ 4.4 % wide.
    expect(Math.abs(p99 - 990) / 990).toBeLessThan(0.045);
  });

  it('two instances of one service are two series and two histogram streams', () => {
    const pod = (id: string, ms: number, counts: string[]) => ({
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'auth' } },
              { key: 'service.namespace', value: { stringValue: 'shop' } },
              { key: 'service.instance.id', value: { stringValue: id } },
            ],
          },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'lat',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      { timeUnixNano: ns(ms), explicitBounds: [1], bucketCounts: counts },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const window = new HistogramWindow();
    map(pod('a', T0, ['100', '0']), window);
    map(pod('b', T0 + 1000, ['5', '0']), window); // another pod's first point: primes its stream
    const a = map(pod('a', T0 + 10_000, ['150', '0']), window).samples;
    const b = map(pod('b', T0 + 11_000, ['25', '0']), window).samples;
    const rate = (samples: readonly MetricSample[]) => byMetric(samples).lat_rate;
    expect(rate(a)?.value).toBe(5); // 50 over 10 s, not a reset from pod b's 5
    expect(rate(b)?.value).toBe(2); // 20 over 10 s
    expect(rate(a)?.series.labels).toEqual({ service: 'auth', instance: 'a', job: 'shop/auth' });
    expect(rate(a)?.series.key).not.toBe(rate(b)?.series.key);
  });

  it('colliding label names join in the order of the original keys; resource labels win, the attribute is exported_', () => {
    const attrs = (keys: string[]) => keys.map((key) => ({ key, value: { stringValue: key } }));
    const labelsOf = (keys: string[]) =>
      map(
        request({
          name: 'g',
          gauge: { dataPoints: [{ timeUnixNano: ns(T0), asDouble: 1, attributes: attrs(keys) }] },
        }),
      ).samples[0]?.series.labels;
    expect(labelsOf(['a.b', 'a_b', 'a-b'])).toMatchObject({ a_b: 'a-b;a.b;a_b' });
    expect(labelsOf(['a_b', 'a-b', 'a.b'])).toMatchObject({ a_b: 'a-b;a.b;a_b' });
    expect(labelsOf(['service'])).toEqual({ service: 'auth', exported_service: 'service' });
  });

  it('without service.name the service comes from the point attributes, else it is rejected', () => {
    const body = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'up',
                  gauge: {
                    dataPoints: [
                      {
                        timeUnixNano: ns(T0),
                        asInt: 1,
                        attributes: [{ key: 'service', value: { stringValue: 'storage' } }],
                      },
                      { timeUnixNano: ns(T0), asInt: 1 },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const out = map(body);
    expect(out.samples.map((s) => s.series.service)).toEqual(['storage']);
    expect([...out.rejections.byReason]).toEqual([['missing_service', 1]]);
  });

  it('takes snake_case keys, int64 as numbers and non-string attribute values', () => {
    const out = map({
      resource_metrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'auth' } }] },
          scope_metrics: [
            {
              metrics: [
                {
                  name: 'temp',
                  gauge: {
                    data_points: [
                      {
                        time_unix_nano: T0 * 1e6,
                        as_int: 5,
                        attributes: [
                          { key: 'zone', value: { intValue: '3' } },
                          { key: 'hot', value: { boolValue: true } },
                          {
                            key: 'tags',
                            value: { arrayValue: { values: [{ stringValue: 'a' }] } },
                          },
                        ],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(out.samples).toHaveLength(1);
    expect(out.samples[0]).toMatchObject({
      ts: T0,
      value: 5,
      series: { labels: { zone: '3', hot: 'true', tags: '["a"]', service: 'auth' } },
    });
  });

  it('a body of the wrong shape is a format error (400), not a rejection', () => {
    for (const bad of [null, [], 'x', { resourceMetrics: 5 }, { resourceMetrics: [1] }]) {
      expect(() => map(bad)).toThrow(OtlpFormatError);
    }
    expect(map({}).samples).toEqual([]);
  });
});

describe('Prometheus names and histogram quantiles', () => {
  it.each([
    ['http.server.duration', 'http_server_duration'],
    ['a..b--c', 'a_b_c'],
    ['1xx', '_1xx'],
    ['ok:sub_name', 'ok:sub_name'],
  ])('metric %s → %s', (from, to) => {
    expect(prometheusMetricName(from)).toBe(to);
  });

  it.each([
    ['http.method', 'http_method'],
    ['9lives', 'key_9lives'],
    ['__meta', '_meta'],
    ['ok_name', 'ok_name'],
  ])('label %s → %s', (from, to) => {
    expect(prometheusLabelName(from)).toBe(to);
  });

  it('counters end in _total once', () => {
    expect(counterName('requests')).toBe('requests_total');
    expect(counterName('requests_total')).toBe('requests_total');
  });

  it.each([
    // bounds, counts, q, expected (as Prometheus' histogram_quantile answers)
    [[1, 2, 4], [0, 10, 0, 0], 0.5, 1.5],
    [[1, 2, 4], [10, 0, 0, 0], 0.99, 0.99],
    [[1, 2, 4], [0, 0, 0, 10], 0.99, 4],
    [[-1, 0], [10, 0, 0], 0.5, -1],
    [[1, 2], [0, 0, 0], 0.99, undefined],
  ])('bounds %j counts %j: q%s = %s', (bounds, counts, q, expected) => {
    const got = histogramQuantile(q, bounds, counts);
    if (expected === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(expected, 9);
  });

  it('a first cumulative point counts over [start, time] only when its start is recent', () => {
    const w = new HistogramWindow();
    const s = 1_795_000_000_000 * 1e6; // ns
    const p = (start: number, ts: number, counts: number[]) => ({
      ts,
      start,
      bounds: [1],
      counts,
    });
    // A process that started a minute ago: its first point covers that minute.
    expect(w.next('new', p(s, s + 60e9, [60, 0]))).toEqual({ seconds: 60, counts: [60, 0] });
    // A stream first seen a day after its start (our restart, or evicted): a lifetime average
    // would be a jump; it only primes, and the next point counts from it.
    expect(w.next('old', p(s, s + 86_400e9, [86_400, 0]))).toBeUndefined();
    expect(w.next('old', p(s, s + 86_460e9, [86_520, 0]))).toEqual({
      seconds: 60,
      counts: [120, 0],
    });
  });

  it('the histogram window forgets the least recently seen stream past its size', () => {
    const w = new HistogramWindow(2);
    const p = (ms: number) => ({ ts: ms * 1e6, start: undefined, bounds: [], counts: [ms] });
    expect(w.next('a', p(1))).toBeUndefined();
    w.next('b', p(1));
    w.next('a', p(2)); // a is now the most recent
    w.next('c', p(1)); // b goes
    expect(w.size).toBe(2);
    expect(w.next('a', p(3))).toEqual({ seconds: 0.001, counts: [1] });
    expect(w.next('b', p(3))).toBeUndefined(); // forgotten: primes again
  });
});
