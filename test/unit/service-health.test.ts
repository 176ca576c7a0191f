import { describe, expect, it } from 'vitest';
import {
  capUnconfigured,
  plainNumber,
  serviceHealth,
  type ServiceHealthInput,
} from '../../src/api/service-health.js';
import { suppressionCheck } from '../../src/detect/suppressions.js';
import type { BoardEntry } from '../../src/detect/score-board.js';
import { incidentJsonOf } from '../helpers/incident-json.js';

const NOW = Date.UTC(2026, 0, 6, 7, 0);

function entry(over: Partial<BoardEntry> & { service: string; metric: string }): BoardEntry {
  return {
    key: `${over.metric}{service="${over.service}"}`,
    score: 0.1,
    value: 10,
    expected: 10,
    lower: 8,
    upper: 12,
    learning: false,
    ts: NOW - 30_000,
    ...over,
  };
}

const input = (over: Partial<ServiceHealthInput> = {}): ServiceHealthInput => ({
  services: {},
  board: [],
  incidents: [],
  threshold: 0.9,
  nowMs: NOW,
  ...over,
});

const one = (over: Partial<ServiceHealthInput>, service: string) => {
  const h = serviceHealth(input(over)).find((s) => s.service === service);
  if (!h) throw new Error(`no health for ${service}`);
  return h;
};

describe('serviceHealth: states', () => {
  it('answers nothing for no services, no board and no incidents', () => {
    expect(serviceHealth(input())).toEqual([]);
  });

  it('is ok when every signal is within its band, and says how many', () => {
    const h = one(
      {
        services: { auth: {} },
        board: [
          entry({ service: 'auth', metric: 'http_requests' }),
          entry({ service: 'auth', metric: 'latency_p99' }),
          entry({ service: 'auth', metric: 'http_error_ratio' }),
        ],
      },
      'auth',
    );
    expect(h.state).toBe('ok');
    expect(h.reason).toBe('all 3 signals within their bands');
    expect(h.incident).toBeNull();
  });

  it('is ok with a settled signal while others still learn, and says so', () => {
    const h = one(
      {
        board: [
          entry({ service: 'auth', metric: 'a' }),
          entry({ service: 'auth', metric: 'b', learning: true }),
          entry({ service: 'auth', metric: 'c', learning: true }),
        ],
      },
      'auth',
    );
    expect(h.state).toBe('ok');
    expect(h.reason).toBe('1 signal within its band, 2 still learning');
  });

  it('is learning when every signal learns, and when none has been seen', () => {
    const learning = one(
      {
        board: [
          entry({ service: 'auth', metric: 'a', learning: true }),
          entry({ service: 'auth', metric: 'b', learning: true }),
        ],
      },
      'auth',
    );
    expect(learning.state).toBe('learning');
    expect(learning.reason).toBe('learning: all 2 signals are still learning');
    const unseen = one({ services: { storage: { description: 'blob store' } } }, 'storage');
    expect(unseen).toEqual({
      service: 'storage',
      state: 'learning',
      reason: 'learning: no signal seen yet',
      key_series: null,
      signals: [],
      incident: null,
      description: 'blob store',
    });
  });

  it('is learning, until when, while its first day runs (correlate.learning_ms); anomalies still show', () => {
    const until = NOW + 5 * 3_600_000;
    const over: Partial<ServiceHealthInput> = {
      board: [
        entry({ service: 'auth', metric: 'a' }),
        entry({ service: 'storage', metric: 'b', score: 0.99, value: 40 }),
      ],
      learningUntil: new Map([
        ['auth', until],
        ['storage', until],
        ['mailbox', until],
      ]),
    };
    const auth = one(over, 'auth');
    expect(auth.state).toBe('learning');
    expect(auth.reason).toBe(
      'learning until 2026-01-06 12:00 UTC, and pages from then: its one signal is within its band',
    );
    expect(auth.learning_until).toBe(new Date(until).toISOString());
    // An anomalous signal is shown as such, learning or not; the date says it will not page.
    const storage = one(over, 'storage');
    expect(storage.state).toBe('degraded');
    expect(storage.learning_until).toBe(new Date(until).toISOString());
    // Listed before any of its series scored.
    expect(one(over, 'mailbox')).toMatchObject({
      state: 'learning',
      reason: 'learning until 2026-01-06 12:00 UTC, and pages from then: no signal seen yet',
    });
    // A service that has learned has no learning_until.
    const routing = one(
      { ...over, board: [entry({ service: 'routing', metric: 'a' })] },
      'routing',
    );
    expect(routing.state).toBe('ok');
    expect(routing).not.toHaveProperty('learning_until');
  });

  it('is in maintenance while a window covers it, asked with the service and now', () => {
    const asked: [string, number][] = [];
    const h = one(
      {
        services: { auth: {}, storage: {} },
        board: [entry({ service: 'auth', metric: 'a' })],
        inMaintenance: (service, t) => {
          asked.push([service, t]);
          return service === 'auth';
        },
      },
      'auth',
    );
    expect(h.state).toBe('maintenance');
    expect(h.reason).toBe('in maintenance window');
    expect(asked).toContainEqual(['auth', NOW]);
    expect(one({ services: { storage: {} }, inMaintenance: () => false }, 'storage').state).toBe(
      'learning',
    );
  });

  it('is degraded when a signal scores at or above the threshold, in one plain sentence', () => {
    const h = one(
      {
        board: [
          entry({
            service: 'auth',
            metric: 'http_error_ratio',
            score: 0.987,
            value: 0.25712,
            expected: 0.005,
            lower: 0.0041,
            upper: 0.0062,
          }),
          entry({ service: 'auth', metric: 'latency_p99', score: 0.9 }),
          entry({ service: 'auth', metric: 'http_requests', score: 0.89 }),
        ],
      },
      'auth',
    );
    expect(h.state).toBe('degraded');
    expect(h.reason).toBe(
      'auth: http_error_ratio 0.257, expected 0.0041–0.0062 (score 0.99), and 1 more signal out of band',
    );
  });

  it('is degraded as root cause of an open warning incident', () => {
    const h = one(
      {
        services: { auth: {} },
        incidents: [incidentJsonOf({ severity: 'warning', services: ['auth'] })],
      },
      'auth',
    );
    expect(h.state).toBe('degraded');
    expect(h.reason).toBe('root cause of warning incident inc-1 (http_error_ratio)');
    expect(h.incident).toEqual({
      id: 'inc-1',
      status: 'open',
      severity: 'warning',
      root_cause: 'auth',
      opened_at: '2026-01-06T06:59:00.000Z',
    });
  });

  it('is an outage as root cause of an open critical incident; the others in it are affected', () => {
    const all = serviceHealth(
      input({
        services: { auth: {}, routing: {}, storage: {} },
        incidents: [incidentJsonOf()],
      }),
    );
    expect(all.map((s) => [s.service, s.state, s.reason])).toEqual([
      ['auth', 'outage', 'root cause of critical incident inc-1 (http_error_ratio)'],
      ['routing', 'affected', "affected by auth's incident inc-1"],
      ['storage', 'learning', 'learning: no signal seen yet'],
    ]);
    expect(all[1]?.incident).toMatchObject({ id: 'inc-1', root_cause: 'auth' });
  });

  it('counts acknowledged incidents as open, and ignores resolved and candidate ones', () => {
    const ack = one(
      { services: { auth: {} }, incidents: [incidentJsonOf({ status: 'acknowledged' })] },
      'auth',
    );
    expect(ack.state).toBe('outage');
    expect(ack.incident?.status).toBe('acknowledged');
    for (const status of ['resolved', 'candidate'] as const) {
      const h = one({ services: { auth: {} }, incidents: [incidentJsonOf({ status })] }, 'auth');
      expect(h.state).toBe('learning');
      expect(h.incident).toBeNull();
    }
  });

  it('says so when an open incident has no root cause yet', () => {
    const h = one(
      { incidents: [incidentJsonOf({ root_cause: null, services: ['routing'] })] },
      'routing',
    );
    expect(h.state).toBe('affected');
    expect(h.reason).toBe('in incident inc-1, whose root cause is not known yet');
  });
});

describe('serviceHealth: precedence (worst wins)', () => {
  const anomalous = entry({ service: 'auth', metric: 'http_error_ratio', score: 0.95 });

  it('outage beats affected, maintenance and degraded', () => {
    const h = one(
      {
        board: [anomalous],
        incidents: [
          incidentJsonOf({
            id: 'inc-new',
            opened_at: '2026-01-06T06:59:30.000Z',
            root_cause: { service: 'db', signal: 'x', confidence: 1 },
            services: ['db', 'auth'],
          }),
          incidentJsonOf({ id: 'inc-old', opened_at: '2026-01-06T06:50:00.000Z' }),
        ],
        inMaintenance: () => true,
      },
      'auth',
    );
    expect(h.state).toBe('outage');
    // The incident shown is the one that sets the state, not merely the newest.
    expect(h.incident?.id).toBe('inc-old');
  });

  it('affected beats maintenance and degraded', () => {
    const h = one(
      { board: [anomalous], incidents: [incidentJsonOf()], inMaintenance: () => true },
      'routing',
    );
    expect(h.state).toBe('affected');
    const auth = one(
      {
        board: [anomalous],
        incidents: [
          incidentJsonOf({
            services: ['db', 'auth'],
            root_cause: { service: 'db', signal: 's', confidence: 1 },
          }),
        ],
      },
      'auth',
    );
    expect(auth.state).toBe('affected');
  });

  it('maintenance beats degraded (a score held from before the window), learning and ok', () => {
    const held = one({ board: [anomalous], inMaintenance: () => true }, 'auth');
    expect([held.state, held.reason]).toEqual(['maintenance', 'in maintenance window']);
    // The anomalous signal is still listed, and still the key series.
    expect(held.key_series).toBe(anomalous.key);
    const warning = one(
      {
        incidents: [incidentJsonOf({ severity: 'warning', services: ['auth'] })],
        inMaintenance: () => true,
      },
      'auth',
    );
    expect(warning.state).toBe('maintenance');
    const learning = entry({ service: 'auth', metric: 'a', learning: true });
    expect(one({ board: [learning], inMaintenance: () => true }, 'auth').state).toBe('maintenance');
    expect(
      one({ board: [entry({ service: 'auth', metric: 'a' })], inMaintenance: () => true }, 'auth')
        .state,
    ).toBe('maintenance');
  });

  it('of two open incidents with the same effect, shows the newest', () => {
    const h = one(
      {
        incidents: [
          incidentJsonOf({ id: 'inc-a', opened_at: '2026-01-06T06:00:00.000Z' }),
          incidentJsonOf({ id: 'inc-b', opened_at: '2026-01-06T06:30:00.000Z' }),
        ],
      },
      'routing',
    );
    expect(h.reason).toBe("affected by auth's incident inc-b");
    expect(h.incident?.id).toBe('inc-b');
  });
});

describe('serviceHealth: key series', () => {
  const calm = [
    entry({ service: 'auth', metric: 'cpu_seconds', score: 0.5 }),
    entry({ service: 'auth', metric: 'http_requests' }),
    entry({ service: 'auth', metric: 'login_failures' }),
    entry({ service: 'auth', metric: 'queue_depth' }),
  ];

  it('is the most anomalous series while one is anomalous, whatever is configured', () => {
    const board = [
      ...calm,
      entry({ service: 'auth', metric: 'queue_depth', key: 'q2', score: 0.97 }),
    ];
    const h = one({ services: { auth: { key_signal: 'http_requests' } }, board }, 'auth');
    expect(h.key_series).toBe('q2');
  });

  it('is the configured key signal (a glob) when none is anomalous', () => {
    const h = one({ services: { auth: { key_signal: 'http_req*' } }, board: calm }, 'auth');
    expect(h.key_series).toBe('http_requests{service="auth"}');
  });

  it('is an error signal when no key signal is configured (or none matches)', () => {
    expect(one({ board: calm }, 'auth').key_series).toBe('login_failures{service="auth"}');
    const h = one({ services: { auth: { key_signal: 'nothing_like_it' } }, board: calm }, 'auth');
    expect(h.key_series).toBe('login_failures{service="auth"}');
  });

  it('is the first by name when no signal is an error signal', () => {
    const board = calm.filter((e) => e.metric !== 'login_failures');
    expect(one({ board }, 'auth').key_series).toBe('cpu_seconds{service="auth"}');
  });

  it('follows the configured error patterns', () => {
    const h = one(
      { board: calm, patterns: { errors: ['queue_*'], latency: [], traffic: [] } },
      'auth',
    );
    expect(h.key_series).toBe('queue_depth{service="auth"}');
  });
});

describe('serviceHealth: signals, services and order', () => {
  it('lists signals the most anomalous first, bounded, with times as RFC 3339 and rounded numbers', () => {
    const board = [
      entry({ service: 'auth', metric: 'b', score: 0.2 }),
      entry({ service: 'auth', metric: 'a', score: 0.7, value: 1.23456789, ts: NOW }),
      entry({ service: 'auth', metric: 'c', score: 0.2 }),
    ];
    const h = one({ board, signalsPerService: 2 }, 'auth');
    expect(h.signals.map((s) => s.signal)).toEqual(['a', 'b']);
    expect(h.signals[0]).toEqual({
      series: 'a{service="auth"}',
      signal: 'a',
      ts: new Date(NOW).toISOString(),
      value: 1.23457,
      expected: 10,
      lower: 8,
      upper: 12,
      score: 0.7,
      learning: false,
    });
  });

  it('includes services seen on the board but not configured, without a description', () => {
    const h = one(
      {
        services: { auth: { description: 'login' } },
        board: [entry({ service: 'cache', metric: 'hits' })],
      },
      'cache',
    );
    expect(h.state).toBe('ok');
    expect(h).not.toHaveProperty('description');
    expect(h.signals).toHaveLength(1);
  });

  it('includes services named only by an open incident (its series may have gone stale)', () => {
    const all = serviceHealth(input({ incidents: [incidentJsonOf()] }));
    expect(all.map((s) => [s.service, s.state])).toEqual([
      ['auth', 'outage'],
      ['routing', 'affected'],
    ]);
  });

  it('orders the worst state first, then by name', () => {
    const all = serviceHealth(
      input({
        services: { zeta: {}, alpha: {}, auth: {}, routing: {}, mid: {} },
        board: [
          entry({ service: 'mid', metric: 'm', score: 0.95 }),
          entry({ service: 'alpha', metric: 'a' }),
          entry({ service: 'zeta', metric: 'z' }),
        ],
        incidents: [incidentJsonOf()],
      }),
    );
    expect(all.map((s) => `${s.state}:${s.service}`)).toEqual([
      'outage:auth',
      'affected:routing',
      'degraded:mid',
      'ok:alpha',
      'ok:zeta',
    ]);
  });
});

describe('serviceHealth: suppressed signals', () => {
  const ratio = entry({
    service: 'auth',
    metric: 'http_error_ratio',
    score: 0.987,
    value: 0.25712,
    expected: 0.005,
    lower: 0.0041,
    upper: 0.0062,
  });
  const latency = entry({ service: 'auth', metric: 'latency_p99', score: 0.95 });
  const calm = entry({ service: 'auth', metric: 'http_requests' });
  const suppression = (pattern: string, service: string | null = 'auth') => ({
    id: `sup-${pattern}`,
    service,
    pattern,
    created_at: NOW - 3_600_000,
    expires_at: null,
    created_by: 'alice',
    note: 'false positive',
    incident: 'inc-1',
  });

  it('a suppressed anomalous signal does not make its service degraded, and the reason says so', () => {
    const asked: [string, string, string, number][] = [];
    const h = one(
      {
        board: [ratio, calm],
        suppressed: (...args) => {
          asked.push(args);
          return args[1] === 'http_error_ratio';
        },
      },
      'auth',
    );
    expect(h.state).toBe('ok');
    expect(h.reason).toBe(
      'auth: http_error_ratio 0.257, expected 0.0041–0.0062 (score 0.99) (suppressed)',
    );
    // Asked with the signal, its series and its own event time; calm signals are not asked.
    expect(asked).toEqual([['auth', 'http_error_ratio', ratio.key, ratio.ts]]);
    expect(h.signals.map((x) => [x.signal, x.suppressed])).toEqual([
      ['http_error_ratio', true],
      ['http_requests', undefined],
    ]);
    expect(h.key_series).toBe(ratio.key);
  });

  it('is degraded by the signals no suppression matches, and counts the suppressed ones', () => {
    const h = one(
      { board: [ratio, latency, calm], suppressed: suppressionCheck([suppression('http_*')]) },
      'auth',
    );
    expect(h.state).toBe('degraded');
    expect(h.reason).toBe(
      'auth: latency_p99 10, expected 8–12 (score 0.95); 1 anomalous signal suppressed',
    );
    // The key series is the anomalous signal that counts, not the higher suppressed one.
    expect(h.key_series).toBe(latency.key);
  });

  it('says how many more are suppressed when all are', () => {
    const h = one(
      { board: [ratio, latency], suppressed: suppressionCheck([suppression('*', null)]) },
      'auth',
    );
    expect(h.state).toBe('ok');
    expect(h.reason).toBe(
      'auth: http_error_ratio 0.257, expected 0.0041–0.0062 (score 0.99) (suppressed), and 1 more anomalous signal suppressed',
    );
  });

  it('follows the suppression: another service, or expired at the signal’s time, does not count', () => {
    const other = one(
      { board: [ratio], suppressed: suppressionCheck([suppression('*', 'db')]) },
      'auth',
    );
    expect(other.state).toBe('degraded');
    const expired = one(
      {
        board: [ratio],
        suppressed: suppressionCheck([{ ...suppression('*'), expires_at: ratio.ts }]),
      },
      'auth',
    );
    expect(expired.state).toBe('degraded');
  });
});

describe('serviceHealth: services beyond the series read', () => {
  it('is ok when scored recently though none of its series is among those read', () => {
    const h = one({ services: { billing: {} }, scoredServices: new Set(['billing']) }, 'billing');
    expect(h).toMatchObject({
      state: 'ok',
      reason: 'scored recently; its series all score below the most anomalous 10,000',
      key_series: null,
      signals: [],
    });
    // Not scored: still learning, as before.
    expect(one({ services: { billing: {} }, scoredServices: new Set() }, 'billing').state).toBe(
      'learning',
    );
  });

  it('lists an unconfigured service scored recently, though none of its series was read', () => {
    const all = serviceHealth(input({ scoredServices: new Set(['cache']) }));
    expect(all.map((s) => [s.service, s.state])).toEqual([['cache', 'ok']]);
  });
});

describe('capUnconfigured', () => {
  it('keeps every configured service and the first (worst) N others, counting those left out', () => {
    const board = Array.from({ length: 6 }, (_, i) =>
      entry({ service: `x${i}`, metric: 'm', score: i < 2 ? 0.95 : 0.1 }),
    );
    const all = serviceHealth(input({ services: { zeta: {}, auth: {} }, board }));
    const { services, omitted } = capUnconfigured(all, { zeta: {}, auth: {} }, 3);
    // degraded x0, x1; learning auth, zeta (nothing seen yet); ok x2 (x3-x5 left out).
    expect(services.map((s) => s.service)).toEqual(['x0', 'x1', 'auth', 'zeta', 'x2']);
    expect(omitted).toBe(3);
    const configured = capUnconfigured(all, { zeta: {}, auth: {} }, 0);
    expect(configured.services.map((s) => s.service)).toEqual(['auth', 'zeta']);
    expect(configured.omitted).toBe(6);
  });

  it('lists at most 100 others by default', () => {
    const board = Array.from({ length: 150 }, (_, i) => entry({ service: `s${i}`, metric: 'm' }));
    const { services, omitted } = capUnconfigured(serviceHealth(input({ board })), {});
    expect([services.length, omitted]).toEqual([100, 50]);
  });
});

describe('plainNumber', () => {
  it('writes three significant digits, whole numbers from 100, exponents at the extremes', () => {
    expect([0, 0.25712, 0.0041, 12.345, 412.3, 12345.6, 2e7, 1e-6].map(plainNumber)).toEqual([
      '0',
      '0.257',
      '0.0041',
      '12.3',
      '412',
      '12346',
      '2.00e+7',
      '1.00e-6',
    ]);
  });
});
