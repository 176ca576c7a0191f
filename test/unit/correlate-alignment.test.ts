/**
 * Issue 17: an incident pages on its best evidence and its record never contradicts itself.
 * - Alignment in event time: a candidate is decided only once every pipeline has delivered the
 *   anomalies stamped up to its deadline (`through`); a log bucket's anomaly is stamped at the
 *   bucket's end (the log stage's one-bucket lag); replay is aligned by construction.
 * - `explanation_at_open` (what the page said) vs `explanation` (current, agrees with
 *   root_cause and candidates).
 * - Severity by impact, raised (never lowered) while the incident lives.
 */
import { describe, expect, it } from 'vitest';
import { serviceGraph } from '../../src/correlate/graph.js';
import { foldAll, toIncidentAnomaly } from '../../src/correlate/fold-all.js';
import { frozenLabels, incidentJson } from '../../src/correlate/incident-json.js';
import {
  Correlator,
  emptyCorrelatorState,
  type CorrelateSettings,
  type Incident,
  type IncidentAnomaly,
  type IncidentEvent,
} from '../../src/correlate/incidents.js';
import { HOLD_MAX_MS, throughOf } from '../../src/correlate/correlate-worker.js';
import { leadText } from '../../src/correlate/leading-log.js';
import { DEMO_SERVICES } from '../../src/demo/demo-story.js';
import {
  anomalyEvent,
  DEMO_AUTH_TEMPLATE,
  demoStoryAnomalies,
  logAnomalyEvent,
} from '../helpers/story.js';

const SEC = 1000;
const MIN = 60 * SEC;
/** Auth's first failing metric sample in the demo story (a whole minute). */
const T = Date.UTC(2026, 11, 1, 7, 57);

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
  log_bucket_ms: MIN,
};
const graph = serviceGraph(DEMO_SERVICES);
const correlator = (cfg: CorrelateSettings = settings) => new Correlator(graph, cfg);

const demo = (): IncidentAnomaly[] => demoStoryAnomalies(T).map(toIncidentAnomaly);
const LEAD_TEXT = `auth logged a new error 2 min before failing: "${DEMO_AUTH_TEMPLATE}"`;

function only<T>(xs: readonly T[]): T {
  expect(xs).toHaveLength(1);
  return xs[0] as T;
}
const opened = (events: readonly IncidentEvent[]): Incident[] =>
  events.filter((e) => e.type === 'opened').map((e) => e.incident);

describe('alignment in event time: the page waits for the evidence stamped before it', () => {
  // The live order of the demo: the metrics first, the log stage (slower) behind them.
  const story = demo();
  const logs = story.filter((a) => a.kind === 'log' && a.service === 'auth');
  const rest = story.filter((a) => !logs.includes(a));
  const deadline = T + settings.settle_ms; // the candidate appeared with auth's metrics at T

  it("the leading log anomaly arriving 0.4 s after the metric settle deadline still makes the opening's explanation", () => {
    const c = correlator();
    const state = emptyCorrelatorState();
    const events: IncidentEvent[] = [];
    // Each job applies its own change first, deciding nothing (the live worker's first phase).
    for (const a of rest.filter((x) => x.ts <= deadline))
      events.push(...c.fold(state, a, -Infinity));
    expect(c.awaiting(state)).toBeNull();
    // 0.4 s past the deadline the log stage still holds auth's lines from 115 s before T.
    events.push(...c.advance(state, deadline + 400, -Infinity));
    expect(c.awaiting(state)).toBe(T);
    const logsBehind = T - 115 * SEC;
    events.push(...c.advance(state, deadline + 400, Math.min(state.now, logsBehind)));
    expect(opened(events)).toEqual([]);
    // Its anomalies arrive now, and the log stage is caught up.
    for (const a of logs) events.push(...c.fold(state, a, -Infinity));
    events.push(...c.advance(state, deadline + 400, deadline + 400));
    const inc = only(opened(events));
    expect(inc.opened_at).toBe(deadline);
    expect(inc.root_cause).toMatchObject({ service: 'auth', signal: 'log_new_template' });
    const atOpen = incidentJson(inc).explanation_at_open;
    expect(atOpen?.leading_log?.text).toBe(LEAD_TEXT);
    expect(atOpen?.leading_log).toMatchObject({
      signal: 'log_new_template',
      template: DEMO_AUTH_TEMPLATE,
      metric_signal: 'http_error_ratio',
      lead_ms: 115 * SEC,
    });
    expect(atOpen?.why[0]).toMatch(/first to turn anomalous \(log_new_template at 07:55:05\)/);
    expect(atOpen?.anomalies.map((a) => a.signal)).toContain('log_new_template');
  });

  it('without alignment (the state time alone) the page goes out on the metrics; the log then updates the current explanation, not the page', () => {
    const c = correlator();
    const state = emptyCorrelatorState();
    const events: IncidentEvent[] = [];
    for (const a of rest.filter((x) => x.ts <= deadline)) events.push(...c.fold(state, a));
    events.push(...c.advance(state, deadline + 400));
    const inc = only(opened(events));
    expect(inc.root_cause?.signal).toMatch(/^http_/);
    for (const a of logs) events.push(...c.fold(state, a));
    // One page: the late logs make updates, never a second opening.
    expect(opened(events)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'updated').length).toBeGreaterThan(0);
    const json = incidentJson(inc);
    // Frozen at opening: what the page said.
    expect(json.explanation_at_open?.leading_log).toBeNull();
    expect(json.explanation_at_open?.why[0]).toMatch(/first to turn anomalous \(http_/);
    // Current: agrees with the root cause and candidates it sits beside.
    expect(json.root_cause?.signal).toBe('log_new_template');
    expect(json.explanation?.root_cause).toBe(json.root_cause?.service);
    expect(json.explanation?.why).toEqual(json.candidates[0]?.reasons);
    expect(json.explanation?.leading_log?.text).toBe(LEAD_TEXT);
    expect(json.explanation?.anomalies).toHaveLength(json.timeline.length);
    // Alertmanager's identity does not move.
    expect(frozenLabels(inc)).toEqual({ root_cause: 'auth', severity: 'critical' });
  });

  it("replay is aligned by construction: in event-time order auth's logs open it before its metrics fail, and the metrics update it", () => {
    const incidents = foldAll(correlator(), [...demoStoryAnomalies(T)].reverse());
    const inc = only(incidents);
    const json = incidentJson(inc);
    // Two log anomalies a minute apart qualify it a settle time after the first.
    expect(json.opened_at).toBe(new Date(T - 115 * SEC + MIN).toISOString());
    expect(json.explanation_at_open?.leading_log?.text).toBe(
      `auth logged a new error: "${DEMO_AUTH_TEMPLATE}"`,
    );
    expect(json.explanation_at_open?.severity).toBe('warning');
    // Once the metrics failed: the lead, and three services make it critical.
    expect(json.explanation?.leading_log?.text).toBe(LEAD_TEXT);
    expect(json.severity).toBe('critical');
    expect(json.severity_raised_at).toBe(new Date(T + MIN).toISOString());
  });

  it("a log bucket's rise is stamped at the bucket's end: the bucket the incident began in has ended by the deadline (settle_ms = bucket_ms), so its late rise is in the page; the next bucket's is an update", () => {
    const c = correlator();
    const state = emptyCorrelatorState();
    const events: IncidentEvent[] = [];
    const first = T + 5 * SEC;
    const metric = (signal: string, ts: number) =>
      toIncidentAnomaly(anomalyEvent('auth', signal, ts, 0.9, 0.2, 1));
    events.push(...c.fold(state, metric('http_error_ratio', first), -Infinity));
    events.push(...c.fold(state, metric('http_latency_p99_seconds', first + 1), -Infinity));
    const deadline = first + MIN;
    // The log stage is still on the bucket [T, T + 1 min): its rise is stamped T + 1 min.
    events.push(...c.advance(state, deadline + 400, T + 50 * SEC));
    expect(opened(events)).toEqual([]);
    const rise = (ts: number, value: number) =>
      toIncidentAnomaly(logAnomalyEvent('auth', 'log_error_ratio', ts, { value }));
    events.push(...c.fold(state, rise(T + MIN, 0.5), -Infinity));
    events.push(...c.advance(state, deadline + 400, deadline + 400));
    const inc = only(opened(events));
    expect(inc.explanation_at_open?.anomalies.map((a) => a.ts)).toContain(T + MIN);
    // The bucket holding the deadline ends after it: its rise updates the incident.
    const later = c.fold(state, rise(T + 2 * MIN, 0.7));
    expect(later.map((e) => e.type)).toEqual(['updated']);
    expect(inc.explanation_at_open?.anomalies.map((a) => a.ts)).not.toContain(T + 2 * MIN);
    expect(inc.explanation?.anomalies.map((a) => a.ts)).toContain(T + 2 * MIN);
  });

  it('a candidate that never qualifies is dropped only once the pipelines are past its window too', () => {
    const c = correlator();
    const state = emptyCorrelatorState();
    c.fold(state, toIncidentAnomaly(anomalyEvent('auth', 'http_error_ratio', T, 0.3, 0.01, 0.95)));
    const late = T + 11 * MIN;
    expect(c.advance(state, late, T)).toEqual([]);
    expect(c.awaiting(state)).toBe(T);
    expect(c.advance(state, late, late).map((e) => e.type)).toEqual(['dropped']);
  });
});

describe('the live bound on `through` (correlate-worker.ts)', () => {
  const live = { ...emptyCorrelatorState(), watermark: T, now: T + 2 * MIN };
  it('never past the state time, nor the wall clock less the lateness while the data is live', () => {
    expect(throughOf(live, T + 2 * MIN + 5 * SEC, 15 * SEC, undefined, false)).toBe(
      T + 2 * MIN - 10 * SEC,
    );
    expect(throughOf(live, T + 10 * MIN, 15 * SEC, undefined, false)).toBe(T + 2 * MIN);
  });
  it('held back by what a queue still holds, until the hold has lasted HOLD_MAX_MS', () => {
    const behind = { queue: 'logs.3', ts: T - MIN };
    expect(throughOf(live, T + 10 * MIN, 15 * SEC, behind, false)).toBe(T - MIN);
    expect(throughOf(live, T + 10 * MIN, 15 * SEC, behind, true)).toBe(T + 2 * MIN);
    expect(HOLD_MAX_MS).toBe(MIN);
  });
  it('a backfill (hours old) is bounded by its own time and the queues only', () => {
    const old = { ...live, watermark: T - 5 * 60 * MIN, now: T - 5 * 60 * MIN };
    expect(throughOf(old, T, 15 * SEC, undefined, false)).toBe(T - 5 * 60 * MIN);
  });
});

describe('severity by impact', () => {
  const a = (service: string, signal: string, ts: number, score = 0.95, down = false) =>
    toIncidentAnomaly(anomalyEvent(service, signal, ts, down ? 0.5 : 2, 1, score));
  const run = (anomalies: IncidentAnomaly[], c = correlator()) => {
    const state = emptyCorrelatorState();
    const events = anomalies.flatMap((x) => c.fold(state, x));
    events.push(...c.advance(state, Math.max(...anomalies.map((x) => x.ts)) + 2 * MIN));
    return { events, state, c, inc: state.incidents[0] };
  };

  it("the quick start's lone spike opens nothing; confirmed by the next sample, a warning, not a critical incident", () => {
    expect(run([a('auth', 'login_errors', T, 0.9999)]).inc?.status).toBe('candidate');
    const { inc } = run([
      a('auth', 'login_errors', T, 0.9999),
      a('auth', 'login_errors', T + 10 * SEC, 0.9999),
    ]);
    expect(inc?.status).toBe('open');
    expect(inc && incidentJson(inc).severity).toBe('warning');
    expect(inc?.explanation?.severity_reason).toMatch(/^warning: only auth/);
    expect(inc && frozenLabels(inc).severity).toBe('warning');
  });

  it('several services: critical', () => {
    const { inc } = run([
      a('auth', 'http_error_ratio', T),
      a('routing', 'http_error_ratio', T + 5 * SEC),
    ]);
    expect(inc?.severity).toBe('critical');
    expect(inc?.explanation?.severity_reason).toBe(
      'critical: 2 services are affected (auth and routing)',
    );
  });

  it('one service whose users feel it for a minute or more (errors, latency, availability): critical', () => {
    const errors = run([
      a('auth', 'http_error_ratio', T),
      a('auth', 'http_latency_p99_seconds', T + MIN),
    ]);
    expect(errors.inc?.severity).toBe('critical');
    expect(errors.inc?.explanation?.severity_reason).toBe(
      "critical: auth's http_error_ratio and http_latency_p99_seconds were beyond their bands from 07:57:00 to 07:58:00 (60 s)",
    );
    const availability = run([
      a('auth', 'login_success_ratio', T, 0.995, true),
      a('auth', 'login_success_ratio', T + 2 * MIN, 0.995, true),
    ]);
    expect(availability.inc?.severity).toBe('critical');
  });

  it('under a minute, signals users do not feel, or logs: a warning', () => {
    const brief = run([
      a('auth', 'http_error_ratio', T),
      a('auth', 'http_latency_p99_seconds', T + 30 * SEC),
    ]);
    expect(brief.inc?.severity).toBe('warning');
    // Signals of no known kind need two series to open (one severe series is not enough).
    const internal = run([
      a('auth', 'queue_depth', T, 0.999),
      a('auth', 'worker_busy', T + 5 * MIN, 0.999),
    ]);
    expect(internal.inc?.severity).toBe('warning');
    const logs = run([
      toIncidentAnomaly(logAnomalyEvent('auth', 'log_error_ratio', T, { value: 0.4 })),
      toIncidentAnomaly(logAnomalyEvent('auth', 'log_error_ratio', T + 3 * MIN, { value: 0.5 })),
      a('auth', 'http_error_ratio', T + 3 * MIN, 0.999),
    ]);
    expect(logs.inc?.severity).toBe('warning');
  });

  it('availability above normal is nothing failing: left out', () => {
    const { state } = run([a('auth', 'login_success_ratio', T, 0.9999)]);
    expect(state.incidents).toEqual([]);
  });

  it('a warning that becomes critical is raised once (a `raised` event), never lowered; the page at opening keeps its severity', () => {
    const c = correlator();
    const state = emptyCorrelatorState();
    const events = c.fold(state, a('auth', 'http_error_ratio', T, 0.9999));
    events.push(...c.fold(state, a('auth', 'http_error_ratio', T + 10 * SEC, 0.9999)));
    events.push(...c.advance(state, T + MIN + 1));
    const inc = state.incidents[0] as Incident;
    expect(inc.severity).toBe('warning');
    // Still failing 90 s on: users have felt it for over a minute.
    const more = c.fold(state, a('auth', 'http_latency_p99_seconds', T + 90 * SEC));
    expect(more.map((e) => e.type)).toEqual(['updated', 'raised']);
    expect(inc.severity).toBe('critical');
    expect(inc.raised_at).toBe(T + 90 * SEC);
    expect(frozenLabels(inc)).toEqual({ root_cause: 'auth', severity: 'critical' });
    const json = incidentJson(inc);
    expect(json.explanation_at_open?.severity).toBe('warning');
    expect(json.explanation?.severity).toBe('critical');
    expect(json.severity_raised_at).toBe(new Date(T + 90 * SEC).toISOString());
    // Later evidence neither raises it again nor lowers it.
    const again = c.fold(state, a('routing', 'http_error_ratio', T + 2 * MIN));
    expect(again.map((e) => e.type)).toEqual(['updated']);
    expect(inc.severity).toBe('critical');
  });

  it('a reopening pages with the severity it has then: no separate raise', () => {
    const c = correlator();
    const state = emptyCorrelatorState();
    c.fold(state, a('auth', 'http_error_ratio', T, 0.9999));
    c.fold(state, a('auth', 'http_error_ratio', T + 10 * SEC, 0.9999));
    c.advance(state, T + 2 * MIN);
    const inc = state.incidents[0] as Incident;
    expect(inc.severity).toBe('warning');
    c.advance(state, T + 20 * MIN);
    expect(inc.status).toBe('resolved');
    const events = c.fold(state, a('routing', 'http_error_ratio', T + 21 * MIN));
    expect(events.map((e) => e.type)).toEqual(['reopened', 'updated']);
    expect(inc.severity).toBe('critical');
  });
});

describe('the lead, as people say it', () => {
  it.each([
    [48 * SEC, '48 s'],
    [89 * SEC, '89 s'],
    [115 * SEC, '2 min'],
    [7 * MIN + 10 * SEC, '7 min'],
  ])('%d ms: %s', (ms, text) => {
    expect(leadText(ms)).toBe(text);
  });
});
