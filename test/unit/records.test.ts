import { describe, expect, it } from 'vitest';
import { metaSeriesFilter } from '../../src/ingest/meta-series.js';
import {
  parseRecord,
  parseTimestamp,
  recordTime,
  type RecordLimits,
} from '../../src/ingest/records.js';
import { liveTimeWindow } from '../../src/ingest/timestamps.js';

const limits: RecordLimits = {
  serviceLabels: ['service', 'job'],
  maxLabels: 4,
  maxLabelNameLength: 16,
  maxLabelValueLength: 32,
};
const ok = {
  ts: 1_700_000_000_000,
  metric: 'login_failures',
  labels: { service: 'auth' },
  value: 3,
};

describe('record validation', () => {
  it('parses a metric record into a series with its service and key', () => {
    const r = parseRecord(ok, limits);
    expect(r).toEqual({
      ok: true,
      sample: {
        kind: 'metric',
        ts: 1_700_000_000_000,
        value: 3,
        series: {
          key: 'login_failures{service="auth"}',
          metric: 'login_failures',
          service: 'auth',
          labels: { service: 'auth' },
          counter: false,
        },
      },
    });
  });

  it.each([
    ['http_requests_total', undefined, true],
    ['rpc_duration_seconds_count', undefined, true],
    ['queue_depth', undefined, false],
    ['queue_depth', 'counter', true],
    ['weird_total', 'gauge', false],
  ])('types %s (type %s) as counter=%s', (metric, type, counter) => {
    const r = parseRecord({ ...ok, metric, ...(type ? { type } : {}) }, limits);
    expect(r.ok && r.sample.kind === 'metric' && r.sample.series.counter).toBe(counter);
  });

  it('takes the service from the first configured label present', () => {
    const r = parseRecord({ ...ok, labels: { job: 'routing' } }, limits);
    expect(r.ok && r.sample.kind === 'metric' && r.sample.series.service).toBe('routing');
  });

  it('parses a log record', () => {
    const r = parseRecord(
      {
        ts: '2026-11-25T06:58:00Z',
        service: 'auth',
        level: 'ERROR',
        message: 'token validation failed',
      },
      limits,
    );
    expect(r).toEqual({
      ok: true,
      sample: {
        kind: 'log',
        record: {
          ts: Date.parse('2026-11-25T06:58:00Z'),
          service: 'auth',
          level: 'error',
          message: 'token validation failed',
          labels: {},
        },
      },
    });
  });

  it.each([
    ['not an object', 42, 'invalid_record', /JSON object/],
    ['an array', [ok], 'invalid_record', /JSON object/],
    ['missing ts', { ...ok, ts: undefined }, 'invalid_timestamp', /ts must be/],
    [
      'ts in nanoseconds',
      { ...ok, ts: 1.7e18 },
      'invalid_timestamp',
      /^ts 1700000000000000000 looks like nanoseconds; ts is milliseconds since the epoch \(send 1700000000000\)$/,
    ],
    ['ts garbage string', { ...ok, ts: 'yesterday' }, 'invalid_timestamp', /"yesterday"/],
    ['string value', { ...ok, value: '3' }, 'invalid_value', /finite number, got "3"/],
    ['null value (NaN in JSON)', { ...ok, value: null }, 'invalid_value', /got null/],
    ['bad metric name', { ...ok, metric: 'login-failures' }, 'invalid_name', /"login-failures"/],
    ['no service label', { ...ok, labels: { region: 'eu' } }, 'missing_service', /service, job/],
    [
      'too many labels',
      { ...ok, labels: { service: 'a', b: '1', c: '2', d: '3', e: '4' } },
      'too_many_labels',
      /5 labels.*limit of 4/,
    ],
    [
      'label name too long',
      { ...ok, labels: { service: 'a', ['x'.repeat(17)]: '1' } },
      'label_too_long',
      /longer than 16/,
    ],
    [
      'label value too long',
      { ...ok, labels: { service: 'a'.repeat(33) } },
      'label_too_long',
      /service value is longer than 32/,
    ],
    [
      'non-string label',
      { ...ok, labels: { service: 5 } },
      'invalid_record',
      /label service must be a string/,
    ],
    [
      'reserved label name',
      { ...ok, labels: { service: 'a', __name__: 'x' } },
      'invalid_name',
      /__name__/,
    ],
    ['unknown type', { ...ok, type: 'histogram' }, 'invalid_record', /type must be/],
    ['neither metric nor log', { ts: ok.ts, value: 1 }, 'invalid_record', /needs "metric"/],
    ['log without service', { ts: ok.ts, message: 'x' }, 'missing_service', /needs "service"/],
  ])('rejects %s with its reason and a message naming it', (_name, raw, reason, message) => {
    const r = parseRecord(raw, limits);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.rejection.reason).toBe(reason);
      expect(r.rejection.message).toMatch(message);
    }
  });

  it.each([
    [1_700_000_000_000, 1_700_000_000_000],
    ['1700000000000', 1_700_000_000_000],
    ['2026-11-25T06:58:00Z', Date.UTC(2026, 10, 25, 6, 58)],
    ['2026-11-25T07:58:00.250+01:00', Date.UTC(2026, 10, 25, 6, 58, 0, 250)],
    ['2026-11-25', undefined],
    [-1, undefined],
    [Number.NaN, undefined],
  ])('timestamp %j -> %j', (raw, ms) => {
    expect(parseTimestamp(raw)).toBe(ms);
  });

  describe('ts: the unit and the bounds, with the message the sender reads', () => {
    const NOW = Date.UTC(2026, 11, 7, 3, 40);
    const live = liveTimeWindow(() => NOW);
    it.each([
      [
        'seconds',
        1733550000,
        'ts 1733550000 looks like seconds; ts is milliseconds since the epoch (send 1733550000000)',
      ],
      [
        'seconds with a fraction',
        1733550000.25,
        'ts 1733550000.25 looks like seconds; ts is milliseconds since the epoch (send 1733550000250)',
      ],
      [
        'seconds as a digit string',
        '1733550000',
        'ts "1733550000" looks like seconds; ts is milliseconds since the epoch (send "1733550000000")',
      ],
      [
        'microseconds',
        1733550000000000,
        'ts 1733550000000000 looks like microseconds; ts is milliseconds since the epoch (send 1733550000000)',
      ],
      [
        'nanoseconds',
        1733550000000000000,
        'ts 1733550000000000000 looks like nanoseconds; ts is milliseconds since the epoch (send 1733550000000)',
      ],
      [
        'a clock never set',
        0,
        'ts 0 is 1970-01-01T00:00:00.000Z, before 2001-09-09T01:46:40.000Z: ts is milliseconds since the epoch',
      ],
      [
        'an RFC 3339 time before 2001',
        '1999-12-31T23:59:59Z',
        'ts "1999-12-31T23:59:59Z" is 1999-12-31T23:59:59.000Z, before 2001-09-09T01:46:40.000Z: ts is milliseconds since the epoch',
      ],
      [
        'more than 10 minutes ahead',
        NOW + 3 * 3_600_000,
        "ts 1796625600000 (2026-12-07T06:40:00.000Z) is 3 h ahead of the worker's clock; times more than 10 min ahead are refused",
      ],
      [
        'an RFC 3339 time 11 minutes ahead',
        '2026-12-07T03:51:00Z',
        'ts "2026-12-07T03:51:00Z" (2026-12-07T03:51:00.000Z) is 11 min ahead of the worker\'s clock; times more than 10 min ahead are refused',
      ],
    ])('refuses %s', (_name, raw, message) => {
      expect(recordTime(raw, live)).toEqual({ ok: false, message });
      const r = parseRecord({ ...ok, ts: raw }, { ...limits, times: live });
      expect(r).toEqual({ ok: false, rejection: { reason: 'invalid_timestamp', message } });
    });

    it.each([
      ['10 minutes ahead (clock skew)', NOW + 10 * 60_000],
      ['a year ago (a backfill)', NOW - 365 * 86_400_000],
      ['2001-09-09, the first 13-digit millisecond', 1e12],
      ['an RFC 3339 time with an offset', '2026-12-07T04:40:00+01:00'],
    ])('takes %s', (_name, raw) => {
      expect(recordTime(raw, live).ok).toBe(true);
    });

    it('takes any time up to 2200 offline (replay has no clock)', () => {
      expect(recordTime(NOW + 50 * 365 * 86_400_000)).toEqual({
        ok: true,
        ms: NOW + 50 * 365 * 86_400_000,
      });
      expect(recordTime(7_258_118_400_001).ok).toBe(false);
    });
  });

  describe('meta-series', () => {
    const drop = {
      ...limits,
      metaSeries: metaSeriesFilter({ drop_meta_series: true, keep_meta_series: [] }),
    };
    it('drops ALERTS, which has no service label, as meta_series rather than missing_service', () => {
      const r = parseRecord(
        {
          ...ok,
          metric: 'ALERTS',
          labels: { alertname: 'AiopsIngestRejecting', alertstate: 'firing' },
        },
        drop,
      );
      expect(r).toEqual({
        ok: false,
        rejection: {
          reason: 'meta_series',
          message:
            "ALERTS is not scored: Prometheus' alert state (ingest.drop_meta_series, ingest.keep_meta_series)",
        },
      });
    });

    it("drops the worker's own metrics whatever service label they carry", () => {
      const r = parseRecord(
        { ...ok, metric: 'aiops_series_learning', labels: { service: 'prometheus' } },
        drop,
      );
      expect(!r.ok && r.rejection.reason).toBe('meta_series');
    });

    it('scores them all with drop_meta_series: false', () => {
      const keep = {
        ...limits,
        metaSeries: metaSeriesFilter({ drop_meta_series: false, keep_meta_series: [] }),
      };
      expect(parseRecord({ ...ok, metric: 'up', labels: { job: 'auth' } }, keep).ok).toBe(true);
    });
  });
});
