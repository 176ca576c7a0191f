/**
 * The public form of an incident (replay's incidents.json, the API): times as RFC 3339, the
 * root cause with its confidence, ranked candidates with their reasons, the services, the
 * timeline of anomalies and the explanation frozen at opening.
 */
import type { IncidentJson } from '../queues/contract.js';
import { isSevere, type Incident } from './incidents.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * `critical` when the incident spans several services or any metric anomaly is severe (score
 * 0.99 or more), `warning` otherwise.
 */
export function severityOf(inc: Incident): 'critical' | 'warning' {
  return inc.services.length > 1 || inc.timeline.some((a) => isSevere(a, 0.99))
    ? 'critical'
    : 'warning';
}

/**
 * The labels an incident keeps for its whole life (Alertmanager and Prometheus identify an
 * alert by its labels: a label that changed would page again): the root cause and severity as
 * frozen when it opened.
 */
export function frozenLabels(inc: Incident): {
  root_cause: string;
  severity: 'critical' | 'warning';
} {
  const e = inc.explanation;
  if (!e) return { root_cause: inc.root_cause?.service ?? 'unknown', severity: severityOf(inc) };
  const services = new Set(e.anomalies.map((a) => a.service));
  const severe = services.size > 1 || e.anomalies.some((a) => a.score >= 0.99);
  return { root_cause: e.root_cause || 'unknown', severity: severe ? 'critical' : 'warning' };
}

export function incidentJson(inc: Incident): IncidentJson {
  return {
    id: inc.id,
    status: inc.status === 'open' && inc.acknowledged_at !== null ? 'acknowledged' : inc.status,
    severity: severityOf(inc),
    opened_at: iso(inc.opened_at),
    resolved_at: iso(inc.resolved_at),
    resolved_by: inc.resolved_by,
    reopened: inc.reopened,
    acknowledged_at: iso(inc.acknowledged_at),
    acknowledged_by: inc.acknowledged_by,
    root_cause: inc.root_cause,
    candidates: inc.candidates.map((c) => ({
      service: c.service,
      signal: c.signal,
      confidence: r3(c.confidence),
      reasons: c.reasons,
    })),
    services: inc.services,
    anomaly_count: inc.anomaly_count,
    timeline: inc.timeline.map((a) => ({
      ts: iso(a.ts),
      service: a.service,
      signal: a.signal,
      series: a.series,
      value: a.value,
      expected: a.expected,
      lower: a.lower,
      upper: a.upper,
      score: r3(a.score),
      detector: a.detector,
      ...(a.kind === 'log' ? { kind: a.kind } : {}),
      ...(a.level === undefined ? {} : { level: a.level }),
      ...(a.template === undefined ? {} : { template: a.template }),
      ...(a.examples === undefined ? {} : { examples: a.examples }),
    })),
    explanation: inc.explanation && {
      ...inc.explanation,
      frozen_at: iso(inc.explanation.frozen_at),
      anomalies: inc.explanation.anomalies.map((a) => ({
        ...a,
        ts: iso(a.ts),
        score: r3(a.score),
      })),
    },
  };
}
