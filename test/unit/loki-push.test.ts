import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LokiFormatError, parseLokiPush } from '../../src/ingest/loki/push.js';

const T = 1_795_000_000_000;
const limits = {
  serviceLabels: ['service'],
  maxLabels: 30,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};

describe('Loki push JSON', () => {
  it('turns lines into log records: ns to ms, service from labels, level from metadata', () => {
    const out = parseLokiPush(
      {
        streams: [
          {
            stream: { service_name: 'auth', level: 'info' },
            values: [
              ['1795000000123456789', 'a line'],
              ['1795000001000000000', 'an error', { detected_level: 'ERROR', user: 'alice' }],
            ],
          },
        ],
      },
      limits,
    );
    expect(out.rejections).toEqual([]);
    expect(out.samples.map((s) => s.record)).toEqual([
      {
        ts: 1795000000123,
        service: 'auth',
        level: 'info',
        message: 'a line',
        labels: { service_name: 'auth', level: 'info' },
      },
      {
        ts: 1795000001000,
        service: 'auth',
        level: 'error',
        message: 'an error',
        labels: { service_name: 'auth', level: 'info', detected_level: 'ERROR', user: 'alice' },
      },
    ]);
  });

  it('rejects bad streams and lines one by one', () => {
    const out = parseLokiPush(
      {
        streams: [
          { stream: { nosvc: 'x' }, values: [[`${T}000000`, 'x']] },
          {
            stream: { app: 'a' },
            values: [
              [1, 'numeric ts'],
              [`${T}000000`, 5],
              [`${T + 12}000000`, 'ok'],
              [`${T}000000`, 'x', { k: 1 }],
              ['1733550000', 'seconds'],
              [`${T}`, 'milliseconds'],
            ],
          },
          { values: 'nope' },
        ],
      },
      limits,
    );
    expect(out.rejections.map((r) => r.reason)).toEqual([
      'missing_service',
      'invalid_timestamp',
      'invalid_record',
      'invalid_record',
      'invalid_timestamp',
      'invalid_timestamp',
      'invalid_record',
    ]);
    expect(out.rejections[4]?.message).toBe(
      'streams[1].values[4]: the timestamp "1733550000" looks like seconds; the timestamp is nanoseconds since the epoch (send "1733550000000000000")',
    );
    expect(out.rejections[5]?.message).toBe(
      `streams[1].values[5]: the timestamp "${T}" looks like milliseconds; the timestamp is nanoseconds since the epoch (send "${T}000000")`,
    );
    expect(out.samples).toHaveLength(1);
    expect(() => parseLokiPush({ stream: [] }, limits)).toThrow(LokiFormatError);
  });

  it('fuzz: any JSON value is answered, never a crash (10,000 bodies)', () => {
    const line = fc.tuple(
      fc.oneof(fc.stringMatching(/^\d{1,22}$/), fc.integer(), fc.string()),
      fc.oneof(fc.string(), fc.integer()),
      fc.oneof(
        fc.constant(undefined),
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
      ),
    );
    const stream = fc.record({
      stream: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.jsonValue()),
      values: fc.oneof(fc.array(line, { maxLength: 5 }), fc.jsonValue()),
    });
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.record({ streams: fc.array(stream, { maxLength: 4 }) })),
        (body) => {
          try {
            const out = parseLokiPush(body, limits);
            for (const { record } of out.samples) {
              expect(record.service.length).toBeGreaterThan(0);
              expect(Number.isFinite(record.ts) && record.ts >= 0).toBe(true);
              expect(typeof record.message).toBe('string');
            }
          } catch (err) {
            if (!(err instanceof LokiFormatError)) throw err;
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });
});
