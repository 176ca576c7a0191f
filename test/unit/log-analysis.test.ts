import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { analyzeLogs } from '../../src/logs/log-analysis.js';
import { emptyLogOutcome, type LogOutcome } from '../../src/logs/log-outcome.js';
import {
  createServiceLogState,
  type LogAnalysisSettings,
  type ServiceLogState,
} from '../../src/logs/log-service-state.js';
import {
  encodeLogSeries,
  encodeServiceLogState,
  parseServiceLogState,
  restoreServiceLogState,
  seriesKeys,
} from '../../src/logs/log-state-codec.js';
import { logSettingsFromConfig } from '../../src/logs/log-settings.js';
import type { LogRecord } from '../../src/queues/contract.js';
import { SURGE_TEMPLATE, authLogs } from '../helpers/auth-logs.js';

const T0 = Date.UTC(2026, 10, 1);
const HOUR = 3_600_000;

function settings(overrides: Record<string, unknown> = {}): LogAnalysisSettings {
  return logSettingsFromConfig(parseConfig({ logs: { learning_ms: 2 * HOUR, ...overrides } }));
}

function run(
  s: LogAnalysisSettings,
  records: readonly LogRecord[],
  states = new Map<string, ServiceLogState>(),
  batch = 500,
): { out: LogOutcome; states: Map<string, ServiceLogState> } {
  const out = emptyLogOutcome();
  const stateOf = (service: string): ServiceLogState => {
    let st = states.get(service);
    if (!st) {
      st = createServiceLogState(service, s);
      states.set(service, st);
    }
    return st;
  };
  for (let i = 0; i < records.length; i += batch) {
    analyzeLogs(s, records.slice(i, i + batch), stateOf, out);
  }
  return { out, states };
}

/** A service's state through its stored form and back, as the log state store does it. */
function storeAndRestore(st: ServiceLogState, s: LogAnalysisSettings): ServiceLogState {
  const raw = parseServiceLogState(encodeServiceLogState(st));
  if (!raw) throw new Error('state did not parse');
  const stored = new Map(encodeLogSeries(st));
  const back = restoreServiceLogState(
    raw,
    seriesKeys(raw).map((k) => stored.get(k)),
    s,
  );
  if (!back) throw new Error('state did not restore');
  return back;
}

/** A billing service's raw log4j-style lines (4 a minute), and from `errorsFrom` a timeout surge. */
function billingLines(minutes: number, errorsFrom: number): LogRecord[] {
  const records: LogRecord[] = [];
  for (let m = 0; m < minutes; m++) {
    const ts = T0 + m * 60_000;
    const stamp = new Date(ts).toISOString().replace('T', ' ').replace('Z', '');
    for (let i = 0; i < 4; i++) {
      records.push({
        ts: ts + i * 1000,
        service: 'billing',
        // Ingest writes `info` for a record that carries no level.
        level: 'info',
        message: `${stamp} INFO  [worker-${i}] c.e.billing.Invoices: invoice ${m * 10 + i} sent to customer-${i}@example.org`,
        labels: {},
      });
    }
    if (m >= errorsFrom) {
      for (let i = 0; i < 12; i++) {
        records.push({
          ts: ts + 5000 + i * 100,
          service: 'billing',
          level: 'info',
          message: `${stamp} ERROR [worker-${i % 3}] c.e.billing.Gateway: payment gateway timeout after ${1000 + i} ms`,
          labels: {},
        });
      }
    }
  }
  return records;
}

describe('log analysis', () => {
  it('raw lines: the header is learned and stripped, and a record without a level takes its own', () => {
    const records = billingLines(180, 170);
    const { out, states } = run(settings(), records);
    const billing = states.get('billing');
    const texts = billing?.miner.templates().map((t) => t.template) ?? [];
    // No timestamp, level, thread or logger in the templates.
    expect(texts.sort()).toEqual(['invoice <*> sent to <*>', 'payment gateway timeout after <*>']);
    // The header's ERROR is the line's level: a new error template, and errors in the ratio.
    const fresh = out.anomalies.filter((a) => a.signal === 'log_new_template');
    expect(fresh.map((a) => [a.template, a.level])).toEqual([
      ['payment gateway timeout after <*>', 'error'],
    ]);
    const levels = [...(billing?.levels.values() ?? [])].sort();
    expect(levels).toEqual(['error', 'info']);
  });

  it('logfmt records: an unseen value of an enumeration is no new template', () => {
    const methods = ['GET', 'POST', 'PUT'];
    const records: LogRecord[] = [];
    for (let m = 0; m < 200; m++) {
      const method = m < 190 ? methods[m % 3] : 'PATCH';
      records.push({
        ts: T0 + m * 60_000,
        service: 'api',
        level: 'info',
        message: `level=warn msg="slow request" method=${method} path=/v1/orders duration=${200 + m}ms`,
        labels: {},
      });
    }
    const { out, states } = run(settings(), records);
    expect(
      states
        .get('api')
        ?.miner.templates()
        .map((t) => t.template),
    ).toEqual(['slow request method=<*> path=<*> duration=<*>']);
    expect(out.anomalies.filter((a) => a.signal === 'log_new_template')).toEqual([]);
  });

  it('a steady stream of known templates yields no anomaly', () => {
    const { out, states } = run(settings(), authLogs({ t0: T0, minutes: 6 * 60, seed: 1 }));
    expect(out.anomalies).toEqual([]);
    expect(out.scored).toBeGreaterThan(6 * 60);
    const auth = states.get('auth');
    expect(auth?.miner.size).toBeGreaterThanOrEqual(3);
    expect(auth?.miner.size).toBeLessThanOrEqual(6);
  });

  it('a new error template after learning is a log anomaly at once, with its text and examples', () => {
    const surgeAt = 4 * 60;
    const { out } = run(
      settings(),
      authLogs({ t0: T0, minutes: surgeAt + 5, seed: 2, surgeAt, surgePerMinute: 30 }),
    );
    const surgeTs = T0 + surgeAt * 60_000;
    expect(out.anomalies.length).toBeGreaterThan(0);
    const first = out.anomalies[0];
    expect(first).toMatchObject({
      kind: 'log',
      service: 'auth',
      signal: 'log_new_template',
      level: 'error',
      template: SURGE_TEMPLATE,
    });
    expect(first?.ts).toBeGreaterThanOrEqual(surgeTs);
    expect(first?.ts).toBeLessThan(surgeTs + 2 * 60_000);
    expect(first?.examples?.[0]).toMatch(/^token validation failed for tenant t-\d+/);
    expect(first?.score).toBeGreaterThanOrEqual(0.9);
    // Nothing fired before the surge.
    expect(out.anomalies.every((a) => a.ts >= surgeTs)).toBe(true);
  });

  it('is quiet about new templates while the service is still learning', () => {
    const { out } = run(
      settings({ learning_ms: 10 * HOUR }),
      authLogs({ t0: T0, minutes: 4 * 60 + 5, seed: 2, surgeAt: 4 * 60 }),
    );
    expect(out.anomalies.filter((a) => a.signal === 'log_new_template')).toEqual([]);
  });

  it('a surge of a known template is a template-rate anomaly', () => {
    // The error template is known from the start (a few a minute), then surges tenfold.
    const normal = authLogs({ t0: T0, minutes: 5 * 60, seed: 3, surgeAt: 0, surgePerMinute: 2 });
    const surge = authLogs({
      t0: T0 + 5 * 60 * 60_000,
      minutes: 5,
      seed: 4,
      surgeAt: 0,
      surgePerMinute: 40,
    });
    const { out } = run(settings(), [...normal, ...surge]);
    const rate = out.anomalies.find((a) => a.signal === 'log_template_lines');
    expect(rate).toMatchObject({ kind: 'log', service: 'auth', level: 'error' });
    expect(rate?.template).toBe(SURGE_TEMPLATE);
    expect(rate?.value).toBeGreaterThan(rate?.upper ?? Infinity);
    expect(rate?.ts).toBeLessThanOrEqual(T0 + 5 * 60 * 60_000 + 2 * 60_000);
    expect(out.anomalies.every((a) => a.ts > T0 + 5 * 60 * 60_000)).toBe(true);
    const ratio = out.anomalies.find((a) => a.signal === 'log_error_ratio');
    expect(ratio?.value).toBeGreaterThan(ratio?.expected ?? Infinity);
  });

  it('an odd line of a rare template is no surge; twelve in a minute are', () => {
    const steady = authLogs({ t0: T0, minutes: 5 * 60, seed: 1 }).filter((r) => r.level === 'info');
    const rare = (minute: number, second = 30): LogRecord => ({
      ts: T0 + minute * 60_000 + second * 1000,
      service: 'auth',
      level: 'info',
      message: `cache warmed in ${minute} ms`,
      labels: {},
    });
    const byTime = (a: LogRecord, b: LogRecord): number => a.ts - b.ts;
    // Once every 30 minutes for hours, then one more soon after the last.
    const every30 = Array.from({ length: 10 }, (_, i) => rare(10 + 30 * i));
    const quiet = [...steady, ...every30, rare(283)].sort(byTime);
    const { out, states } = run(settings(), quiet);
    expect(out.anomalies).toEqual([]);
    const id = states.get('auth')?.miner.match('cache warmed in 1 ms')?.id;
    const series = [...out.latest.values()].find((l) => l.series.labels.template_id === String(id));
    expect(series?.score).toBe(0);
    expect(series?.learning).toBe(false);

    // Twelve in one minute are far outside what its rate explains: a surge.
    const surge = Array.from({ length: 12 }, (_, i) => rare(290, i));
    const after = run(settings(), [...quiet, ...surge, rare(292)].sort(byTime));
    const hit = after.out.anomalies.find((a) => a.signal === 'log_template_lines');
    expect(hit).toMatchObject({ value: 12, template: 'cache warmed in <*>', level: 'info' });
    expect(hit?.expected).toBeLessThan(1);
    expect(hit?.upper).toBeLessThan(12);
  });

  it('a merge of templates (a sixth user name, word_values) is no surge: the rates merge too', () => {
    const users = ['alice', 'bob', 'carol', 'dave', 'frank'];
    const records: LogRecord[] = [];
    let n = 0;
    for (let m = 0; m < 8 * 60 + 10; m++) {
      const names = m < 8 * 60 ? users : [...users, 'erin'];
      for (const u of names) {
        for (let i = 0; i < 8; i++) {
          n += 1;
          records.push({
            ts: T0 + m * 60_000 + ((i * 7 + n) % 60) * 1000,
            service: 'auth',
            level: 'info',
            message: `session started for ${u} from 10.1.2.${n % 250}`,
            labels: {},
          });
        }
      }
    }
    records.sort((a, b) => a.ts - b.ts);
    const { out, states } = run(settings(), records);
    expect(states.get('auth')?.miner.size).toBe(1);
    expect(out.anomalies).toEqual([]);
  });

  it('scores no empty buckets of an idle template (no work for templates long quiet)', () => {
    const steady = authLogs({ t0: T0, minutes: 3 * 60, seed: 4 }).filter(
      (r) => !r.message.startsWith('slow'),
    );
    const once: LogRecord = {
      ts: T0 + 60_000,
      service: 'auth',
      level: 'info',
      message: 'started version 1.2.3',
      labels: {},
    };
    const { out, states } = run(settings({ max_gap_buckets: 30 }), [once, ...steady]);
    const id = states.get('auth')?.miner.match('started version 9.9.9')?.id;
    const key = [...out.latest.keys()].find((k) => k.includes(`template_id="${String(id)}"`));
    // Scored for the 30 buckets after its line, then idle.
    expect(key).toBeDefined();
    expect((out.latest.get(key as string)?.ts ?? 0) - T0).toBeLessThanOrEqual(32 * 60_000);
  });

  it('skips records dated after maxTs, which would otherwise close every bucket up to them', () => {
    const s = settings();
    const records = authLogs({ t0: T0, minutes: 30, seed: 8 });
    const future: LogRecord = { ...(records[0] as LogRecord), ts: Date.UTC(2191, 0, 1) };
    const out = emptyLogOutcome();
    const st = createServiceLogState('auth', s);
    analyzeLogs(s, [future, ...records], () => st, out, T0 + 3_600_000);
    expect(out.future).toBe(1);
    expect(out.late).toBe(0);
    expect(st.bucketStart).toBeLessThan(T0 + 3_600_000);
  });

  it('emits at most newTemplateLimit new-template anomalies per bucket (free text)', () => {
    const normal = authLogs({ t0: T0, minutes: 3 * 60, seed: 9 });
    const words = ['disk', 'queue', 'socket', 'thread', 'cache', 'lock', 'pool', 'heap'];
    const flood: LogRecord[] = Array.from({ length: 40 }, (_, i) => ({
      ts: T0 + 3 * 3_600_000 + i * 1000,
      service: 'auth',
      level: 'error',
      message: `${words[i % 8] ?? ''} ${words[(i * 3) % 8] ?? ''} failure ${words[(i * 5 + 1) % 8] ?? ''} x${String.fromCharCode(97 + (i % 26))}`,
      labels: {},
    }));
    const { out } = run(settings({ new_template_limit: 3 }), [...normal, ...flood]);
    const news = out.anomalies.filter((a) => a.signal === 'log_new_template');
    expect(news.length).toBeGreaterThan(0);
    expect(news.length).toBeLessThanOrEqual(3);
    expect(out.suppressedNew).toBeGreaterThan(0);
  });

  it('continues after its state is stored and restored exactly as without', () => {
    const s = settings();
    const records = authLogs({ t0: T0, minutes: 4 * 60 + 10, seed: 5, surgeAt: 4 * 60 });
    const cut = records.findIndex((r) => r.ts >= T0 + 3 * HOUR);
    const straight = run(s, records);

    const first = run(s, records.slice(0, cut));
    const restored = new Map<string, ServiceLogState>();
    for (const [service, st] of first.states) restored.set(service, storeAndRestore(st, s));
    const second = run(s, records.slice(cut), restored);
    expect([...first.out.anomalies, ...second.out.anomalies]).toEqual(straight.out.anomalies);
    expect(encodeServiceLogState(restored.get('auth') as ServiceLogState)).toEqual(
      encodeServiceLogState(straight.states.get('auth') as ServiceLogState),
    );
  });

  it('continues exactly after a restore in the middle of learning a header', () => {
    const s = settings();
    const records = billingLines(180, 170);
    const straight = run(s, records);
    for (const cut of [7, 30, 200]) {
      const first = run(s, records.slice(0, cut));
      const back = storeAndRestore(first.states.get('billing') as ServiceLogState, s);
      const second = run(s, records.slice(cut), new Map([['billing', back]]));
      expect([...first.out.anomalies, ...second.out.anomalies]).toEqual(straight.out.anomalies);
      expect(encodeServiceLogState(back)).toEqual(
        encodeServiceLogState(straight.states.get('billing') as ServiceLogState),
      );
    }
  });

  it('restores a state stored before line readers (no reader field): the header is learned afresh', () => {
    const s = settings();
    const first = run(s, billingLines(20, 100));
    const raw = parseServiceLogState(
      encodeServiceLogState(first.states.get('billing') as ServiceLogState),
    );
    if (!raw) throw new Error('state did not parse');
    delete raw.reader;
    const back = restoreServiceLogState(raw, [], s);
    expect(back?.miner.size).toBe(1);
    const second = run(
      s,
      billingLines(30, 100).slice(80),
      new Map([['billing', back as ServiceLogState]]),
    );
    expect(
      second.states
        .get('billing')
        ?.miner.templates()
        .map((t) => t.template),
    ).toEqual(['invoice <*> sent to <*>']);
  });

  it('treats a state it cannot read as none', () => {
    expect(parseServiceLogState(Buffer.from('not json'))).toBeUndefined();
    expect(parseServiceLogState(Buffer.from('{"v":9}'))).toBeUndefined();
  });

  it('keeps the last point of each minute a job closed only when asked (the series history)', () => {
    const records = authLogs({ t0: T0, minutes: 10, seed: 5 });
    const ratio = 'log_error_ratio{service="auth"}';
    const minutesOf = (out: LogOutcome): number[] =>
      [...out.stepEnds, ...out.latest.values()]
        .filter((l) => l.series.key === ratio)
        .map((l) => (l.ts - T0) / 60_000);
    // One job, closing buckets 0-8 one close at a time: each closed minute once, in order.
    const kept = run(
      { ...settings(), scoring: { ...settings().scoring, keepStepEnds: true } },
      records,
      undefined,
      records.length,
    );
    expect(minutesOf(kept.out)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const plain = run(settings(), records, undefined, records.length);
    expect(plain.out.stepEnds).toEqual([]);
    expect(minutesOf(plain.out)).toEqual([9]);
  });

  it('keeps services apart', () => {
    const a = authLogs({ t0: T0, minutes: 30, seed: 6, service: 'auth' });
    const b = authLogs({ t0: T0, minutes: 30, seed: 7, service: 'storage' });
    const { states } = run(
      settings(),
      [...a, ...b].sort((x, y) => x.ts - y.ts),
    );
    expect([...states.keys()].sort()).toEqual(['auth', 'storage']);
  });
});
