import { describe, expect, it } from 'vitest';
import { levelOf, otlpLogsToSamples } from '../../src/ingest/otlp/logs-to-samples.js';
import { decodeOtlpBody, type OtlpEncoding } from '../../src/ingest/otlp/otlp-body.js';
import { OtlpFormatError } from '../../src/ingest/otlp/otlp-errors.js';
import { OtlpTypes } from '../../src/ingest/otlp/proto.js';
import { liveTimeWindow } from '../../src/ingest/timestamps.js';
import { SeverityNumber, sdkLogger } from '../helpers/otlp-sdk.js';

const limits = {
  serviceLabels: ['service'],
  maxLabels: 5,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};
const NOW = 1_795_000_999_000;

const decodeMap = (bytes: Uint8Array, encoding: OtlpEncoding) =>
  otlpLogsToSamples(decodeOtlpBody(bytes, encoding, OtlpTypes.logsRequest), limits, NOW);

describe('OTLP logs from the OpenTelemetry SDK (protobuf and JSON)', () => {
  it.each(['proto', 'json'] as const)(
    '%s: service, level, body, time, attributes and trace context',
    (which) => {
      const { logger, collect } = sdkLogger('auth');
      const t = new Date(Date.UTC(2026, 10, 25, 6, 58));
      logger.emit({
        timestamp: t,
        severityNumber: SeverityNumber.ERROR,
        severityText: 'ERROR',
        body: 'login failed for alice',
        attributes: { 'user.id': 'alice', attempt: 3 },
      });
      logger.emit({
        timestamp: t.getTime() + 1000,
        severityNumber: SeverityNumber.WARN2,
        body: { event: 'slow', ms: 812 },
      });
      const bodies = collect();
      const out = decodeMap(
        which === 'proto' ? bodies.proto : bodies.json,
        which === 'proto' ? 'protobuf' : 'json',
      );
      expect(out.rejections.total).toBe(0);
      expect(out.samples.map((s) => s.record)).toEqual([
        {
          ts: t.getTime(),
          service: 'auth',
          level: 'error',
          message: 'login failed for alice',
          labels: { 'user.id': 'alice', attempt: '3' },
        },
        {
          ts: t.getTime() + 1000,
          service: 'auth',
          level: 'warn',
          message: '{"event":"slow","ms":812}',
          labels: {},
        },
      ]);
    },
  );
});

describe('OTLP logs mapping (hand-written OTLP JSON)', () => {
  const body = (records: Record<string, unknown>[], service: string | null = 'auth') => ({
    resourceLogs: [
      {
        resource:
          service === null
            ? undefined
            : { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [{ logRecords: records }],
      },
    ],
  });

  it.each([
    ['WARNING', undefined, 'warn'],
    ['Error', 1, 'error'],
    [undefined, 1, 'trace'],
    [undefined, 8, 'debug'],
    [undefined, 9, 'info'],
    [undefined, 16, 'warn'],
    [undefined, 17, 'error'],
    [undefined, 24, 'fatal'],
    ['', 0, 'info'],
    ['audit', undefined, 'audit'],
    ['constructor', 13, 'warn'],
  ])('severityText %s, severityNumber %s → %s', (text, number, level) => {
    expect(levelOf(text, number)).toBe(level);
  });

  it('JSON severityNumber may be the enum name', () => {
    const out = otlpLogsToSamples(
      body([
        { severityNumber: 'SEVERITY_NUMBER_WARN3', body: { stringValue: 'a' } },
        { severityNumber: 'SEVERITY_NUMBER_FATAL', body: { stringValue: 'b' } },
        { severityNumber: 'SEVERITY_NUMBER_NOT_ONE', body: { stringValue: 'c' } },
      ]),
      limits,
      NOW,
    );
    expect(out.samples.map((s) => s.record.level)).toEqual(['warn', 'fatal', 'info']);
  });

  it('time falls back to observedTimeUnixNano, then to now; ids become hex labels', () => {
    const out = otlpLogsToSamples(
      body([
        { observedTimeUnixNano: '1795000000123456789', body: { stringValue: 'a' } },
        {
          body: { stringValue: 'b' },
          traceId: '5B8EFFF798038103D269B633813FC60C',
          spanId: 'eee19b7ec3c1b174',
        },
      ]),
      limits,
      NOW,
    );
    expect(out.samples.map((s) => s.record.ts)).toEqual([1_795_000_000_123, NOW]);
    expect(out.samples[1]?.record.labels).toEqual({
      trace_id: '5b8efff798038103d269b633813fc60c',
      span_id: 'eee19b7ec3c1b174',
    });
  });

  it('refuses a time in another unit or far ahead, saying which unit it takes', () => {
    const out = otlpLogsToSamples(
      body([
        { timeUnixNano: '1795000000000', body: { stringValue: 'milliseconds' } },
        { timeUnixNano: `${NOW + 3_600_000}000000`, body: { stringValue: 'an hour ahead' } },
        { timeUnixNano: `${NOW}000000`, body: { stringValue: 'fine' } },
      ]),
      { ...limits, times: liveTimeWindow(() => NOW) },
      NOW,
    );
    expect(out.samples.map((s) => s.record.message)).toEqual(['fine']);
    expect(out.rejections.first).toBe(
      'a log record of auth: timeUnixNano "1795000000000" looks like milliseconds; timeUnixNano is nanoseconds since the epoch (send "1795000000000000000")',
    );
    expect(out.rejections.byReason.get('invalid_timestamp')).toBe(2);
  });

  it('rejects records without a body, a service or within the limits; keeps the rest', () => {
    const many = Array.from({ length: 6 }, (_, i) => ({
      key: `k${i}`,
      value: { stringValue: 'v' },
    }));
    const out = otlpLogsToSamples(
      body([
        { body: { stringValue: 'kept' } },
        {},
        { body: { stringValue: 'x' }, attributes: many },
        { body: { stringValue: 'y'.repeat(70_000) } },
      ]),
      limits,
      NOW,
    );
    expect(out.samples.map((s) => s.record.message)).toEqual(['kept']);
    expect(out.records).toBe(4);
    expect(Object.fromEntries(out.rejections.byReason)).toEqual({
      invalid_record: 1,
      too_many_labels: 1,
      label_too_long: 1,
    });
    const noService = otlpLogsToSamples(
      body(
        [
          { body: { stringValue: 'a' } },
          {
            body: { stringValue: 'b' },
            attributes: [{ key: 'service', value: { stringValue: 'mail' } }],
          },
        ],
        null,
      ),
      limits,
      NOW,
    );
    expect(noService.samples.map((s) => s.record.service)).toEqual(['mail']);
    expect([...noService.rejections.byReason]).toEqual([['missing_service', 1]]);
  });

  it('a body of the wrong shape is a format error', () => {
    for (const bad of [null, 3, { resourceLogs: {} }, { resourceLogs: [{ scopeLogs: [7] }] }]) {
      expect(() => otlpLogsToSamples(bad, limits, NOW)).toThrow(OtlpFormatError);
    }
  });
});
