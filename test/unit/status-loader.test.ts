/**
 * The status loader over fake stores: what it hands service-health.ts (the suppressions, the
 * services scored beyond the series read), how it bounds the list, and the history when it is
 * turned off.
 */
import { describe, expect, it } from 'vitest';
import {
  loadSeriesPoints,
  loadServiceHealth,
  type StatusSource,
} from '../../src/api/status-loader.js';
import type { HistoryPoint } from '../../src/detect/history-points.js';
import type { BoardEntry } from '../../src/detect/score-board.js';
import type { Suppression } from '../../src/detect/suppressions.js';

const NOW = Date.UTC(2026, 0, 6, 7, 0);
const MIN = 60_000;

const entry = (service: string, metric: string, score = 0.1): BoardEntry => ({
  key: `${metric}{service="${service}"}`,
  service,
  metric,
  score,
  value: 10,
  expected: 10,
  lower: 8,
  upper: 12,
  learning: false,
  ts: NOW - 30_000,
});

const suppression: Suppression = {
  id: 'sup-1',
  service: 'auth',
  pattern: 'http_error_ratio',
  created_at: NOW - 3_600_000,
  expires_at: null,
  created_by: 'alice',
  note: 'the health check misfires',
  incident: 'inc-1',
};

function source(
  over: {
    board?: BoardEntry[];
    services?: Record<string, object>;
    scored?: Map<string, number>;
    suppressions?: Suppression[];
    keepMs?: number;
    stored?: Map<string, HistoryPoint[]>;
  } = {},
): StatusSource & { readonly asked: { scored: unknown[]; history: number } } {
  const board = over.board ?? [];
  const asked = { scored: [] as unknown[], history: 0 };
  const stored = over.stored ?? new Map<string, HistoryPoint[]>();
  return {
    asked,
    config: {
      services: over.services ?? {},
      detect: { anomaly_threshold: 0.9 },
      correlate: { signals: { errors: [], latency: [], traffic: [] } },
      metrics: { stale_after_ms: 10 * MIN },
    } as unknown as StatusSource['config'],
    board: {
      all: () => Promise.resolve(board),
      latest: (keys) => Promise.resolve(board.filter((e) => keys.includes(e.key))),
      services: (opts) => {
        asked.scored.push(opts);
        return Promise.resolve(over.scored ?? new Map());
      },
    },
    incidents: { open: () => Promise.resolve([]) },
    history: {
      stepMs: MIN,
      keepMs: over.keepMs ?? 360 * MIN,
      maxPoints: 400,
      read: (keys) => {
        asked.history++;
        return Promise.resolve(new Map(keys.map((k) => [k, stored.get(k) ?? []])));
      },
      readTails: (requests) => {
        asked.history++;
        return Promise.resolve(new Map(requests.map((r) => [r.key, stored.get(r.key) ?? []])));
      },
    },
    suppressions: { list: () => Promise.resolve(over.suppressions ?? []) },
    now: () => NOW,
  };
}

describe('loadServiceHealth', () => {
  it('honours the suppressions: a suppressed anomalous signal leaves its service ok', async () => {
    const board = [entry('auth', 'http_error_ratio', 0.97), entry('auth', 'http_requests')];
    const without = await loadServiceHealth(source({ board }));
    expect(without.services[0]?.state).toBe('degraded');
    const got = await loadServiceHealth(source({ board, suppressions: [suppression] }));
    const auth = got.services[0];
    expect(auth?.state).toBe('ok');
    expect(auth?.reason).toMatch(/\(suppressed\)$/);
    expect(auth?.signals[0]).toMatchObject({ signal: 'http_error_ratio', suppressed: true });
  });

  it('answers ok for a service scored recently none of whose series was read', async () => {
    const src = source({ services: { billing: {} }, scored: new Map([['billing', NOW - MIN]]) });
    const got = await loadServiceHealth(src);
    expect(got.services).toMatchObject([
      {
        service: 'billing',
        state: 'ok',
        reason: 'scored recently; its series all score below the most anomalous 10,000',
      },
    ]);
    expect(src.asked.scored).toEqual([{ staleAfterMs: 10 * MIN, nowMs: NOW }]);
  });

  it('lists every configured service and at most 100 others, and counts those left out', async () => {
    const board = Array.from({ length: 130 }, (_, i) =>
      entry(`svc${String(i).padStart(3, '0')}`, 'm', i < 5 ? 0.95 : 0.1),
    );
    const services = { auth: {}, storage: {} };
    const got = await loadServiceHealth(source({ board, services }));
    expect(got.services).toHaveLength(102);
    expect(got.omitted_services).toBe(30);
    // The worst first: the five degraded ones are among those kept.
    expect(got.services.slice(0, 5).map((s) => s.state)).toEqual(Array(5).fill('degraded'));
    expect(got.services.map((s) => s.service)).toEqual(
      expect.arrayContaining(['auth', 'storage', 'svc000', 'svc004']),
    );
    const all = await loadServiceHealth(source({ board, services }), {
      maxUnconfigured: Number.POSITIVE_INFINITY,
    });
    expect([all.services.length, all.omitted_services]).toEqual([132, 0]);
  });

  it('lists configured services only for the public page', async () => {
    const board = [entry('auth', 'a'), entry('internal-db', 'b', 0.99)];
    const got = await loadServiceHealth(source({ board, services: { auth: {} } }), {
      configuredOnly: true,
    });
    expect(got.services.map((s) => s.service)).toEqual(['auth']);
    expect(got.omitted_services).toBe(1);
  });
});

describe('loadSeriesPoints', () => {
  const e = entry('auth', 'http_requests');
  const old: HistoryPoint = { ts: NOW - 10 * MIN, value: 9, lower: 8, upper: 12, score: 0.1 };

  it('ends the stored points with the latest score', async () => {
    const got = await loadSeriesPoints(source({ board: [e], stored: new Map([[e.key, [old]]]) }), [
      e.key,
    ]);
    expect(got.get(e.key)?.map((p) => p.ts)).toEqual([old.ts, e.ts]);
  });

  it('with the history off (keepMs 0), answers the latest point alone and reads no history', async () => {
    const src = source({ board: [e], keepMs: 0, stored: new Map([[e.key, [old]]]) });
    const got = await loadSeriesPoints(src, [e.key]);
    expect(got.get(e.key)).toEqual([
      { ts: e.ts, value: e.value, lower: e.lower, upper: e.upper, score: e.score },
    ]);
    expect(src.asked.history).toBe(0);
  });
});
