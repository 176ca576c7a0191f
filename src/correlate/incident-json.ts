/**
 * The public form of an incident (replay's incidents.json, the API, receivers' payloads): times
 * as RFC 3339, the root cause with its confidence, ranked candidates with their reasons, the
 * services, the timeline of anomalies, the current explanation and the one frozen at opening.
 */
import type { IncidentJson, IncidentJsonExplanation } from '../queues/contract.js';
import type { Explanation, Incident } from './incidents.js';
import { storedSeverity, type Severity } from './severity.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The stored rule over an explanation of an incident stored before severity went by impact. */
const storedSeverityOf = (e: Explanation): Severity =>
  storedSeverity(e.anomalies.map((a) => ({ service: a.service, score: a.score })));

/**
 * The severity now: as the incident opened, raised to critical once its evidence made it so
 * (severity.ts; never lowered while it lives).
 */
export function severityOf(inc: Incident): Severity {
  return inc.severity ?? storedSeverity(inc.timeline);
}

/**
 * The labels an incident keeps for its whole life (Alertmanager and Prometheus identify an
 * alert by its labels: a label that changed would page again): the root cause as frozen when it
 * opened, and the severity as it opened, raised once to critical when the evidence says so (a
 * warning that becomes critical pages as critical: notifications.md). Re-ranking never changes
 * them.
 */
export function frozenLabels(inc: Incident): {
  root_cause: string;
  severity: Severity;
} {
  const e = inc.explanation_at_open ?? inc.explanation;
  if (!e) return { root_cause: inc.root_cause?.service ?? 'unknown', severity: severityOf(inc) };
  const severity = inc.severity ?? storedSeverityOf(e);
  return { root_cause: e.root_cause || 'unknown', severity };
}

/**
 * One line for people, the same in every receiver: `auth is the root cause (92%); routing,
 * storage affected`, then the root cause's leading log when it had one (`. auth logged a new
 * error 2 min before failing: "..."`).
 */
export function incidentSummary(inc: {
  readonly root_cause: { readonly service: string; readonly confidence: number } | null;
  readonly services: readonly string[];
  readonly explanation: { readonly leading_log?: { readonly text: string } | null } | null;
}): string {
  const root = inc.root_cause;
  const affected = inc.services.filter((s) => s !== root?.service);
  const lead = inc.explanation?.leading_log?.text;
  return (
    `${root?.service ?? '?'} is the root cause (${Math.round((root?.confidence ?? 0) * 100)}%)` +
    (affected.length > 0 ? `; ${affected.join(', ')} affected` : '') +
    (lead ? `. ${lead}` : '')
  );
}

function explanationJson(e: Explanation): IncidentJsonExplanation {
  const lead = e.leading_log;
  return {
    frozen_at: iso(e.frozen_at),
    root_cause: e.root_cause,
    why: e.why,
    severity: e.severity ?? storedSeverityOf(e),
    severity_reason: e.severity_reason ?? '',
    leading_log: lead
      ? {
          service: lead.service,
          signal: lead.signal,
          ts: iso(lead.ts),
          ...(lead.level === undefined ? {} : { level: lead.level }),
          ...(lead.template === undefined ? {} : { template: lead.template }),
          ...(lead.example === undefined ? {} : { example: lead.example }),
          value: lead.value,
          upper: lead.upper,
          metric_signal: lead.metric_signal,
          metric_ts: iso(lead.metric_ts),
          lead_ms: lead.lead_ms,
          text: lead.text,
        }
      : null,
    dependency_paths: e.dependency_paths,
    dependency_edges: e.dependency_edges,
    anomalies: e.anomalies.map((a) => ({ ...a, ts: iso(a.ts), score: r3(a.score) })),
  };
}

export function incidentJson(inc: Incident): IncidentJson {
  // Stored before explanation_at_open existed: their explanation was frozen at opening.
  const atOpen = inc.explanation_at_open === undefined ? inc.explanation : inc.explanation_at_open;
  return {
    id: inc.id,
    status: inc.status === 'open' && inc.acknowledged_at !== null ? 'acknowledged' : inc.status,
    severity: severityOf(inc),
    severity_raised_at: iso(inc.raised_at ?? null),
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
      ...(a.recurring === true ? { recurring: true as const } : {}),
      ...(a.learning_until === undefined
        ? {}
        : { learning_until: new Date(a.learning_until).toISOString() }),
    })),
    explanation: inc.explanation && explanationJson(inc.explanation),
    explanation_at_open: atOpen ? explanationJson(atOpen) : null,
  };
}
