/**
 * Suppressions (issue 20): the pure matcher (a glob over the signal or the series key, a
 * service or any, expiry by event time), the scoring core honouring it (the sample is learned
 * and shown on the board, only the anomaly event is held back), and the log stage's anomalies.
 */
import { describe, expect, it } from 'vitest';
import { createEwmaDetector, type EwmaState } from '../../detectors/ewma.js';
import { parseConfig } from '../../src/config/load.js';
import { emptyOutcome, eventTimeOrder, scoreSlice } from '../../src/detect/score-batch.js';
import { createSeriesState, type SeriesState } from '../../src/detect/series-state.js';
import { suppressionCheck, type Suppression } from '../../src/detect/suppressions.js';
import { analyzeLogs } from '../../src/logs/log-analysis.js';
import { emptyLogOutcome } from '../../src/logs/log-outcome.js';
import { createServiceLogState, type ServiceLogState } from '../../src/logs/log-service-state.js';
import { logSettingsFromConfig } from '../../src/logs/log-settings.js';
import type { SeriesMeta } from '../../src/queues/contract.js';
import { authLogs, SURGE_TEMPLATE } from '../helpers/auth-logs.js';

const sup = (over: Partial<Suppression>): Suppression => ({
  id: 'sup-1',
  service: 'auth',
  pattern: 'http_error_ratio',
  created_at: 0,
  expires_at: null,
  created_by: 'alice',
  note: '',
  incident: null,
  ...over,
});
const LOGIN = 'http_error_ratio{path="/login",service="auth"}';
const HEALTH = 'http_error_ratio{path="/health",service="auth"}';

describe('suppressionCheck', () => {
  it('is undefined for no suppressions, so scoring skips it', () => {
    expect(suppressionCheck([])).toBeUndefined();
  });

  it('matches the signal name as a case-insensitive glob', () => {
    const check = suppressionCheck([sup({ pattern: 'HTTP_*_ratio' })]);
    expect(check?.('auth', 'http_error_ratio', LOGIN, 1)).toBe(true);
    expect(check?.('auth', 'http_latency_p99_seconds', 'http_latency_p99_seconds', 1)).toBe(false);
  });

  it('matches the series key, so one series of a metric can be held back', () => {
    const check = suppressionCheck([sup({ pattern: 'http_error_ratio{*path="/login"*}' })]);
    expect(check?.('auth', 'http_error_ratio', LOGIN, 1)).toBe(true);
    expect(check?.('auth', 'http_error_ratio', HEALTH, 1)).toBe(false);
  });

  it('is for its service only; a null service is any', () => {
    const own = suppressionCheck([sup({ service: 'auth' })]);
    expect(own?.('auth', 'http_error_ratio', 'x', 1)).toBe(true);
    expect(own?.('routing', 'http_error_ratio', 'x', 1)).toBe(false);
    const any = suppressionCheck([sup({ service: null })]);
    expect(any?.('routing', 'http_error_ratio', 'x', 1)).toBe(true);
    expect(any?.('storage', 'http_error_ratio', 'x', 1)).toBe(true);
  });

  it('stops matching at its expiry, by the sample event time', () => {
    const check = suppressionCheck([sup({ expires_at: 5000 })]);
    expect(check?.('auth', 'http_error_ratio', 'x', 4999)).toBe(true);
    expect(check?.('auth', 'http_error_ratio', 'x', 5000)).toBe(false);
  });

  it('matches when any of several does', () => {
    const check = suppressionCheck([sup({ service: 'db' }), sup({ pattern: '*latency*' })]);
    expect(check?.('auth', 'http_latency_p99_seconds', 'y', 1)).toBe(true);
    expect(check?.('db', 'http_error_ratio', 'y', 1)).toBe(true);
    expect(check?.('auth', 'http_error_ratio', 'y', 1)).toBe(false);
  });
});

describe('scoreSlice with suppressions', () => {
  const det = createEwmaDetector({
    alpha: 0.1,
    warmup: 5,
    zStart: 3.5,
    zScale: 1,
    minStdRelative: 0.001,
    minStdAbsolute: 1e-9,
  });
  const meta = (service: string): SeriesMeta => ({
    key: `http_error_ratio{service="${service}"}`,
    metric: 'http_error_ratio',
    service,
    labels: { service },
    counter: false,
  });
  /** Twenty quiet samples per series, then a spike on each at t = 21000. */
  function score(suppressions: Suppression[]) {
    const series = [meta('auth'), meta('routing')];
    const samples: [number, number, number][] = [];
    for (let k = 1; k <= 20; k++) {
      for (let si = 0; si < series.length; si++) samples.push([si, k * 1000, 1 + (k % 2) * 0.01]);
    }
    samples.push([0, 21_000, 50], [1, 21_000, 50]);
    const batch = {
      series,
      idx: samples.map((s) => s[0]),
      ts: samples.map((s) => s[1]),
      val: samples.map((s) => s[2]),
    };
    const states = series.map(() => createSeriesState(det));
    const out = emptyOutcome();
    const order = eventTimeOrder(batch.ts);
    scoreSlice(
      () => det,
      { threshold: 0.9, holdMs: 0, suppressed: suppressionCheck(suppressions) },
      batch,
      order,
      0,
      order.length,
      (i) => states[i] as SeriesState<EwmaState>,
      out,
    );
    return { out, states };
  }

  it('learns the suppressed sample and shows it on the board, but emits no anomaly', () => {
    const plain = score([]);
    expect(plain.out.anomalies.map((a) => a.service).sort()).toEqual(['auth', 'routing']);

    const { out, states } = score([sup({ service: 'auth' })]);
    expect(out.anomalies.map((a) => a.service)).toEqual(['routing']);
    expect(out.suppressed).toBe(1);
    expect(out.suppressedAnomalies.map((a) => [a.service, a.ts])).toEqual([['auth', 21_000]]);
    // Learned: every sample was taken, the detector is at the spike's time.
    expect(out.taken).toBe(plain.out.taken);
    expect(states[0]?.det.lastTs).toBe(21_000);
    // On the board with its score: the value is unusual.
    const auth = out.latest.get(0);
    expect(auth?.ts).toBe(21_000);
    expect(auth?.score).toBeGreaterThanOrEqual(0.9);
    expect(auth?.score).toBe(plain.out.latest.get(0)?.score);
  });

  it('an expired suppression (by event time) holds nothing back', () => {
    const { out } = score([sup({ service: 'auth', expires_at: 21_000 })]);
    expect(out.anomalies.map((a) => a.service).sort()).toEqual(['auth', 'routing']);
    expect(out.suppressed).toBe(0);
  });
});

describe('log anomalies with suppressions', () => {
  const T0 = Date.UTC(2026, 10, 1);
  const HOUR = 3_600_000;
  function run(suppressions: Suppression[]) {
    const base = logSettingsFromConfig(parseConfig({ logs: { learning_ms: 2 * HOUR } }));
    const settings = {
      ...base,
      scoring: { ...base.scoring, suppressed: suppressionCheck(suppressions) },
    };
    const states = new Map<string, ServiceLogState>();
    const out = emptyLogOutcome();
    const records = authLogs({
      t0: T0,
      minutes: 4 * 60 + 5,
      seed: 2,
      surgeAt: 240,
      surgePerMinute: 30,
    });
    for (let i = 0; i < records.length; i += 500) {
      analyzeLogs(
        settings,
        records.slice(i, i + 500),
        (service) => {
          let st = states.get(service);
          if (!st) {
            st = createServiceLogState(service, settings);
            states.set(service, st);
          }
          return st;
        },
        out,
      );
    }
    return out;
  }

  it('holds back a new-template anomaly whose signal matches, and only that', () => {
    const plain = run([]);
    const news = plain.anomalies.filter((a) => a.signal === 'log_new_template');
    expect(news.map((a) => a.template)).toContain(SURGE_TEMPLATE);

    const out = run([sup({ pattern: 'log_new_template' })]);
    expect(out.anomalies.filter((a) => a.signal === 'log_new_template')).toEqual([]);
    expect(out.suppressed).toBeGreaterThanOrEqual(news.length);
    expect(out.suppressedAnomalies.some((a) => a.signal === 'log_new_template')).toBe(true);
    // The template-rate anomalies of the surge are another signal: still emitted.
    expect(out.anomalies.filter((a) => a.signal !== 'log_new_template')).toEqual(
      plain.anomalies.filter((a) => a.signal !== 'log_new_template'),
    );
  });

  it('holds back the template-rate anomalies too when the pattern says log_*', () => {
    const plain = run([]);
    expect(plain.anomalies.length).toBeGreaterThan(0);
    const out = run([sup({ pattern: 'log_*' })]);
    expect(out.anomalies).toEqual([]);
    expect(out.suppressed).toBe(plain.anomalies.length);
  });
});
