/**
 * The correlator's pure core (src/correlate): the incident lifecycle in event time, grouping
 * through the dependency graph, and root-cause ranking with its reasons.
 */
import { describe, expect, it } from 'vitest';
import { edgeFromSeries } from '../../src/queues/discovered-edges.js';
import { serviceGraph } from '../../src/correlate/graph.js';
import {
  Correlator,
  emptyCorrelatorState,
  recurringBefore,
  type CorrelateSettings,
  type CorrelatorState,
  type Incident,
  type IncidentAnomaly,
  type IncidentEvent,
} from '../../src/correlate/incidents.js';
import { incidentJson } from '../../src/correlate/incident-json.js';
import { rankRootCauses } from '../../src/correlate/rank.js';
import { liveNow } from '../../src/correlate/correlate-worker.js';
import { polarity } from '../../src/correlate/signal-kind.js';

const SEC = 1000;
const MIN = 60 * SEC;
const T0 = Date.UTC(2026, 0, 6, 6, 58);

const EXAMPLE = {
  auth: { depends_on: ['storage'] },
  routing: { depends_on: ['auth', 'storage'] },
  storage: { depends_on: [] },
  billing: { depends_on: ['ledger'] },
  ledger: { depends_on: [] },
};
const graph = serviceGraph(EXAMPLE);

const settings: CorrelateSettings = {
  window_ms: 10 * MIN,
  settle_ms: MIN,
  min_anomalies: 2,
  severe_score: 0.99,
  quiet_ms: 15 * MIN,
  flap_hold_ms: 10 * MIN,
  max_incident_ms: 6 * 60 * MIN,
  grouping_labels: [],
  max_timeline: 200,
};

let seq = 0;
function anomaly(
  service: string,
  signal: string,
  ts: number,
  dir: 'up' | 'down' = 'up',
  score = 0.95,
  labels: Record<string, string> = {},
): IncidentAnomaly {
  seq += 1;
  return {
    id: `a${seq}`,
    kind: 'metric',
    series: `${signal}{service="${service}"}`,
    service,
    signal,
    labels: { service, ...labels },
    ts,
    value: dir === 'up' ? 2 : 0.5,
    expected: 1,
    lower: 0.8,
    upper: 1.2,
    score,
    detector: 'ensemble',
  };
}

const STORY = (): IncidentAnomaly[] => [
  anomaly('auth', 'http_error_ratio', T0),
  anomaly('auth', 'http_latency_p99_seconds', T0 + 10 * SEC),
  anomaly('routing', 'http_error_ratio', T0 + MIN),
  anomaly('storage', 'http_requests_per_second', T0 + MIN, 'down'),
];

function run(
  anomalies: readonly IncidentAnomaly[],
  cfg = settings,
  state: CorrelatorState = emptyCorrelatorState(),
): { events: IncidentEvent[]; state: CorrelatorState; c: Correlator } {
  const c = new Correlator(graph, cfg);
  const events = anomalies.flatMap((a) => c.fold(state, a));
  // One ms past the last anomaly: a settle window that ends with it has closed.
  events.push(...c.advance(state, Math.max(...anomalies.map((a) => a.ts)) + 1));
  return { events, state, c };
}

describe('live time (liveNow)', () => {
  const state = (watermark: number, now: number): CorrelatorState => ({
    ...emptyCorrelatorState(),
    watermark,
    now,
  });
  it('live data: the wall clock less the allowed lateness, never backwards', () => {
    expect(liveNow(state(T0, T0), T0 + 5 * MIN, 15 * SEC)).toBe(T0 + 5 * MIN - 15 * SEC);
    expect(liveNow(state(T0, T0 + 10 * MIN), T0 + 5 * MIN, 15 * SEC)).toBe(T0 + 10 * MIN);
  });
  it('a backfill (data hours old) moves only by its own anomalies', () => {
    expect(liveNow(state(T0, T0), T0 + 3 * 60 * MIN, 15 * SEC)).toBe(T0);
  });
  it('ticks do not move the watermark, so data stays live or backfill by its own times', () => {
    const s = state(T0, T0);
    new Correlator(graph, settings).advance(s, T0 + 2 * 60 * MIN);
    expect(s.watermark).toBe(T0);
  });
});

describe('signal polarity', () => {
  it.each([
    ['http_requests_per_second', 'down', 'symptom'],
    ['http_requests_per_second', 'up', 'failure'],
    ['http_error_ratio', 'up', 'failure'],
    ['http_error_ratio', 'down', 'benign'],
    ['http_latency_p99_seconds', 'down', 'benign'],
    ['queue_depth', 'down', 'failure'],
    ['http_requests_failed_total', 'up', 'failure'],
  ] as const)('%s %s is a %s', (signal, dir, expected) => {
    expect(polarity({ signal, value: dir === 'up' ? 2 : 0.5, expected: 1 })).toBe(expected);
  });
});

describe('root-cause ranking', () => {
  it('the story: auth first (0.9+), routing depends on it, storage only lost traffic', () => {
    const ranked = rankRootCauses(STORY(), graph);
    expect(ranked.map((c) => c.service)).toEqual(['auth', 'routing', 'storage']);
    expect(ranked[0]?.confidence).toBeGreaterThan(0.8);
    expect(ranked[0]?.reasons.join(' | ')).toMatch(
      /first to turn anomalous.*routing depends on it/,
    );
    expect(ranked.find((c) => c.service === 'storage')?.reasons.join(' ')).toMatch(
      /only its traffic fell/,
    );
    expect(ranked.reduce((s, c) => s + c.confidence, 0)).toBeCloseTo(1, 9);
  });

  it('the same anomalies in any order rank the same', () => {
    const story = STORY();
    const reversed = rankRootCauses([...story].reverse(), graph);
    expect(reversed).toEqual(rankRootCauses(story, graph));
  });

  it('error-log anomalies on a service count as evidence for it', () => {
    const metricOnly = [
      anomaly('ledger', 'http_error_ratio', T0),
      anomaly('billing', 'http_error_ratio', T0),
    ];
    const before = rankRootCauses(metricOnly, graph).find((c) => c.service === 'billing');
    const withLogs = rankRootCauses(
      [
        ...metricOnly,
        { ...anomaly('billing', 'log_template_rate', T0), kind: 'log', level: 'error' },
      ],
      graph,
    ).find((c) => c.service === 'billing');
    expect(withLogs?.score).toBeGreaterThan(before?.score ?? 1);
    expect(withLogs?.reasons).toContain('error logs turned anomalous on it');
  });

  it('a failing dependency upstream outranks an earlier-noticed caller', () => {
    // Storage's errors begin 20 s after auth's, but auth depends on storage, which fails.
    const ranked = rankRootCauses(
      [
        anomaly('auth', 'http_error_ratio', T0),
        anomaly('storage', 'http_error_ratio', T0 + 20 * SEC),
        anomaly('routing', 'http_error_ratio', T0 + MIN),
      ],
      graph,
    );
    expect(ranked[0]?.service).toBe('storage');
  });
});

describe('incident lifecycle', () => {
  it('the story opens one incident a settle time after the first anomaly, root cause auth', () => {
    const { events, state } = run(STORY());
    const opened = events.filter((e) => e.type === 'opened');
    expect(opened).toHaveLength(1);
    const inc = opened[0]?.incident;
    expect(inc?.opened_at).toBe(T0 + MIN);
    expect(inc?.root_cause?.service).toBe('auth');
    expect([...(inc?.services ?? [])].sort()).toEqual(['auth', 'routing', 'storage']);
    expect(state.incidents).toHaveLength(1);
    // The explanation is frozen at opening, with the dependency paths to the root cause.
    expect(inc?.explanation?.root_cause).toBe('auth');
    expect(inc?.explanation?.dependency_paths).toContainEqual(['routing', 'auth']);
  });

  it('anomalies arriving in any order (within the settle time) make the same incident', () => {
    const story = STORY();
    const shuffled = [story[3], story[2], story[0], story[1]] as IncidentAnomaly[];
    const { state } = run(shuffled);
    const c = new Correlator(graph, settings);
    // The incident appeared when storage's anomaly came (T0 + 1 min): it settles a minute later.
    c.advance(state, T0 + 2 * MIN);
    expect(state.incidents[0]?.status).toBe('candidate');
    c.advance(state, T0 + 2 * MIN + 1);
    expect(state.incidents).toHaveLength(1);
    expect(state.incidents[0]?.root_cause?.service).toBe('auth');
    expect(state.incidents[0]?.status).toBe('open');
    expect(state.incidents[0]?.explanation?.root_cause).toBe('auth');
  });

  it('an anomaly that bridges two candidates merges them (deep chains in any order)', () => {
    // A chain a -> b -> c -> d: a and d arrive first, far apart in the graph, as two
    // candidates; b and c then connect them into one.
    const chain = serviceGraph({
      a: { depends_on: ['b'] },
      b: { depends_on: ['c'] },
      c: { depends_on: ['d'] },
      d: { depends_on: [] },
    });
    const c = new Correlator(chain, settings);
    const state = emptyCorrelatorState();
    c.fold(state, anomaly('a', 'http_error_ratio', T0 + 2 * SEC));
    c.fold(state, anomaly('d', 'http_error_ratio', T0));
    expect(state.incidents).toHaveLength(2);
    c.fold(state, anomaly('b', 'http_error_ratio', T0 + SEC));
    c.fold(state, anomaly('c', 'http_error_ratio', T0 + SEC));
    expect(state.incidents).toHaveLength(1);
    c.advance(state, T0 + 2 * MIN);
    expect(state.incidents[0]?.root_cause?.service).toBe('d');
  });

  it('one mild anomaly never opens an incident; a severe one does once the next sample confirms it', () => {
    const mild = run([anomaly('ledger', 'http_error_ratio', T0, 'up', 0.93)]);
    mild.c.advance(mild.state, T0 + 30 * MIN);
    expect(mild.state.incidents).toEqual([]);
    const severe = run([
      anomaly('ledger', 'http_error_ratio', T0, 'up', 0.995),
      anomaly('ledger', 'http_error_ratio', T0 + 15 * SEC, 'up', 0.995),
    ]);
    const events = severe.c.advance(severe.state, T0 + 2 * MIN);
    expect(events.map((e) => e.type)).toEqual(['opened']);
  });

  describe('corroboration: what may open an incident', () => {
    it('no single sample opens one, however severe and however many signals it moves', () => {
      const blip = run([
        anomaly('ledger', 'http_error_ratio', T0, 'up', 0.9999),
        anomaly('ledger', 'http_latency_p99_seconds', T0, 'up', 0.9999),
        anomaly('ledger', 'process_cpu_seconds_total', T0, 'up', 0.9999),
      ]);
      blip.c.advance(blip.state, T0 + 30 * MIN);
      expect(blip.state.incidents).toEqual([]);
      // The same with corroboration off: the rule before, one severe anomaly opens.
      const c = new Correlator(graph, { ...settings, corroboration: false });
      const state = emptyCorrelatorState();
      const events = [
        ...c.fold(state, anomaly('ledger', 'http_error_ratio', T0, 'up', 0.9999)),
        ...c.advance(state, T0 + 2 * MIN),
      ];
      expect(events.map((e) => e.type)).toEqual(['opened']);
    });

    it('a fall in traffic is a symptom: callees whose callers stopped calling open nothing', () => {
      const { c, state } = run([
        anomaly('storage', 'http_requests_per_second', T0, 'down', 0.999),
        anomaly('storage', 'http_requests_per_second', T0 + MIN, 'down', 0.999),
        anomaly('auth', 'http_requests_per_second', T0 + MIN, 'down', 0.999),
      ]);
      c.advance(state, T0 + 30 * MIN);
      expect(state.incidents).toEqual([]);
    });

    it('a rise in traffic alone is load, not a fault; with errors beside it, it opens', () => {
      const surge = run([
        anomaly('auth', 'http_requests_per_second', T0, 'up', 0.999),
        anomaly('routing', 'http_requests_per_second', T0 + MIN, 'up', 0.999),
        anomaly('auth', 'http_requests_per_second', T0 + 2 * MIN, 'up', 0.999),
      ]);
      surge.c.advance(surge.state, T0 + 30 * MIN);
      expect(surge.state.incidents).toEqual([]);
      const failing = run([
        anomaly('auth', 'http_requests_per_second', T0, 'up', 0.999),
        anomaly('auth', 'http_error_ratio', T0 + MIN, 'up', 0.95),
      ]);
      const opened = [...failing.events, ...failing.c.advance(failing.state, T0 + 5 * MIN)]
        .filter((e) => e.type === 'opened')
        .map((e) => e.incident.opened_at);
      expect(opened).toEqual([T0 + MIN]);
    });

    it('a pattern seen at this time of day on an earlier day is not news: a daily job opens nothing on day two', () => {
      const DAY = 24 * 60 * MIN;
      const job = (day: number, offsetMin = 0): IncidentAnomaly[] => [
        anomaly(
          'ledger',
          'process_cpu_seconds_total',
          T0 + day * DAY + offsetMin * MIN,
          'up',
          0.999,
        ),
        anomaly(
          'ledger',
          'process_cpu_seconds_total',
          T0 + day * DAY + (offsetMin + 1) * MIN,
          'up',
          0.999,
        ),
        anomaly(
          'ledger',
          'http_latency_p99_seconds',
          T0 + day * DAY + (offsetMin + 1) * MIN,
          'up',
          0.95,
        ),
      ];
      const c = new Correlator(graph, settings);
      const state = emptyCorrelatorState();
      const opened = (xs: IncidentAnomaly[], until: number): number =>
        [...xs.flatMap((x) => c.fold(state, x)), ...c.advance(state, until)].filter(
          (e) => e.type === 'opened',
        ).length;
      // The first run pages; the next day's, 4 minutes later (within window_ms), does not; a
      // week on it still does not (a weekly job is a week apart).
      expect(opened(job(0), T0 + 30 * MIN)).toBe(1);
      expect(opened(job(1, 4), T0 + DAY + 30 * MIN)).toBe(0);
      expect(opened(job(7, -3), T0 + 7 * DAY + 30 * MIN)).toBe(0);
      // At another time of day it is news.
      expect(opened(job(8, 180), T0 + 8 * DAY + 4 * 60 * MIN)).toBe(1);
      // Recurring anomalies stay on the timeline, marked.
      const day9 = job(9, 180);
      day9.forEach((x) => c.fold(state, x));
      const held = state.incidents.at(-1)?.timeline ?? [];
      expect(held.length).toBeGreaterThan(0);
      expect(held.every((x) => x.recurring === true)).toBe(true);
    });

    it('remembers a bounded history: a week, one time per episode', () => {
      const state = emptyCorrelatorState();
      for (let m = 0; m < 10 * 24 * 60; m += 1) {
        recurringBefore(state, { series: 's', ts: T0 + m * MIN }, 10 * MIN);
      }
      const times = state.history.s ?? [];
      expect(times.length).toBeLessThanOrEqual(32);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(T0 + 3 * 24 * 60 * MIN - 10 * MIN);
      for (let i = 1; i < times.length; i++) {
        expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(10 * MIN);
      }
    });

    it('one severe series opens alone only on what users feel; a gauge of no known kind needs a second series', () => {
      const clients = (ts: number) => anomaly('storage', 'redis_connected_clients', ts, 'up', 1);
      const flat = run([clients(T0), clients(T0 + MIN)]);
      flat.c.advance(flat.state, T0 + 30 * MIN);
      expect(flat.events.filter((e) => e.type === 'opened')).toEqual([]);
      const memory = run([
        anomaly('storage', 'process_resident_memory_bytes', T0, 'up', 1),
        anomaly('storage', 'process_resident_memory_bytes', T0 + MIN, 'up', 1),
      ]);
      expect(memory.events.filter((e) => e.type === 'opened')).toEqual([]);
      const two = run([
        clients(T0),
        anomaly('storage', 'connection_pool_waiters', T0 + MIN, 'up', 0.95),
      ]);
      expect(two.events.filter((e) => e.type === 'opened')).toHaveLength(1);
      const errors = run([
        anomaly('storage', 'http_requests_total', T0, 'up', 0.995, { code: '503' }),
        anomaly('storage', 'http_requests_total', T0 + MIN, 'up', 0.995, { code: '503' }),
      ]);
      expect(errors.events.filter((e) => e.type === 'opened')).toHaveLength(1);
    });

    it('when traffic rose, CPU, memory and the time spent serving follow the load: no evidence', () => {
      const load = run([
        anomaly('auth', 'http_requests_total', T0, 'up', 0.999),
        anomaly('auth', 'process_cpu_seconds_total', T0, 'up', 0.999),
        anomaly('routing', 'http_request_duration_seconds_sum', T0 + MIN, 'up', 0.999),
        anomaly('routing', 'process_cpu_seconds_total', T0 + MIN, 'up', 0.999),
      ]);
      load.c.advance(load.state, T0 + 5 * MIN);
      expect(load.events.filter((e) => e.type === 'opened')).toEqual([]);
      // With its latency (p99) up, the same load is a fault users feel.
      const hurt = run([
        anomaly('auth', 'http_requests_total', T0, 'up', 0.999),
        anomaly('auth', 'process_cpu_seconds_total', T0, 'up', 0.999),
        anomaly('auth', 'http_latency_p99_seconds', T0 + MIN, 'up', 0.95),
      ]);
      expect(hurt.events.filter((e) => e.type === 'opened')).toHaveLength(1);
      // Without a traffic rise, a CPU rise on two series is a saturation to page on.
      const saturated = run([
        anomaly('auth', 'process_cpu_seconds_total', T0, 'up', 0.95),
        anomaly('auth', 'container_memory_working_set_bytes', T0 + MIN, 'up', 0.95),
      ]);
      expect(saturated.events.filter((e) => e.type === 'opened')).toHaveLength(1);
    });

    it('opens at the sample that corroborates, not before', () => {
      const { c, state, events } = run([
        anomaly('auth', 'http_error_ratio', T0, 'up', 0.999),
        anomaly('auth', 'http_error_ratio', T0 + 3 * MIN, 'up', 0.95),
      ]);
      const opened = [...events, ...c.advance(state, T0 + 5 * MIN)].filter(
        (e) => e.type === 'opened',
      );
      expect(opened.map((e) => e.incident.opened_at)).toEqual([T0 + 3 * MIN]);
    });
  });

  describe('learning: a service seen for less than learning_ms opens nothing', () => {
    const DAY = 24 * 60 * MIN;
    const learning = { ...settings, learning_ms: DAY };
    /** Folds with every service first seen at `since`; advances well past the last. */
    const foldSince = (
      anomalies: readonly IncidentAnomaly[],
      since: Readonly<Record<string, number>>,
      cfg: CorrelateSettings = learning,
    ) => {
      const c = new Correlator(graph, cfg);
      const state = emptyCorrelatorState();
      const events = anomalies.flatMap((a) => c.fold(state, a, Infinity, since[a.service]));
      events.push(...c.advance(state, Math.max(...anomalies.map((a) => a.ts)) + 30 * MIN));
      return { events, state };
    };
    const outage = (at: number): IncidentAnomaly[] => [
      anomaly('auth', 'http_error_ratio', at, 'up', 0.999),
      anomaly('auth', 'http_latency_p99_seconds', at + MIN, 'up', 0.999),
      anomaly('routing', 'http_error_ratio', at + MIN, 'up', 0.999),
    ];

    it('an outage on the first day opens nothing; the same a day later opens one', () => {
      const firstDay = foldSince(outage(T0 + 3 * 60 * MIN), { auth: T0, routing: T0 });
      expect(firstDay.events.filter((e) => e.type === 'opened')).toEqual([]);
      const later = foldSince(outage(T0 + DAY + MIN), { auth: T0, routing: T0 });
      expect(later.events.filter((e) => e.type === 'opened')).toHaveLength(1);
      // Off (0), or a service never recorded (seen before it was recorded): it pages at once.
      const off = foldSince(
        outage(T0 + 3 * 60 * MIN),
        { auth: T0 },
        { ...learning, learning_ms: 0 },
      );
      expect(off.events.filter((e) => e.type === 'opened')).toHaveLength(1);
      const unknown = foldSince(outage(T0 + 3 * 60 * MIN), {});
      expect(unknown.events.filter((e) => e.type === 'opened')).toHaveLength(1);
      // And with corroboration off too: the rule before counts no learning anomaly either.
      const loose = foldSince(
        outage(T0 + 3 * 60 * MIN),
        { auth: T0, routing: T0 },
        { ...learning, corroboration: false },
      );
      expect(loose.events.filter((e) => e.type === 'opened')).toEqual([]);
    });

    it('a learning service joins an incident a learned one opened, marked with when it learns', () => {
      // auth has run for days; routing, new this morning, fails beside it.
      const { events, state } = foldSince(outage(T0 + 2 * DAY), {
        auth: T0,
        routing: T0 + 2 * DAY - 60 * MIN,
      });
      const opened = events.filter((e) => e.type === 'opened');
      expect(opened).toHaveLength(1);
      const inc = state.incidents[0];
      expect([...(inc?.services ?? [])].sort()).toEqual(['auth', 'routing']);
      const routing = inc?.timeline.find((x) => x.service === 'routing');
      expect(routing?.learning_until).toBe(T0 + 3 * DAY - 60 * MIN);
      expect(inc?.timeline.find((x) => x.service === 'auth')?.learning_until).toBeUndefined();
      // The public form says it in RFC 3339.
      const json = incidentJson(inc as Incident);
      expect(json.timeline.find((x) => x.service === 'routing')?.learning_until).toBe(
        new Date(T0 + 3 * DAY - 60 * MIN).toISOString(),
      );
    });

    it('a candidate filled with a learning service’s anomalies still opens on a learned one’s outage', () => {
      // auth, new, is noisy on its first day: more anomalies than the timeline keeps (200),
      // a minute apart; then storage (learned, auth's dependency) fails.
      const at = T0 + 2 * DAY;
      const noise = Array.from({ length: 300 }, (_, i) =>
        anomaly('auth', 'http_error_ratio', at - 300 * MIN + i * MIN, 'up', 0.95),
      );
      const outage = [
        anomaly('storage', 'http_error_ratio', at, 'up', 0.999),
        anomaly('storage', 'http_latency_p99_seconds', at + MIN, 'up', 0.999),
        anomaly('storage', 'http_error_ratio', at + 2 * MIN, 'up', 0.999),
      ];
      const { events } = foldSince([...noise, ...outage], {
        auth: at - 301 * MIN,
        storage: T0,
      });
      const opened = events.filter((e) => e.type === 'opened');
      expect(opened).toHaveLength(1);
      const timeline = opened[0]?.incident.timeline ?? [];
      expect(timeline).toHaveLength(200);
      expect(timeline.filter((x) => x.service === 'storage')).toHaveLength(3);
    });

    it('a candidate of learning anomalies only is dropped, not opened when learning ends', () => {
      const end = T0 + DAY;
      const { events, state } = foldSince(
        [
          anomaly('auth', 'http_error_ratio', end - 2 * MIN, 'up', 0.999),
          anomaly('auth', 'http_error_ratio', end - MIN, 'up', 0.999),
          // One sample after learning ends: alone, it is a single sample.
          anomaly('auth', 'http_latency_p99_seconds', end + SEC, 'up', 0.999),
        ],
        { auth: T0 },
      );
      expect(events.filter((e) => e.type === 'opened')).toEqual([]);
      expect(state.incidents).toEqual([]);
    });
  });

  it('an unrelated service at the same time is a separate incident', () => {
    const { c, state } = run([
      ...STORY(),
      anomaly('ledger', 'http_error_ratio', T0 + 20 * SEC),
      anomaly('billing', 'http_error_ratio', T0 + 40 * SEC),
    ]);
    c.advance(state, T0 + 3 * MIN);
    const byRoot = state.incidents.map((i) => [i.root_cause?.service, [...i.services].sort()]);
    expect(byRoot).toEqual([
      ['auth', ['auth', 'routing', 'storage']],
      ['ledger', ['billing', 'ledger']],
    ]);
  });

  it('errors or latency below normal are left out of incidents', () => {
    const { c, state } = run([
      anomaly('ledger', 'http_error_ratio', T0, 'down', 0.999),
      anomaly('billing', 'http_latency_p99_seconds', T0, 'down', 0.999),
    ]);
    c.advance(state, T0 + 30 * MIN);
    expect(state.incidents).toEqual([]);
  });

  it('resolves after quiet_ms without anomalies; a re-firing within flap_hold_ms reopens it', () => {
    const { c, state } = run(STORY());
    const resolved = c.advance(state, T0 + MIN + 16 * MIN);
    expect(resolved.map((e) => e.type)).toEqual(['resolved']);
    const inc = resolved[0]?.incident;
    expect(inc?.resolved_at).toBe(T0 + MIN + 15 * MIN);
    expect(inc?.resolved_by).toBe('quiet');
    const again = c.fold(state, anomaly('auth', 'http_error_ratio', T0 + 20 * MIN));
    expect(again.map((e) => e.type)).toContain('reopened');
    expect(again.find((e) => e.type === 'reopened')?.incident.id).toBe(inc?.id);
    expect(inc?.reopened).toBe(1);
  });

  it('after flap_hold_ms a new anomaly starts a new incident', () => {
    const { c, state } = run(STORY());
    c.advance(state, T0 + 60 * MIN);
    expect(state.incidents).toEqual([]);
    c.fold(state, anomaly('auth', 'http_error_ratio', T0 + 61 * MIN));
    expect(state.incidents[0]?.status).toBe('candidate');
  });

  it('an incident open longer than max_incident_ms is resolved; new anomalies start another', () => {
    const cfg = { ...settings, max_incident_ms: 30 * MIN };
    const c = new Correlator(graph, cfg);
    const state = emptyCorrelatorState();
    const events: IncidentEvent[] = [];
    // auth keeps failing, one anomaly every 5 min, for an hour.
    for (let m = 0; m <= 60; m += 5) {
      events.push(...c.fold(state, anomaly('auth', 'http_error_ratio', T0 + m * MIN, 'up', 0.995)));
    }
    const types = events.filter((e) => e.type !== 'updated').map((e) => e.type);
    // Each opens once auth's errors come again 5 min later (a second sample time), critical
    // at once: the errors lasted that long.
    expect(types).toEqual(['opened', 'resolved', 'opened']);
    const split = events.find((e) => e.type === 'resolved')?.incident;
    expect(split?.resolved_by).toBe('max_length');
    // Nothing after the split joined the split incident; the next one starts with the first
    // anomaly from the split on (here the one at the very time of the split).
    expect(split?.last_ts).toBeLessThanOrEqual(split?.resolved_at ?? 0);
    const next = events.filter((e) => e.type === 'opened')[1]?.incident;
    expect(next?.id).not.toBe(split?.id);
    expect(next?.first_ts).toBeGreaterThanOrEqual(split?.resolved_at ?? Infinity);
  });

  it('acknowledging an open incident marks it once, with an event; a reopening clears it', () => {
    const { c, state } = run(STORY());
    const id = state.incidents[0]?.id ?? '';
    const events = c.acknowledge(state, id, 'alice', T0 + 3 * MIN);
    expect(events.map((e) => e.type)).toEqual(['acknowledged']);
    expect(state.incidents[0]).toMatchObject({ acknowledged_by: 'alice', status: 'open' });
    expect(c.acknowledge(state, id, 'bob', T0 + 4 * MIN)).toEqual([]);
    expect(c.acknowledge(state, 'inc-unknown', 'bob', T0 + 4 * MIN)).toEqual([]);
    c.advance(state, T0 + 17 * MIN);
    c.fold(state, anomaly('auth', 'http_error_ratio', T0 + 20 * MIN));
    expect(state.incidents[0]).toMatchObject({ status: 'open', acknowledged_by: null });
  });

  it('a redelivered anomaly beyond the kept timeline, or after its incident left, changes nothing', () => {
    const cfg = { ...settings, max_timeline: 3 };
    const story = [...STORY(), anomaly('routing', 'http_latency_p99_seconds', T0 + 70 * SEC)];
    const { c, state } = run(story, cfg);
    expect(state.incidents[0]?.anomaly_count).toBe(5);
    expect(state.incidents[0]?.timeline).toHaveLength(3);
    expect(c.fold(state, story[4] as IncidentAnomaly)).toEqual([]);
    expect(state.incidents[0]?.anomaly_count).toBe(5);
    // Resolved and past its flap hold, the incident leaves the working set; a late redelivery
    // of its first anomaly does not open a new one.
    c.advance(state, T0 + 40 * MIN);
    expect(state.incidents).toEqual([]);
    expect(c.fold(state, story[0] as IncidentAnomaly)).toEqual([]);
    expect(state.incidents).toEqual([]);
  });

  it('a retried anomaly (same id) changes nothing', () => {
    const story = STORY();
    const { c, state } = run(story);
    const before = JSON.stringify(state);
    expect(c.fold(state, story[1] as IncidentAnomaly)).toEqual([]);
    expect(JSON.stringify(state)).toBe(before);
  });

  it('grouping labels join services the graph does not connect', () => {
    const cfg = { ...settings, grouping_labels: ['cluster'] };
    const { c, state } = run(
      [
        anomaly('ledger', 'http_error_ratio', T0, 'up', 0.95, { cluster: 'eu-1' }),
        anomaly('storage', 'http_error_ratio', T0 + 10 * SEC, 'up', 0.95, { cluster: 'eu-1' }),
      ],
      cfg,
    );
    c.advance(state, T0 + 2 * MIN);
    expect(state.incidents).toHaveLength(1);
    expect([...(state.incidents[0]?.services ?? [])].sort()).toEqual(['ledger', 'storage']);
  });

  it('is deterministic: the same anomalies give the same state', () => {
    const a = run(STORY());
    const b = run(STORY().map((x, i) => ({ ...x, id: `a${i}` })));
    const c = run(STORY().map((x, i) => ({ ...x, id: `a${i}` })));
    expect(JSON.stringify(b.state)).toBe(JSON.stringify(c.state));
    expect(a.state.incidents).toHaveLength(1);
  });
});

describe('without a graph: services the graph does not name group by time alone', () => {
  const none = serviceGraph({});
  const foldAllOf = (
    g: typeof none,
    anomalies: readonly IncidentAnomaly[],
  ): { events: IncidentEvent[]; state: CorrelatorState } => {
    const c = new Correlator(g, settings);
    const state = emptyCorrelatorState();
    const events = anomalies.flatMap((a) => c.fold(state, a));
    events.push(...c.advance(state, Math.max(...anomalies.map((a) => a.ts)) + 5 * MIN));
    return { events, state };
  };
  const cascade = (): IncidentAnomaly[] => [
    anomaly('auth', 'http_error_ratio', T0, 'up', 0.999),
    anomaly('auth', 'http_error_ratio', T0 + MIN, 'up', 0.999),
    anomaly('routing', 'http_error_ratio', T0 + 2 * MIN, 'up', 0.99),
    anomaly('routing', 'http_latency_p99_seconds', T0 + 3 * MIN, 'up', 0.99),
    anomaly('mailbox', 'http_error_ratio', T0 + 4 * MIN, 'up', 0.95),
  ];

  it('a cascade over services no graph names is one incident, the first to fail its root cause', () => {
    const { events } = foldAllOf(none, cascade());
    const opened = events.filter((e) => e.type === 'opened');
    expect(opened).toHaveLength(1);
    expect([...(opened[0]?.incident.services ?? [])].sort()).toEqual([
      'auth',
      'mailbox',
      'routing',
    ]);
    expect(opened[0]?.incident.root_cause?.service).toBe('auth');
  });

  it('a bystander that blipped first is not the root cause: its own anomalies corroborate nothing', () => {
    const { events } = foldAllOf(none, [
      anomaly('billing', 'http_error_ratio', T0 - 30 * SEC, 'up', 0.999),
      ...cascade(),
    ]);
    const opened = events.filter((e) => e.type === 'opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.incident.services).toContain('billing');
    expect(opened[0]?.incident.root_cause?.service).toBe('auth');
  });

  it('single anomalies of several services do not corroborate each other', () => {
    const { events, state } = foldAllOf(none, [
      anomaly('auth', 'http_error_ratio', T0, 'up', 0.999),
      anomaly('routing', 'http_error_ratio', T0 + MIN, 'up', 0.999),
      anomaly('mailbox', 'http_latency_p99_seconds', T0 + 2 * MIN, 'up', 0.999),
    ]);
    expect(events.filter((e) => e.type === 'opened')).toEqual([]);
    // One candidate, all three grouped, waiting to be dropped.
    expect(state.incidents.map((i) => i.services.length)).toEqual([3]);
  });

  it('services grouped by time stay apart as evidence when a discovered edge later names one', () => {
    // Together, these would corroborate (two series, two sample times); apart, each is a blip.
    const c = new Correlator(none, settings);
    const state = emptyCorrelatorState();
    c.fold(state, anomaly('auth', 'http_error_ratio', T0, 'up', 0.999));
    c.fold(state, anomaly('routing', 'http_error_ratio', T0 + MIN, 'up', 0.999));
    expect(state.incidents.map((i) => i.services)).toEqual([['auth', 'routing']]);
    // routing turns up in a discovered edge (to a service not in the incident); auth does not.
    c.setGraph(serviceGraph({}, [{ from: 'routing', to: 'storage' }]));
    const events = c.advance(state, T0 + 5 * MIN);
    expect(events.filter((e) => e.type === 'opened')).toEqual([]);
  });

  it('time alone groups only within window_ms of the onset, and never services the graph names', () => {
    const late = foldAllOf(none, [
      ...cascade(),
      anomaly('ledger', 'http_error_ratio', T0 + 11 * MIN, 'up', 0.99),
      anomaly('ledger', 'http_latency_p99_seconds', T0 + 12 * MIN, 'up', 0.99),
    ]);
    const opened = late.events.filter((e) => e.type === 'opened');
    expect(opened.map((e) => e.incident.services.includes('ledger'))).toEqual([false, true]);
    // The graph names auth and storage (and no edge between them and billing): no time join.
    const named = foldAllOf(
      serviceGraph({ auth: { depends_on: [] }, storage: { depends_on: [] } }),
      [
        anomaly('auth', 'http_error_ratio', T0, 'up', 0.999),
        anomaly('auth', 'http_error_ratio', T0 + MIN, 'up', 0.999),
        anomaly('storage', 'http_error_ratio', T0 + MIN, 'up', 0.999),
        anomaly('storage', 'http_error_ratio', T0 + 2 * MIN, 'up', 0.999),
      ],
    );
    expect(named.events.filter((e) => e.type === 'opened')).toHaveLength(2);
  });
});

describe('discovered dependency edges (OpenTelemetry service-graph metrics)', () => {
  it.each([
    ['traces_service_graph_request_total', { client: 'routing', server: 'auth' }, 'routing>auth'],
    ['traces_service_graph_request_failed_total', { client: 'a', server: 'b' }, 'a>b'],
    [
      'traces_service_graph_request_server_seconds_bucket',
      { client: 'a', server: 'b', le: '1' },
      'a>b',
    ],
    ['traces_service_graph_request_client_seconds_sum', { client: 'a', server: 'b' }, 'a>b'],
    ['traces_service_graph_request_total', { client: 'a', server: 'a' }, undefined],
    ['traces_service_graph_request_total', { client: 'a' }, undefined],
    ['http_requests_total', { client: 'a', server: 'b' }, undefined],
  ] as const)('%s %j -> %s', (metric, labels, expected) => {
    const e = edgeFromSeries({ metric, labels });
    expect(e && `${e.from}>${e.to}`).toBe(expected);
  });

  it('configured edges win: a discovered duplicate or reverse edge is ignored, new ones are added and marked', () => {
    const g = serviceGraph({ auth: { depends_on: ['storage'] }, storage: { depends_on: [] } }, [
      { from: 'auth', to: 'storage' },
      { from: 'storage', to: 'auth' },
      { from: 'routing', to: 'auth' },
    ]);
    expect(g.edges).toEqual([
      { from: 'auth', to: 'storage', source: 'configured' },
      { from: 'routing', to: 'auth', source: 'discovered' },
    ]);
    expect(g.dependents('auth')).toEqual(['routing']);
    expect(g.services).toContain('routing');
  });

  it('an incident over discovered edges names them as discovered in its explanation', () => {
    const bare = serviceGraph(
      { auth: { depends_on: [] }, routing: { depends_on: [] }, storage: { depends_on: [] } },
      [
        { from: 'auth', to: 'storage' },
        { from: 'routing', to: 'auth' },
        { from: 'routing', to: 'storage' },
      ],
    );
    const c = new Correlator(bare, settings);
    const state = emptyCorrelatorState();
    const events = STORY().flatMap((a) => c.fold(state, a));
    events.push(...c.advance(state, T0 + 2 * MIN));
    const inc = events.find((e) => e.type === 'opened')?.incident;
    expect(inc?.root_cause?.service).toBe('auth');
    expect(inc?.explanation?.dependency_edges).toContainEqual({
      from: 'routing',
      to: 'auth',
      source: 'discovered',
    });
  });
});
