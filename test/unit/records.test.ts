import { describe, expect, it } from 'vitest';
import { parseRecord, parseTimestamp, type RecordLimits } from '../../src/ingest/records.js';

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
    ['ts in seconds mistaken as ns', { ...ok, ts: 1.7e18 }, 'invalid_timestamp', /ts must be/],
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
    ['neither metric nor log', { ts: 1, value: 1 }, 'invalid_record', /needs "metric"/],
    ['log without service', { ts: 1, message: 'x' }, 'missing_service', /needs "service"/],
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
});
