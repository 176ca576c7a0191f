/**
 * `/incidents/{id}`: the incident explained for a person: the plain-words explanation, the
 * ranked root-cause candidates with their reasons, the timeline with a chart of each anomalous
 * signal around the onset, the log templates that changed with example lines, the dependency
 * path drawn, the remediation hooks and their state, and the feedback given (with a form that
 * sends more, when the admin token is configured).
 */
import { defaultSuppressionPattern } from '../api/feedback.js';
import type { IncidentJson } from '../queues/contract.js';
import { chart, type ChartPoint } from './chart.js';
import { dependencyDrawing } from './dependency-drawing.js';
import { explainIncident, humanSignal } from './explain.js';
import { band, clock, dateTime, num } from './format.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';
import type { SuppressionView } from './status-page.js';

export interface FeedbackView {
  readonly verdict: 'false_positive' | 'true_positive';
  readonly note: string;
  readonly by: string;
  readonly at: string;
  readonly suppression_id: string | null;
}

export interface IncidentView {
  readonly incident: IncidentJson;
  readonly generatedAt: number;
  readonly threshold: number;
  /** Recent points of the incident's anomalous series, by series key. */
  readonly history: ReadonlyMap<string, readonly ChartPoint[]>;
  readonly feedback: readonly FeedbackView[];
  /** Active suppressions made from this incident. */
  readonly suppressions: readonly SuppressionView[];
  /** False when no admin token is configured: the form is not offered. */
  readonly writesEnabled: boolean;
}

const MIN = 60_000;
/** `/incidents/ID` sits one level below the site root (links are relative: see layout.ts). */
const ROOT = '../';
const MAX_CHARTS = 12;

const ms = (t: string | null): number => (t === null ? Number.NaN : Date.parse(t));

function charts(v: IncidentView): SafeHtml {
  const inc = v.incident;
  const metric = inc.timeline.filter((a) => a.kind !== 'log');
  const onset = Math.min(...inc.timeline.map((a) => ms(a.ts)).filter(Number.isFinite));
  const last = Math.max(...inc.timeline.map((a) => ms(a.ts)).filter(Number.isFinite));
  const bySeries = new Map<string, (typeof metric)[number]>();
  for (const a of metric) if (!bySeries.has(a.series)) bySeries.set(a.series, a);
  const shown = [...bySeries.values()].slice(0, MAX_CHARTS);
  if (shown.length === 0) return html`<p class="muted">No metric anomalies.</p>`;
  const from = onset - 30 * MIN;
  const to = Math.max(onset + 30 * MIN, last + 10 * MIN);
  return html`<div class="charts">
      ${shown.map((a) => {
        const points = v.history.get(a.series) ?? [];
        return html`<figure data-series="${a.series}">
          ${chart(points, {
            width: 320,
            height: 80,
            from,
            to,
            threshold: v.threshold,
            title: `${a.series} around the onset`,
            marker: onset,
          })}
          <figcaption>
            <strong>${a.service}</strong> ${humanSignal(a.signal)}: ${num(a.value)} (expected
            ${band(a.lower, a.upper)}) at
            ${clock(a.ts)}${points.length === 0 ? ' · no recent points kept' : ''}
          </figcaption>
        </figure>`;
      })}
    </div>
    ${bySeries.size > MAX_CHARTS ? html`<p class="muted">${bySeries.size - MAX_CHARTS} more series in the timeline below.</p>` : ''}`;
}

function candidates(inc: IncidentJson): SafeHtml {
  if (inc.candidates.length === 0) return html`<p class="muted">No candidates ranked.</p>`;
  return html`<div class="scroll">
    <table id="candidates">
      <thead>
        <tr>
          <th>#</th>
          <th>service</th>
          <th>signal</th>
          <th>confidence</th>
          <th>why</th>
        </tr>
      </thead>
      <tbody>
        ${inc.candidates.map(
          (c, i) =>
            html`<tr>
              <td>${i + 1}</td>
              <td>${c.service}</td>
              <td><code>${c.signal}</code></td>
              <td>${num(c.confidence)}</td>
              <td>${c.reasons.join('; ')}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function timeline(inc: IncidentJson): SafeHtml {
  const rows = [...inc.timeline].sort((a, b) => ms(a.ts) - ms(b.ts));
  return html`<div class="scroll">
      <table id="timeline">
        <thead>
          <tr>
            <th>time (UTC)</th>
            <th>service</th>
            <th>signal</th>
            <th>value</th>
            <th>expected</th>
            <th>score</th>
            <th>detector</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (a) =>
              html`<tr>
                <td>${clock(a.ts)}</td>
                <td>${a.service}</td>
                <td><code>${a.kind === 'log' ? a.signal : a.series}</code></td>
                <td>${a.kind === 'log' ? '' : num(a.value)}</td>
                <td>${a.kind === 'log' ? '' : band(a.lower, a.upper)}</td>
                <td>${num(a.score)}</td>
                <td>${a.detector}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${inc.anomaly_count > rows.length ? html`<p class="muted">${inc.anomaly_count} anomalies in all; the first ${rows.length} are kept.</p>` : ''}`;
}

function logTemplates(inc: IncidentJson): SafeHtml {
  const logs = inc.timeline.filter((a) => a.kind === 'log');
  if (logs.length === 0) return html`<p class="muted">No log template changed.</p>`;
  return html`<div id="log-templates">
    ${logs.map(
      (a) =>
        html`<div class="incident s-degraded">
          <div>
            <strong>${a.service}</strong> ·
            ${a.signal === 'log_new_template' ? 'new template' : humanSignal(a.signal)}${a.level ? html` · ${a.level}` : ''}
            · ${clock(a.ts)}
          </div>
          ${a.template ? html`<pre>${a.template}</pre>` : ''}
          ${
            (a.examples ?? []).length > 0
              ? html`<div class="muted">example${(a.examples ?? []).length > 1 ? 's' : ''}:</div>
                  <pre>${(a.examples ?? []).join('\n')}</pre>`
              : ''
          }
        </div>`,
    )}
  </div>`;
}

function remediations(inc: IncidentJson): SafeHtml {
  const hooks = inc.remediations ?? [];
  if (hooks.length === 0) return html`<p class="muted">No remediation hook matched.</p>`;
  return html`<div class="scroll">
      <table id="remediations">
        <thead>
          <tr>
            <th>hook</th>
            <th>target</th>
            <th>mode</th>
            <th>state</th>
            <th>why</th>
          </tr>
        </thead>
        <tbody>
          ${hooks.map(
            (h) =>
              html`<tr>
                <td>${h.hook}</td>
                <td>${h.target}</td>
                <td>${h.mode}</td>
                <td><strong>${h.state}</strong></td>
                <td>${h.reason ?? ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <p class="muted">
      Approve or reject a pending hook: <code>POST /api/v1/remediations/{id}/approve</code> (see
      docs/remediation.md).
    </p>`;
}

/** What the form suggests to suppress: the root cause's own series (as the API's default). */
function suggestedPattern(inc: IncidentJson): string {
  try {
    return defaultSuppressionPattern(inc);
  } catch {
    return inc.root_cause?.signal ?? '';
  }
}

function feedback(v: IncidentView): SafeHtml {
  const inc = v.incident;
  const given =
    v.feedback.length === 0
      ? html`<p class="muted">No feedback yet.</p>`
      : html`<ul id="feedback-given">
          ${v.feedback.map(
            (f) =>
              html`<li>
                <strong>${f.verdict === 'false_positive' ? 'false alarm' : 'real incident'}</strong>
                by ${f.by} at
                ${dateTime(f.at)}${f.note ? html`: ${f.note}` : ''}${f.suppression_id ? html` (suppression ${f.suppression_id})` : ''}
              </li>`,
          )}
        </ul>`;
  const active =
    v.suppressions.length === 0
      ? ''
      : html`<p>
          Suppressed from this incident:
          ${v.suppressions.map((s) => html`<code>${s.pattern}</code> on ${s.service ?? 'any service'}${s.expires_at ? html` until ${dateTime(s.expires_at)}` : ''} `)}
        </p>`;
  const action = `${ROOT}api/v1/incidents/${encodeURIComponent(inc.id)}/feedback`;
  if (!v.writesEnabled) {
    return html`${given}${active}
      <p class="muted">Feedback needs <code>server.admin_token</code> to be configured.</p>`;
  }
  return html`${given}${active}
    <form id="feedback" class="feedback" data-action="${action}" hidden>
      <div class="row">
        <label class="check"
          ><input type="radio" name="verdict" value="true_positive" checked /> real incident</label
        ><label class="check"
          ><input type="radio" name="verdict" value="false_positive" /> false alarm</label
        >
      </div>
      <label>note <textarea name="note" rows="2" maxlength="2000"></textarea></label>
      <label class="check"
        ><input type="checkbox" name="suppress" /> on a false alarm, stop this pattern from
        paging</label
      >
      <div class="row">
        <label
          >signal or series pattern (a <code>*</code> glob)
          <input name="pattern" value="${suggestedPattern(inc)}" /></label
        ><label>service <input name="service" value="${inc.root_cause?.service ?? ''}" /></label>
        <label
          >for
          <select name="expires_in_ms">
            <option value="3600000">an hour</option>
            <option value="86400000" selected>a day</option>
            <option value="604800000">a week</option>
            <option value="2592000000">30 days</option>
            <option value="0">until removed</option>
          </select></label
        >
      </div>
      <div class="row">
        <label>your name <input name="by" maxlength="64" autocomplete="name" /></label
        ><label>admin token <input name="token" type="password" autocomplete="off" /></label>
      </div>
      <button type="submit">Send feedback</button>
    </form>
    <p id="feedback-result" class="notice" hidden></p>
    <noscript
      ><p>
        Without JavaScript, send feedback with:
        <code
          >curl -X POST -H "Authorization: Bearer $TOKEN" -H "content-type: application/json" -d
          '{"verdict":"false_positive","note":"…"}' ${action}</code
        >
      </p></noscript
    >`;
}

export function incidentPage(v: IncidentView): SafeHtml {
  const inc = v.incident;
  const root = inc.root_cause?.service ?? 'unknown';
  const e = inc.explanation;
  return page({
    title: `Incident ${inc.id} · root cause ${root}`,
    heading: html`Incident <code>${inc.id}</code>
      <span class="badge s-${inc.status}">${inc.status}</span>`,
    meta: html`${inc.severity} · opened
      ${dateTime(inc.opened_at)}${inc.resolved_at ? html` · resolved ${dateTime(inc.resolved_at)}` : ''}${inc.acknowledged_by ? html` · acknowledged by ${inc.acknowledged_by}` : ''}
      · <a href="${ROOT}status">status</a> ·
      <a href="${ROOT}api/v1/incidents/${encodeURIComponent(inc.id)}">JSON</a>`,
    root: ROOT,
    scripts: v.writesEnabled ? ['incident.js'] : [],
    body: html`<main>
      <p class="summary">
        Root cause:
        <strong id="root-cause">${root}</strong
        >${inc.root_cause ? html` (${humanSignal(inc.root_cause.signal)}, confidence ${num(inc.root_cause.confidence)})` : ''};
        services: ${inc.services.join(', ')}.
      </p>
      <h2>What happened</h2>
      <ol class="explain" id="explanation">
        ${explainIncident(inc).map((s) => html`<li>${s}</li>`)}
      </ol>
      <h2>Root-cause candidates</h2>
      ${candidates(inc)}
      <h2>Dependency path</h2>
      ${dependencyDrawing(e?.dependency_paths ?? [], root, e?.dependency_edges ?? [])}
      <h2>Signals around the onset</h2>
      ${charts(v)}
      <h2>Timeline</h2>
      ${timeline(inc)}
      <h2>Log templates that changed</h2>
      ${logTemplates(inc)}
      <h2>Remediation</h2>
      ${remediations(inc)}
      <h2>Feedback</h2>
      ${feedback(v)}
    </main>`,
  });
}
