/**
 * Incidents as Alertmanager API v2 alerts (pure). One alert per incident, labels
 * `alertname="AiopsIncident"`, `incident`, `root_cause`, `severity`, `service` (the root cause),
 * so Alertmanager's fingerprint is the incident's: re-sending never makes a second page. An
 * open incident is sent with `endsAt` four resend intervals ahead (as Prometheus does), a
 * resolved one with `endsAt` at its resolution; resolved incidents are re-sent for
 * `resolved_resend_ms` so an Alertmanager that restarted still learns of the resolve.
 *
 * The labels are frozen at opening (frozenLabels); the annotations carry the current
 * explanation (root cause, why, the leading log line, severity), so later evidence updates the
 * alert without a second page. The one label that may change is `severity`, once, from warning
 * to critical: the critical alert is new to Alertmanager and pages through its critical route,
 * and the warning alert is sent ended at the moment of the raise (for `resolved_resend_ms`).
 */
import { incidentLink } from './incident-link.js';
import { frozenLabels, incidentSummary } from '../correlate/incident-json.js';
import type { Incident } from '../correlate/incidents.js';

export interface AlertmanagerAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
}

export interface AlertSettings {
  /** Base URL of the worker as on-call can reach it (the explanation's link). */
  readonly external_url: string;
  readonly runbook_url?: string | undefined;
  readonly resend_ms: number;
  readonly resolved_resend_ms: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const clock = (ms: number): string => iso(ms).slice(11, 19);

export function incidentAlert(inc: Incident, now: number, s: AlertSettings): AlertmanagerAlert {
  const root = inc.root_cause;
  const affected = inc.services.filter((x) => x !== root?.service);
  const top = inc.candidates[0];
  const e = inc.explanation;
  const timeline = inc.timeline
    .slice(0, 10)
    .map((a) =>
      a.template === undefined
        ? `${clock(a.ts)} ${a.service} ${a.signal} ${fmt(a.value)} (expected ${fmt(a.lower)}–${fmt(a.upper)})`
        : `${clock(a.ts)} ${a.service} ${a.signal} ${a.level ?? ''} "${a.template}" ${fmt(a.value)} (expected ${fmt(a.lower)}–${fmt(a.upper)})`,
    );
  const annotations: Record<string, string> = {
    summary: incidentSummary(inc),
    description: [
      `Incident ${inc.id}: root cause ${root?.service ?? '?'} (${root?.signal ?? '?'}).`,
      e?.leading_log ? `${e.leading_log.text}.` : '',
      top ? `Why: ${top.reasons.join('; ')}.` : '',
      affected.length > 0 ? `Affected: ${affected.join(', ')}.` : '',
      e?.severity_reason ? `Severity ${e.severity_reason}.` : '',
      'Timeline:',
      ...timeline,
    ]
      .filter(Boolean)
      .join('\n'),
  };
  if (s.runbook_url) annotations.runbook_url = s.runbook_url;
  const ends = inc.status === 'resolved' ? (inc.resolved_at ?? now) : now + 4 * s.resend_ms;
  // Labels frozen at opening: a re-ranked root cause or a grown severity must not become a
  // second alert (the annotations carry the current view).
  const frozen = frozenLabels(inc);
  return {
    labels: {
      alertname: 'AiopsIncident',
      incident: inc.id,
      root_cause: frozen.root_cause,
      severity: frozen.severity,
      service: frozen.root_cause,
    },
    annotations,
    startsAt: iso(inc.opened_at ?? inc.first_ts),
    endsAt: iso(ends),
    generatorURL: incidentLink(s.external_url, inc.id),
  };
}

/**
 * The warning alert an incident raised to critical leaves behind, ended at the raise: sent for
 * `resolved_resend_ms` after it, so no Alertmanager keeps it firing beside the critical one.
 */
export function raisedFromAlert(
  inc: Incident,
  now: number,
  s: AlertSettings,
): AlertmanagerAlert | undefined {
  const at = inc.raised_at;
  if (at === undefined || at === null || now - at > s.resolved_resend_ms) return undefined;
  const alert = incidentAlert(inc, now, s);
  return {
    ...alert,
    labels: { ...alert.labels, severity: 'warning' },
    endsAt: iso(Math.max(at, inc.opened_at ?? at)),
  };
}

/** The incidents Alertmanager must hear about now: every open one, and those resolved lately. */
export function alertsDue(
  incidents: readonly Incident[],
  now: number,
  s: AlertSettings,
): AlertmanagerAlert[] {
  return incidents
    .filter(
      (i) =>
        i.opened_at !== null &&
        (i.status === 'open' ||
          (i.status === 'resolved' && now - (i.resolved_at ?? 0) <= s.resolved_resend_ms)),
    )
    .flatMap((i) => {
      const ended = raisedFromAlert(i, now, s);
      return ended ? [ended, incidentAlert(i, now, s)] : [incidentAlert(i, now, s)];
    });
}

const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
