/**
 * `/status`: per service its state (colour and word), why, and the last hours of its key
 * signal as a sparkline with the expected band; the open incidents with root cause and
 * timeline; the recently resolved ones; the active suppressions. Server-rendered; the script
 * only swaps in a fresh `#status-main`. The public variant (`server.public_status`) shows the
 * states and incident summaries only: no series, signal names or log text.
 */
import type { IncidentJson, IncidentJsonAnomaly } from '../queues/contract.js';
import type { ServiceHealth, ServiceState } from '../api/status-model.js';
import { chart, type ChartPoint } from './chart.js';
import { firstBy, headlineOf, valueVsBand } from './explain.js';
import { clock, dateTime } from './format.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

export interface SuppressionView {
  readonly id: string;
  readonly service: string | null;
  readonly pattern: string;
  readonly expires_at: string | null;
  readonly created_by: string;
  readonly note: string;
  readonly incident: string | null;
}

export interface StatusView {
  readonly generatedAt: number;
  readonly public: boolean;
  readonly refreshS: number;
  readonly threshold: number;
  /** How much of each key series the sparkline shows, back from its newest point. */
  readonly windowMs: number;
  readonly services: readonly ServiceHealth[];
  /** Services seen but not configured that the list leaves out (the most troubled are shown). */
  readonly omittedServices?: number;
  /** Points of the services' key series, by series key. */
  readonly history: ReadonlyMap<string, readonly ChartPoint[]>;
  readonly open: readonly IncidentJson[];
  readonly resolved: readonly IncidentJson[];
  readonly suppressions: readonly SuppressionView[];
}

const STATE_WORDS: Readonly<Record<ServiceState, string>> = {
  outage: 'outage',
  affected: 'affected',
  degraded: 'degraded',
  maintenance: 'maintenance',
  learning: 'learning',
  ok: 'ok',
};

/** What the public page says instead of the reason (which names signals). */
const PUBLIC_REASON: Readonly<Record<ServiceState, string>> = {
  outage: 'Major outage: this service is failing.',
  affected: 'Affected by an incident in a service it depends on.',
  degraded: 'Degraded: some signals are outside their usual range.',
  maintenance: 'Planned maintenance in progress.',
  learning: 'Learning its normal behaviour.',
  ok: 'Operational.',
};

/** The way up to the site root: `/status` sits at it, `/status/public` one level down. */
const rootOf = (v: StatusView): string => (v.public ? '../' : '');

function summary(services: readonly ServiceHealth[]): string {
  if (services.length === 0) return 'No services seen yet: nothing has been scored.';
  const counts = new Map<ServiceState, number>();
  for (const s of services) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  const bad = (['outage', 'affected', 'degraded'] as const).filter((s) => counts.has(s));
  if (bad.length === 0) {
    return `All ${services.length} service${services.length === 1 ? '' : 's'} operational.`;
  }
  return (
    bad.map((s) => `${counts.get(s)} ${STATE_WORDS[s]}`).join(', ') + ` of ${services.length}.`
  );
}

function serviceCard(s: ServiceHealth, v: StatusView): SafeHtml {
  const root = rootOf(v);
  const points = s.key_series === null ? undefined : v.history.get(s.key_series);
  const newest = points?.reduce((m, p) => Math.max(m, p.ts), 0) ?? 0;
  const spark =
    v.public || s.key_series === null
      ? ''
      : html`${chart(points ?? [], {
            width: 260,
            height: 48,
            from: (newest || v.generatedAt) - v.windowMs,
            to: newest || v.generatedAt,
            threshold: v.threshold,
            title: `${s.key_series}, last ${Math.round(v.windowMs / 3_600_000)} h`,
          })}
          <div class="muted"><code>${s.key_series}</code></div>`;
  const incident =
    s.incident === null
      ? ''
      : v.public
        ? html`<div class="reason">Incident since ${clock(s.incident.opened_at)} UTC</div>`
        : html`<div class="reason">
            <a href="${root}incidents/${encodeURIComponent(s.incident.id)}"
              >incident ${s.incident.id}</a
            >, root cause ${s.incident.root_cause ?? 'unknown'}
          </div>`;
  return html`<article
    class="card s-${s.state}"
    data-service="${s.service}"
    data-state="${s.state}"
  >
    <h3>
      <span class="name">${s.service}</span><span class="badge">${STATE_WORDS[s.state]}</span>
    </h3>
    <p class="reason">${v.public ? PUBLIC_REASON[s.state] : s.reason}</p>
    ${incident}${spark}
  </article>`;
}

/** Per service: its first log anomaly when it came first, then what happened to it. */
function timelineRows(inc: IncidentJson): IncidentJsonAnomaly[] {
  const rows: IncidentJsonAnomaly[] = [];
  for (const first of firstBy(inc.timeline)) {
    const head = headlineOf(inc, first.service) ?? first;
    if (first !== head && first.kind === 'log') rows.push(first);
    rows.push(head);
  }
  return rows.sort((a, b) => Date.parse(a.ts ?? '') - Date.parse(b.ts ?? ''));
}

function incidentTimeline(inc: IncidentJson): SafeHtml {
  return html`<div class="scroll">
    <table class="timeline">
      <thead>
        <tr>
          <th>time (UTC)</th>
          <th>service</th>
          <th>what</th>
        </tr>
      </thead>
      <tbody>
        ${timelineRows(inc).map(
          (a) =>
            html`<tr>
              <td>${clock(a.ts)}</td>
              <td>${a.service}</td>
              <td>${valueVsBand(a)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function openIncident(inc: IncidentJson, v: StatusView): SafeHtml {
  const up = rootOf(v);
  const root = inc.root_cause?.service ?? 'unknown';
  const others = inc.services.filter((s) => s !== root);
  const head = html`<h3>
      ${v.public ? '' : html`<a href="${up}incidents/${encodeURIComponent(inc.id)}">${inc.id}</a> · `}root
      cause: <strong class="root-cause">${root}</strong>
    </h3>
    <div class="muted">
      ${inc.severity} · opened
      ${dateTime(inc.opened_at)}${inc.acknowledged_by ? html` · acknowledged${v.public ? '' : html` by ${inc.acknowledged_by}`}` : ''}${others.length > 0 ? html` · affecting ${others.join(', ')}` : ''}
    </div>`;
  return html`<section class="incident s-${inc.status}" data-incident="${v.public ? '' : inc.id}">
    ${head}${v.public ? '' : incidentTimeline(inc)}
  </section>`;
}

function resolvedRow(inc: IncidentJson, v: StatusView): SafeHtml {
  const up = rootOf(v);
  const root = inc.root_cause?.service ?? 'unknown';
  return html`<tr>
    <td>
      ${v.public ? '' : html`<a href="${up}incidents/${encodeURIComponent(inc.id)}">${inc.id}</a>`}
      root cause
      ${root}${inc.services.length > 1 ? html`, with ${inc.services.filter((s) => s !== root).join(', ')}` : ''}
    </td>
    <td>${dateTime(inc.opened_at)}</td>
    <td>${dateTime(inc.resolved_at)}</td>
  </tr>`;
}

function suppressionRow(s: SuppressionView): SafeHtml {
  const root = ''; // listed on the full page only, which sits at the root
  return html`<tr>
    <td><code>${s.pattern}</code></td>
    <td>${s.service ?? 'any'}</td>
    <td>${s.expires_at === null ? 'never' : dateTime(s.expires_at)}</td>
    <td>
      ${s.incident === null ? '' : html`<a href="${root}incidents/${encodeURIComponent(s.incident)}">${s.incident}</a>`}
    </td>
    <td>${s.created_by}${s.note ? html`: ${s.note}` : ''}</td>
  </tr>`;
}

/** The part the script refreshes. */
export function statusMain(v: StatusView): SafeHtml {
  return html`<p class="summary" id="summary">${summary(v.services)}</p>
    <h2>Services</h2>
    <div class="grid" id="services">${v.services.map((s) => serviceCard(s, v))}</div>
    ${
      v.omittedServices
        ? html`<p class="muted" id="omitted">
            ${v.omittedServices} more services seen but not configured are left out (the most
            troubled are shown; <code>GET /api/v1/services?service=NAME</code> answers any).
          </p>`
        : ''
    }
    <h2>Open incidents</h2>
    <div id="open-incidents">
      ${v.open.length === 0 ? html`<p class="muted">None.</p>` : v.open.map((i) => openIncident(i, v))}
    </div>
    <h2>Recently resolved</h2>
    ${
      v.resolved.length === 0
        ? html`<p class="muted">None lately.</p>`
        : html`<div class="scroll">
            <table id="resolved">
              <thead>
                <tr>
                  <th>incident</th>
                  <th>opened</th>
                  <th>resolved</th>
                </tr>
              </thead>
              <tbody>
                ${v.resolved.map((i) => resolvedRow(i, v))}
              </tbody>
            </table>
          </div>`
    }
    ${
      v.public
        ? ''
        : html`<h2>Suppressions</h2>
            ${
              v.suppressions.length === 0
                ? html`<p class="muted">None: every anomaly can page.</p>`
                : html`<div class="scroll">
                    <table id="suppressions">
                      <thead>
                        <tr>
                          <th>pattern</th>
                          <th>service</th>
                          <th>expires</th>
                          <th>from incident</th>
                          <th>by</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${v.suppressions.map(suppressionRow)}
                      </tbody>
                    </table>
                  </div>`
            }`
    }`;
}

export function statusPage(v: StatusView): SafeHtml {
  return page({
    title: 'Status · aiops-worker',
    heading: 'Service status',
    meta: html`<span id="updated">generated ${clock(v.generatedAt)} UTC</span>`,
    noscriptRefreshS: v.refreshS,
    scripts: ['status.js'],
    body: html`<main id="status-main" data-refresh-s="${v.refreshS}">${statusMain(v)}</main>`,
    root: rootOf(v),
  });
}
