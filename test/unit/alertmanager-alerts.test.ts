import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { serviceGraph } from '../../src/correlate/graph.js';
import {
  Correlator,
  emptyCorrelatorState,
  type IncidentAnomaly,
} from '../../src/correlate/incidents.js';
import { alertsDue, incidentAlert } from '../../src/notify/alertmanager-alerts.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 6, 6, 58);
const settings = {
  external_url: 'http://worker:9470/',
  resend_ms: MIN,
  resolved_resend_ms: 5 * MIN,
  runbook_url: 'https://runbooks/aiops',
};
const graph = serviceGraph({
  auth: { depends_on: ['storage'] },
  routing: { depends_on: ['auth', 'storage'] },
  storage: { depends_on: [] },
});
const correlator = new Correlator(graph, parseConfig({}).correlate);
const a = (service: string, signal: string, ts: number, down = false): IncidentAnomaly => ({
  id: `${service}-${signal}-${ts}`,
  kind: 'metric',
  series: signal,
  service,
  signal,
  labels: { service },
  ts,
  value: down ? 0.5 : 2,
  expected: 1,
  lower: 0.8,
  upper: 1.2,
  score: 0.95,
  detector: 'ensemble',
});

function story() {
  const state = emptyCorrelatorState();
  for (const x of [
    a('auth', 'http_error_ratio', T0),
    a('auth', 'http_latency_p99_seconds', T0 + 5000),
    a('routing', 'http_error_ratio', T0 + MIN),
    a('storage', 'http_requests_per_second', T0 + MIN, true),
  ]) {
    correlator.fold(state, x);
  }
  correlator.advance(state, T0 + 2 * MIN);
  return state;
}

describe('incidents as Alertmanager alerts', () => {
  it('an open incident: labels name the incident and its root cause, endsAt four resends ahead', () => {
    const inc = story().incidents[0];
    if (!inc) throw new Error('no incident');
    const now = T0 + 3 * MIN;
    const alert = incidentAlert(inc, now, settings);
    expect(alert.labels).toEqual({
      alertname: 'AiopsIncident',
      incident: inc.id,
      root_cause: 'auth',
      severity: 'critical',
      service: 'auth',
    });
    expect(alert.startsAt).toBe(new Date(T0 + MIN).toISOString());
    expect(alert.endsAt).toBe(new Date(now + 4 * MIN).toISOString());
    expect(alert.generatorURL).toBe(`http://worker:9470/incidents/${inc.id}`);
    expect(alert.annotations.summary).toBe(
      'auth is the root cause (90%); routing, storage affected',
    );
    expect(alert.annotations.description).toMatch(/Why: first to turn anomalous/);
    expect(alert.annotations.runbook_url).toBe('https://runbooks/aiops');
  });

  it('labels stay as frozen at opening when the ranking later changes (no second alert)', () => {
    const state = story();
    const inc = state.incidents[0];
    if (!inc) throw new Error('no incident');
    const before = incidentAlert(inc, T0 + 3 * MIN, settings).labels;
    // A failing dependency of auth arrives late: the live ranking now names storage.
    correlator.fold(state, a('storage', 'http_error_ratio', T0 + 2 * MIN));
    correlator.fold(state, a('storage', 'http_latency_p99_seconds', T0 + 2 * MIN + 1000));
    expect(inc.root_cause?.service).toBe('storage');
    expect(incidentAlert(inc, T0 + 4 * MIN, settings).labels).toEqual(before);
  });

  it('resolved: endsAt at the resolution, re-sent for resolved_resend_ms, then no more', () => {
    const state = story();
    correlator.advance(state, T0 + 20 * MIN);
    const inc = state.incidents[0];
    if (!inc) throw new Error('no incident');
    expect(inc.status).toBe('resolved');
    const [alert] = alertsDue([inc], T0 + 20 * MIN, settings);
    expect(alert?.endsAt).toBe(new Date(inc.resolved_at ?? 0).toISOString());
    expect(alertsDue([inc], (inc.resolved_at ?? 0) + 5 * MIN, settings)).toHaveLength(1);
    expect(alertsDue([inc], (inc.resolved_at ?? 0) + 5 * MIN + 1, settings)).toEqual([]);
  });
});
