/** An open incident in its public form (auth the root cause, routing affected), for tests. */
import type { IncidentJson } from '../../src/queues/contract.js';

export function incidentJsonOf(over: Partial<IncidentJson> = {}): IncidentJson {
  return {
    id: 'inc-1',
    status: 'open',
    severity: 'critical',
    severity_raised_at: null,
    opened_at: '2026-01-06T06:59:00.000Z',
    resolved_at: null,
    resolved_by: null,
    reopened: 0,
    acknowledged_at: null,
    acknowledged_by: null,
    root_cause: { service: 'auth', signal: 'http_error_ratio', confidence: 0.9 },
    candidates: [],
    services: ['auth', 'routing'],
    anomaly_count: 1,
    timeline: [],
    explanation: null,
    explanation_at_open: null,
    ...over,
  };
}
