import fc from 'fast-check';
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import {
  DecompressedTooLargeError,
  SnappyError,
  uncompressBlock,
} from '../../src/ingest/remote-write/snappy-block.js';
import { metaSeriesFilter } from '../../src/ingest/meta-series.js';
import { breaksSpec, familiesOf, toSamples } from '../../src/ingest/remote-write/to-samples.js';
import { liveTimeWindow } from '../../src/ingest/timestamps.js';
import {
  MetricType,
  ProtoError,
  decodeWriteRequest,
} from '../../src/ingest/remote-write/write-request.js';
import { STALE_NAN, remoteWriteBody, writeRequestBytes } from '../helpers/remote-write.js';

const limits = {
  serviceLabels: ['service', 'job'],
  maxLabels: 30,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};
const T = 1_795_000_000_000;

describe('remote_write WriteRequest decoding', () => {
  it('keeps the metadata types and units by family, in requests of metadata alone too', () => {
    const req = decodeWriteRequest(
      writeRequestBytes(
        [],
        [
          {
            type: MetricType.Histogram,
            metricFamilyName: 'rpc_server_duration_seconds',
            unit: 'seconds',
          },
          { type: MetricType.Summary, metricFamilyName: 'queue_wait' },
          { type: MetricType.Unknown, metricFamilyName: 'mystery' },
        ],
      ),
    );
    expect(req.series).toEqual([]);
    expect(familiesOf(req)).toEqual(
      new Map([
        ['rpc_server_duration_seconds', { type: 'histogram', unit: 'seconds' }],
        ['queue_wait', { type: 'summary', unit: undefined }],
      ]),
    );
  });

  it('reads what protobufjs encodes: labels, samples, metadata', () => {
    const bytes = writeRequestBytes(
      [
        {
          labels: { __name__: 'http_requests_total', job: 'auth', code: '200' },
          samples: [
            { value: 10, timestamp: T },
            { value: 12.5, timestamp: T + 15_000 },
          ],
        },
        { labels: { __name__: 'up', job: 'auth' }, samples: [{ value: 1, timestamp: T }] },
      ],
      [{ type: MetricType.Counter, metricFamilyName: 'http_requests_total' }],
    );
    const req = decodeWriteRequest(bytes);
    expect(req.samples).toBe(3);
    expect(req.series[0]?.labels).toEqual([
      '__name__',
      'http_requests_total',
      'code',
      '200',
      'job',
      'auth',
    ]);
    expect(req.series[0]?.timestamps).toEqual([T, T + 15_000]);
    expect(req.series[0]?.values).toEqual([10, 12.5]);
    expect(req.metadata.get('http_requests_total')).toBe(MetricType.Counter);
  });

  it('reads negative and large timestamps as int64', () => {
    const stamps = [-5, -1, 0, 1, 2 ** 31, 2 ** 32 + 7, T, 2 ** 53 - 1, -(2 ** 40)];
    const bytes = writeRequestBytes([
      {
        labels: { __name__: 'x', job: 'a' },
        samples: stamps.map((timestamp) => ({ value: 1, timestamp })),
      },
    ]);
    expect(decodeWriteRequest(bytes).series[0]?.timestamps).toEqual(stamps);
  });

  it('marks staleness markers apart from other NaNs', () => {
    const bytes = writeRequestBytes([
      {
        labels: { __name__: 'x', job: 'a' },
        samples: [
          { value: 1, timestamp: T },
          { value: STALE_NAN, timestamp: T + 1 },
          { value: Number.NaN, timestamp: T + 2 },
          // A NaN at a time out of range is refused for its time.
          { value: Number.NaN, timestamp: -5 },
          { value: Number.POSITIVE_INFINITY, timestamp: T + 3 },
        ],
      },
    ]);
    const req = decodeWriteRequest(bytes);
    expect(req.series[0]?.stale).toEqual([1]);
    const out = toSamples(req, limits);
    expect(out).toMatchObject({ stale: 1, nan: 1, invalid: 1, badTime: 1 });
    expect(out.badTimeExample).toBe(
      'x{job="a"}: timestamp -5 is 1969-12-31T23:59:59.995Z, before 2001-09-09T01:46:40.000Z: timestamp is milliseconds since the epoch',
    );
    expect(out.invalidExample).toBe('x{job="a"}: the value Infinity is not finite');
    expect(out.samples.map((s) => s.value)).toEqual([1]);
    // The rejection log's example names the series.
    expect(out.nanExample).toBe('x{job="a"}: the value is NaN');
  });

  it('decodes labels interleaved with samples, and a repeated label set the same way', () => {
    const str = (s: string): number[] => [s.length, ...Buffer.from(s)];
    const field = (tag: number, body: number[]): number[] => [tag, body.length, ...body];
    const label = (name: string, value: string): number[] =>
      field(0x0a, [0x0a, ...str(name), 0x12, ...str(value)]);
    const sample = field(0x12, [0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 5]);
    const series = [...label('__name__', 'x'), ...sample, ...label('job', 'a')];
    const scattered = decodeWriteRequest(Uint8Array.from(field(0x0a, series)));
    expect(scattered.series[0]?.labels).toEqual(['__name__', 'x', 'job', 'a']);
    expect(scattered.series[0]?.values).toEqual([1]);
    // A label string that runs past its own Label message is refused, interleaved or not.
    const overrun = (first: number[]): number[] => {
      // A Label declared 4 bytes long whose name string is 8 bytes long.
      const bad = [0x0a, 4, 0x0a, 8, ...Buffer.from('__name__')];
      return field(0x0a, [...first, ...bad, ...sample]);
    };
    expect(() => decodeWriteRequest(Uint8Array.from(overrun([])))).toThrow(ProtoError);
    expect(() =>
      decodeWriteRequest(Uint8Array.from(overrun([...label('job', 'a'), ...sample]))),
    ).toThrow(ProtoError);
    // The same label bytes in two requests: one decoded array, equal content.
    const body = writeRequestBytes([
      { labels: { __name__: 'y', job: 'b' }, samples: [{ value: 2, timestamp: T }] },
    ]);
    const a = decodeWriteRequest(body).series[0]?.labels;
    const b = decodeWriteRequest(body).series[0]?.labels;
    expect(a).toEqual(['__name__', 'y', 'job', 'b']);
    expect(b).toBe(a);
  });

  it('refuses truncated and malformed messages with a ProtoError', () => {
    const bytes = writeRequestBytes([
      { labels: { __name__: 'x', job: 'a' }, samples: [{ value: 1, timestamp: T }] },
    ]);
    expect(() => decodeWriteRequest(bytes.subarray(0, bytes.length - 3))).toThrow(ProtoError);
    expect(() => decodeWriteRequest(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]))).toThrow(
      /past its message/,
    );
    expect(() => decodeWriteRequest(new Uint8Array([0x0b]))).toThrow(/wire type 3/);
    expect(decodeWriteRequest(new Uint8Array(0))).toMatchObject({ samples: 0, series: [] });
  });
});

describe('remote_write series to samples', () => {
  it('types counters by metadata, then by name', () => {
    const req = decodeWriteRequest(
      writeRequestBytes(
        [
          { labels: { __name__: 'requests', job: 'a' }, samples: [{ value: 1, timestamp: T }] },
          {
            labels: { __name__: 'latency_count', job: 'a' },
            samples: [{ value: 1, timestamp: T }],
          },
          { labels: { __name__: 'queue_total', job: 'a' }, samples: [{ value: 1, timestamp: T }] },
          { labels: { __name__: 'temp', job: 'a' }, samples: [{ value: 1, timestamp: T }] },
        ],
        [
          { type: MetricType.Counter, metricFamilyName: 'requests' },
          { type: MetricType.Histogram, metricFamilyName: 'latency' },
          { type: MetricType.Gauge, metricFamilyName: 'queue_total' },
        ],
      ),
    );
    const out = toSamples(req, limits);
    expect(out.samples.map((s) => [s.series.metric, s.series.counter])).toEqual([
      ['requests', true],
      ['latency_count', true],
      ['queue_total', false],
      ['temp', false],
    ]);
    expect(out.samples[0]?.series).toMatchObject({ service: 'a', key: 'requests{job="a"}' });
  });

  it('rejects a bad series on its own and keeps the rest', () => {
    const req = decodeWriteRequest(
      writeRequestBytes([
        { labels: { job: 'a' }, samples: [{ value: 1, timestamp: T }] },
        { labels: { __name__: 'ok', job: 'a' }, samples: [{ value: 1, timestamp: T }] },
        { labels: { __name__: 'x', '0bad': 'v', job: 'a' }, samples: [{ value: 1, timestamp: T }] },
        { labels: { __name__: 'nosvc' }, samples: [{ value: 1, timestamp: T }] },
        {
          labels: Object.fromEntries([
            ['__name__', 'wide'],
            ['job', 'a'],
            ...Array.from({ length: 31 }, (_, i) => [`l${i}`, 'v']),
          ]) as Record<string, string>,
          samples: [{ value: 1, timestamp: T }],
        },
      ]),
    );
    const out = toSamples(req, limits);
    expect(out.samples.map((s) => s.series.metric)).toEqual(['ok']);
    expect(out.rejections.map((r) => r.reason)).toEqual([
      'invalid_name',
      'invalid_name',
      'missing_service',
      'too_many_labels',
    ]);
    // Only the first two break the spec (a 400); the others are the worker's own limits.
    expect(out.rejections.map((r) => breaksSpec(r.reason))).toEqual([true, true, false, false]);
  });

  it('drops meta-series before asking for a service, and refuses times too far ahead', () => {
    const now = T;
    const req = decodeWriteRequest(
      writeRequestBytes([
        { labels: { __name__: 'ALERTS', alertname: 'X' }, samples: [{ value: 1, timestamp: T }] },
        { labels: { __name__: 'up', job: 'auth' }, samples: [{ value: 1, timestamp: T }] },
        {
          labels: { __name__: 'ok', job: 'auth' },
          samples: [
            { value: 1, timestamp: T + 600_000 },
            { value: 2, timestamp: T + 3_600_000 },
          ],
        },
      ]),
    );
    const out = toSamples(req, {
      ...limits,
      metaSeries: metaSeriesFilter({ drop_meta_series: true, keep_meta_series: [] }),
      times: liveTimeWindow(() => now),
    });
    expect(out.rejections).toEqual([
      {
        reason: 'meta_series',
        samples: 1,
        message:
          "ALERTS is not scored: Prometheus' alert state (ingest.drop_meta_series, ingest.keep_meta_series)",
      },
      {
        reason: 'meta_series',
        samples: 1,
        message:
          "up is not scored: Prometheus' scrape health of a target (ingest.drop_meta_series, ingest.keep_meta_series)",
      },
    ]);
    expect(out.samples.map((s) => s.ts)).toEqual([T + 600_000]);
    expect(out.badTimeExample).toBe(
      `ok{job="auth"}: timestamp ${T + 3_600_000} (2026-11-18T12:06:40.000Z) is 60 min ahead of the worker's clock; times more than 10 min ahead are refused`,
    );
  });
});

describe('snappy block bodies', () => {
  it('decompresses what snappyjs compresses, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (bytes, repeat) => {
        const data = repeat ? new Uint8Array([...bytes, ...bytes, ...bytes]) : bytes;
        // equals, not toEqual: a deep comparison of 12 KB, 500 times, takes seconds.
        expect(Buffer.from(uncompressBlock(compress(data), 1 << 20)).equals(data)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('ends on the input that made snappyjs 0.7 loop for ever', () => {
    expect(() => uncompressBlock(Buffer.from('24fcfa6904fd06ff49', 'hex'), 1 << 20)).toThrow(
      SnappyError,
    );
  });

  it('round-trips and checks the declared size before allocating', () => {
    const bytes = writeRequestBytes([
      { labels: { __name__: 'x', job: 'a' }, samples: [{ value: 1, timestamp: T }] },
    ]);
    const body = compress(bytes);
    expect(Buffer.from(uncompressBlock(body, 1024))).toEqual(Buffer.from(bytes));
    expect(() => uncompressBlock(body, 4)).toThrow(DecompressedTooLargeError);
    // A header claiming 1 GiB, followed by nothing: refused before any allocation.
    expect(() => uncompressBlock(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x04]), 1 << 20)).toThrow(
      DecompressedTooLargeError,
    );
    expect(() => uncompressBlock(new Uint8Array([0x05, 0xff, 0xff]), 1024)).toThrow(SnappyError);
    expect(() =>
      uncompressBlock(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 1024),
    ).toThrow(SnappyError);
  });
});

describe('fuzz: hostile remote_write bodies', () => {
  const valid = remoteWriteBody([
    {
      labels: { __name__: 'http_requests_total', job: 'auth', code: '200' },
      samples: [
        { value: 10, timestamp: T },
        { value: 11, timestamp: T + 1000 },
      ],
    },
    { labels: { __name__: 'up', job: 'auth' }, samples: [{ value: 1, timestamp: T }] },
  ]);
  const decodeBody = (body: Uint8Array): void => {
    try {
      toSamples(decodeWriteRequest(uncompressBlock(body, 1 << 20)), limits);
    } catch (err) {
      // Only the errors that become 400 / 413 answers; anything else is a crash.
      if (
        !(err instanceof ProtoError) &&
        !(err instanceof SnappyError) &&
        !(err instanceof DecompressedTooLargeError)
      ) {
        throw err;
      }
    }
  };

  it('random bytes never crash the decoder (5,000 bodies)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        decodeBody(bytes);
        decodeBody(compress(bytes));
      }),
      { numRuns: 5000 },
    );
  });

  it('mutated valid bodies never crash the decoder (5,000 bodies)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat({ max: valid.length }),
        (edits, cut) => {
          const body = Uint8Array.from(valid);
          for (const [at, byte] of edits) body[at] = byte;
          decodeBody(body.subarray(0, cut));
          decodeBody(body);
          // Mutate the protobuf under a valid snappy wrapper too.
          const inner = uncompressBlock(valid, 1 << 20).slice();
          for (const [at, byte] of edits) inner[at % inner.length] = byte;
          decodeBody(compress(inner.subarray(0, cut % (inner.length + 1))));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
