import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { AiopsError } from '../../src/errors.js';
import { decodeLokiBody } from '../../src/ingest/loki/body.js';
import { parseLokiPush } from '../../src/ingest/loki/push.js';
import { toLokiPush } from '../../src/ingest/loki/push-proto.js';
import { LokiProtoError, decodePushRequest } from '../../src/ingest/loki/push-request.js';
import { uncompressBlock } from '../../src/ingest/remote-write/snappy-block.js';
import {
  lokiProtoBody,
  pushRequestBytes,
  selector,
  type TestStream,
} from '../helpers/loki-push.js';

const limits = {
  serviceLabels: ['service'],
  maxLabels: 30,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};
const MAX = 1 << 20;
const T = 1_795_000_000_000;
const proto = (streams: readonly TestStream[]) =>
  toLokiPush(decodePushRequest(pushRequestBytes(streams)), limits);
const body = (b: Buffer, contentEncoding?: string, contentType = 'application/x-protobuf') =>
  decodeLokiBody({ body: b, contentType, contentEncoding }, MAX, limits);

describe('Loki push protobuf', () => {
  it('turns lines into log records as the JSON form does: ns to ms, service, level, metadata', () => {
    const out = proto([
      {
        labels: '{level="info", service_name="auth"}',
        entries: [
          { ms: 1795000000123, extraNanos: 456_789, line: 'a line' },
          {
            ms: 1795000001000,
            line: 'an error',
            metadata: { detected_level: 'ERROR', user: 'alice' },
          },
        ],
      },
    ]);
    expect(out.rejections).toEqual([]);
    expect(out.lines).toBe(2);
    expect(out.samples.map((s) => s.record)).toEqual([
      {
        ts: 1795000000123,
        service: 'auth',
        level: 'info',
        message: 'a line',
        labels: { level: 'info', service_name: 'auth' },
      },
      {
        ts: 1795000001000,
        service: 'auth',
        level: 'error',
        message: 'an error',
        labels: { level: 'info', service_name: 'auth', detected_level: 'ERROR', user: 'alice' },
      },
    ]);
  });

  it('rejects a bad selector, stream or line on its own and keeps the rest', () => {
    const out = proto([
      { labels: '{job="auth"', entries: [{ ms: T, line: 'unparsable selector' }] },
      { labels: '{nosvc="x"}', entries: [{ ms: T, line: 'no service' }] },
      {
        labels: '{app="a", path="C:\\\\x"}',
        entries: [
          { line: 'no timestamp' },
          { ms: 8_000_000_000_000, line: 'year 2223' },
          { ms: T + 12, line: 'ok' },
          { ms: T + 13, line: 'bad metadata', metadata: { 'not-a-name': 'x' } },
          { ms: T + 14, line: 'x'.repeat(64 * 1024 + 1) },
          { ms: 1_733_550_000, line: 'a clock that was never set' },
        ],
      },
    ]);
    expect(out.rejections.map((r) => [r.at, r.reason])).toEqual([
      ['streams[0]', 'invalid_labels'],
      ['streams[1]', 'missing_service'],
      ['streams[2].entries[0]', 'invalid_timestamp'],
      ['streams[2].entries[1]', 'invalid_timestamp'],
      ['streams[2].entries[3]', 'invalid_name'],
      ['streams[2].entries[4]', 'label_too_long'],
      ['streams[2].entries[5]', 'invalid_timestamp'],
    ]);
    expect(out.rejections.at(-1)?.message).toBe(
      'streams[2].entries[5]: the timestamp 1733550 is 1970-01-21T01:32:30.000Z, before 2001-09-09T01:46:40.000Z: the timestamp is seconds since the epoch',
    );
    expect(out.rejections[0]?.message).toMatch(
      /streams\[0\]: bad stream selector "\{job=\\"auth\\""/,
    );
    expect(out.samples.map((s) => s.record)).toEqual([
      {
        ts: T + 12,
        service: 'a',
        level: 'info',
        message: 'ok',
        labels: { app: 'a', path: 'C:\\x' },
      },
    ]);
    expect(out.lines).toBe(8);
  });

  it('keeps a label named __proto__ as a label, never as a prototype', () => {
    const out = proto([
      {
        labels: '{__proto__="x", job="auth"}',
        entries: [{ ms: T, line: 'l', metadata: { ['__proto__']: 'y', constructor: 'z' } }],
      },
    ]);
    const labels = out.samples[0]?.record.labels ?? {};
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(labels, '__proto__')?.value).toBe('y');
    expect(Object.keys(labels).sort()).toEqual(['__proto__', 'constructor', 'job']);
  });

  it('maps any push exactly as the JSON form of the same push (1,000 pushes)', () => {
    const names = ['service', 'job', 'app', 'level', 'env', 'detected_level'];
    const value = fc.string({ maxLength: 6 });
    const labels = fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 4 });
    // Metadata names may hold dots (OpenTelemetry attributes); a selector's names may not.
    const metadata = fc.dictionary(fc.constantFrom(...names, 'trace.id', '9bad'), value, {
      maxKeys: 4,
    });
    const entry = fc.record({
      ms: fc.integer({ min: 0, max: 7_258_118_400_000 }),
      line: fc.string({ maxLength: 20 }),
      metadata,
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ labels, entries: fc.array(entry, { maxLength: 4 }) }), {
          maxLength: 4,
        }),
        (streams) => {
          const json = parseLokiPush(
            {
              streams: streams.map((s) => ({
                stream: s.labels,
                values: s.entries.map((e) => [`${e.ms}000000`, e.line, e.metadata]),
              })),
            },
            limits,
          );
          const fromProto = proto(streams.map((s) => ({ ...s, labels: selector(s.labels) })));
          expect(fromProto.samples).toEqual(json.samples);
          const where = (at: string) => at.replace('.values[', '.entries[');
          expect(fromProto.rejections.map((r) => [r.at, r.reason])).toEqual(
            json.rejections.map((r) => [where(r.at), r.reason]),
          );
        },
      ),
      { numRuns: 1000 },
    );
  }, 30_000);

  it('refuses malformed protobuf with a LokiProtoError', () => {
    const bytes = pushRequestBytes([{ labels: '{job="a"}', entries: [{ ms: T, line: 'x' }] }]);
    expect(() => decodePushRequest(bytes.subarray(0, bytes.length - 2))).toThrow(LokiProtoError);
    expect(() => decodePushRequest(Uint8Array.from([0x0f]))).toThrow(LokiProtoError);
    expect(decodePushRequest(new Uint8Array(0)).streams).toEqual([]);
  });
});

describe('Loki push bodies by Content-Type and Content-Encoding', () => {
  const streams = [{ labels: '{job="auth"}', entries: [{ ms: T, line: 'hello' }] }];
  const status = (f: () => unknown): number | string => {
    try {
      f();
      return 'ok';
    } catch (err) {
      if (err instanceof AiopsError) return err.status;
      throw err;
    }
  };

  it('takes snappy with Content-Encoding snappy or none, and gzip around snappy, as Loki does', () => {
    for (const enc of [undefined, '', 'snappy', 'SNAPPY']) {
      expect(body(lokiProtoBody(streams), enc).samples).toHaveLength(1);
    }
    expect(body(gzipSync(lokiProtoBody(streams)), 'gzip').samples).toHaveLength(1);
    const json = Buffer.from(JSON.stringify({ streams: [{ stream: { job: 'a' }, values: [] }] }));
    expect(body(json, undefined, 'application/json; charset=utf-8').rejections).toEqual([]);
  });

  it('answers 415, 413 and 400 with typed errors', () => {
    expect(status(() => body(lokiProtoBody(streams), 'deflate'))).toBe(415);
    expect(status(() => body(lokiProtoBody(streams), undefined, 'text/plain'))).toBe(415);
    expect(status(() => body(lokiProtoBody(streams), undefined, ''))).toBe(415);
    // Declares 2 MiB: refused on the header, before anything is allocated.
    const big = Buffer.from(compress(new Uint8Array(MAX + 1)));
    expect(status(() => body(big))).toBe(413);
    expect(status(() => body(gzipSync(Buffer.alloc(MAX + 1)), 'gzip'))).toBe(413);
    expect(status(() => body(Buffer.from('not snappy at all')))).toBe(400);
    expect(status(() => body(Buffer.from(compress(Buffer.from([0x0f, 1, 2])))))).toBe(400);
    expect(status(() => body(Buffer.alloc(0)))).toBe(400);
    // A JSON body sent as protobuf (a misconfigured sender) is a 400, not a crash.
    expect(status(() => body(Buffer.from('{"streams":[]}')))).toBe(400);
  });
});

describe('Loki push line count', () => {
  it('answers 413 (too_many_records) past max_records_per_request before mapping, in both forms', () => {
    const now = Date.UTC(2026, 10, 25);
    const entries = Array.from({ length: 11 }, (_, i) => ({ ms: now + i, line: `l${i}` }));
    const proto = lokiProtoBody([{ labels: '{job="auth"}', entries }]);
    const json = Buffer.from(
      JSON.stringify({
        streams: [
          { stream: { job: 'auth' }, values: entries.map((e) => [`${e.ms}000000`, e.line]) },
        ],
      }),
    );
    for (const [contentType, body] of [
      ['application/x-protobuf', proto],
      ['application/json', json],
    ] as const) {
      const req = { body, contentType, contentEncoding: undefined };
      expect(decodeLokiBody(req, 1 << 20, limits, 11).samples).toHaveLength(11);
      let err: unknown;
      try {
        decodeLokiBody(req, 1 << 20, limits, 10);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AiopsError);
      expect(err).toMatchObject({ status: 413, reason: 'too_many_records' });
    }
  });
});

describe('fuzz: hostile Loki protobuf bodies', () => {
  const valid = lokiProtoBody([
    {
      labels: '{job="auth", level="error", path="a \\"b\\""}',
      entries: [
        { ms: 1795000000000, line: 'token validation failed', metadata: { trace_id: 'abc' } },
        { ms: 1795000001000, line: 'login ok' },
      ],
    },
    { labels: '{service="routing"}', entries: [{ ms: 1795000002000, line: '401 upstream' }] },
  ]);
  const inner = uncompressBlock(valid, MAX);
  /** Decodes as the route does: only 400 / 413 typed errors may come out. */
  const decode = (b: Uint8Array): void => {
    const started = performance.now();
    try {
      const out = body(Buffer.from(b));
      for (const { record } of out.samples) {
        expect(record.service.length).toBeGreaterThan(0);
        expect(record.ts).toBeGreaterThanOrEqual(0);
      }
    } catch (err) {
      if (!(err instanceof AiopsError) || (err.status !== 400 && err.status !== 413)) throw err;
    }
    expect(performance.now() - started).toBeLessThan(500);
  };

  it('random bytes, raw and snappy-wrapped, never crash or hang (10,000 bodies)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        decode(bytes);
        decode(compress(bytes)); // compressing fuzz is safe; snappyjs never uncompresses it
      }),
      { numRuns: 10_000 },
    );
  }, 60_000);

  it('mutated valid bodies never crash or hang (10,000 bodies)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat({ max: inner.length }),
        fc.boolean(),
        (edits, cut, truncate) => {
          const snappy = Uint8Array.from(valid);
          for (const [at, byte] of edits) snappy[at] = byte;
          decode(truncate ? snappy.subarray(0, cut % (snappy.length + 1)) : snappy);
          // Mutate the protobuf under a valid snappy wrapper too.
          const pb = inner.slice();
          for (const [at, byte] of edits) pb[at % pb.length] = byte;
          decode(compress(truncate ? pb.subarray(0, cut) : pb));
        },
      ),
      { numRuns: 10_000 },
    );
  }, 60_000);
});
