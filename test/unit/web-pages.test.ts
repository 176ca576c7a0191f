import { describe, expect, it } from 'vitest';
import type { ServiceHealth } from '../../src/api/status-model.js';
import type { IncidentJson, IncidentJsonAnomaly } from '../../src/queues/contract.js';
import { chart } from '../../src/web/chart.js';
import { explainIncident, valueVsBand } from '../../src/web/explain.js';
import { escapeHtml, html, trusted } from '../../src/web/html.js';
import { incidentPage, type IncidentView } from '../../src/web/incident-page.js';
import { statusMain, statusPage, type StatusView } from '../../src/web/status-page.js';
import { incidentJsonOf } from '../helpers/incident-json.js';

/** The rendered markup with whitespace runs collapsed and none between tags (the templates are formatted by prettier). */
const flat = (markup: { toString(): string }): string =>
  markup.toString().replace(/\s+/g, ' ').replace(/>\s+</g, '><').replace(/\s+>/g, '>');

const T0 = Date.parse('2026-01-06T06:58:07.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function anomaly(over: Partial<IncidentJsonAnomaly>): IncidentJsonAnomaly {
  return {
    ts: iso(T0),
    service: 'auth',
    signal: 'http_error_ratio',
    series: 'http_error_ratio{service="auth"}',
    value: 0.257,
    expected: 0.005,
    lower: 0.004,
    upper: 0.006,
    score: 0.99,
    detector: 'ensemble',
    ...over,
  };
}

const outage: IncidentJson = incidentJsonOf({
  id: 'inc-auth',
  services: ['auth', 'routing', 'storage'],
  root_cause: { service: 'auth', signal: 'http_error_ratio', confidence: 0.82 },
  candidates: [
    { service: 'auth', signal: 'http_error_ratio', confidence: 0.82, reasons: ['first to move'] },
    { service: 'routing', signal: 'http_error_ratio', confidence: 0.1, reasons: ['calls auth'] },
  ],
  anomaly_count: 4,
  timeline: [
    anomaly({
      ts: iso(T0 - 120_000),
      kind: 'log',
      signal: 'log_new_template',
      series: 'log_new_template{service="auth"}',
      value: 1,
      expected: 0,
      lower: 0,
      upper: 0,
      detector: 'new_template',
      level: 'error',
      template: 'token signing key <*> not found',
      examples: ['token signing key k-17 not found'],
    }),
    anomaly({}),
    anomaly({
      ts: iso(T0 + 60_000),
      service: 'routing',
      series: 'http_error_ratio{service="routing"}',
      value: 0.12,
    }),
    anomaly({
      ts: iso(T0 + 70_000),
      service: 'storage',
      signal: 'http_requests_per_second',
      series: 'http_requests_per_second{service="storage"}',
      value: 400,
      expected: 1000,
      lower: 900,
      upper: 1100,
    }),
  ],
  explanation: {
    frozen_at: iso(T0 + 90_000),
    root_cause: 'auth',
    why: ['first to move'],
    severity: 'critical',
    severity_reason: 'critical: 3 services are affected (auth, routing and storage)',
    leading_log: null,
    dependency_paths: [
      ['routing', 'auth'],
      ['auth', 'storage'],
    ],
    dependency_edges: [
      { from: 'routing', to: 'auth', source: 'configured' },
      { from: 'auth', to: 'storage', source: 'configured' },
    ],
    anomalies: [],
  },
});

function service(over: Partial<ServiceHealth>): ServiceHealth {
  return {
    service: 'auth',
    state: 'ok',
    reason: 'all 2 signals within their bands',
    key_series: 'http_error_ratio{service="auth"}',
    signals: [],
    incident: null,
    ...over,
  };
}

function statusView(over: Partial<StatusView> = {}): StatusView {
  return {
    generatedAt: T0 + 120_000,
    public: false,
    refreshS: 15,
    threshold: 0.9,
    windowMs: 6 * 3_600_000,
    services: [
      service({
        state: 'outage',
        reason: 'auth: http_error_ratio 0.257, expected 0.004–0.006',
        incident: {
          id: 'inc-auth',
          status: 'open',
          severity: 'critical',
          root_cause: 'auth',
          opened_at: iso(T0 + 90_000),
        },
      }),
      service({ service: 'routing', state: 'affected', key_series: null }),
      service({ service: 'storage', state: 'affected', key_series: null }),
    ],
    history: new Map([
      [
        'http_error_ratio{service="auth"}',
        [0, 1, 2, 3].map((i) => ({
          ts: T0 - (3 - i) * 60_000,
          value: i === 3 ? 0.257 : 0.005,
          lower: 0.004,
          upper: 0.006,
          score: i === 3 ? 0.99 : 0.1,
        })),
      ],
    ]),
    open: [outage],
    resolved: [],
    suppressions: [],
    ...over,
  };
}

function incidentView(inc: IncidentJson = outage): IncidentView {
  return {
    incident: inc,
    generatedAt: T0 + 120_000,
    threshold: 0.9,
    history: new Map(),
    feedback: [],
    suppressions: [],
    writesEnabled: true,
  };
}

describe('html', () => {
  it('escapes every interpolated string, keeps markup built by html itself', () => {
    const name = `"><img src=x onerror=alert(1)><script>alert(1)</script>`;
    const out = html`<p title="${name}">${name}${html`<b>${'&'}</b>`}</p>`.toString();
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<script');
    expect(out).toContain('&quot;&gt;&lt;img');
    expect(out).toContain('<b>&amp;</b>');
    expect(escapeHtml(`'\``)).toBe('&#39;&#96;');
    expect(trusted('<br>').toString()).toBe('<br>');
  });
});

describe('explanation in plain words', () => {
  it('says what the root cause did, from when, and how long before the others', () => {
    const lines = explainIncident(outage);
    expect(lines[0]).toBe(
      'auth: http error ratio 25.7%, expected 0.4%–0.6%, from 06:58, a minute before routing, a minute before storage.',
    );
    expect(lines).toContain(
      `auth's logs showed it 2 minutes earlier: a new log line (error): "token signing key <*> not found".`,
    );
    expect(lines).toContain(
      'storage: http requests per second 400, expected 900–1100, from 06:59.',
    );
    expect(lines.at(-1)).toBe('Root cause auth (confidence 0.82): first to move.');
  });

  it('reads a metric onset when the logs did not lead', () => {
    const inc = { ...outage, timeline: outage.timeline.slice(1) };
    expect(explainIncident(inc)[0]).toBe(
      'auth: http error ratio 25.7%, expected 0.4%–0.6%, from 06:58, a minute before routing, a minute before storage.',
    );
    expect(
      valueVsBand(anomaly({ signal: 'latency_seconds', value: 2.5, lower: 0.1, upper: 0.2 })),
    ).toBe('latency seconds 2.5, expected 0.1–0.2');
  });
});

describe('chart', () => {
  const points = [0, 1, 2].map((i) => ({
    ts: 1000 * i,
    value: i,
    lower: 0,
    upper: 1,
    score: i === 2 ? 1 : 0,
  }));

  it('draws the band, the line and a dot per anomalous point, within the box', () => {
    const svg = chart(points, {
      width: 100,
      height: 40,
      from: 0,
      to: 2000,
      threshold: 0.9,
      title: 'x',
      marker: 1000,
    }).toString();
    expect(svg).toContain('class="chart-band"');
    expect(svg.match(/<circle/g)).toHaveLength(1);
    expect(svg).toContain('class="chart-marker" x1="50"');
    const coords = [...svg.matchAll(/(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    for (const [cx, cy] of coords) {
      expect(cx).toBeGreaterThanOrEqual(0);
      expect(cx).toBeLessThanOrEqual(100);
      expect(cy).toBeGreaterThanOrEqual(0);
      expect(cy).toBeLessThanOrEqual(40);
    }
  });

  it('says so when no point falls in the span, and escapes the title', () => {
    const svg = chart(points, {
      width: 100,
      height: 40,
      from: 5000,
      to: 6000,
      threshold: 0.9,
      title: '</svg><script>',
    }).toString();
    expect(svg).toContain('no recent points');
    expect(svg).not.toContain('<script>');
    expect(svg.match(/<\/svg>/g)).toHaveLength(1);
  });
});

describe('status page', () => {
  it('shows each service with its state, the incident with its root cause and timeline', () => {
    const out = flat(statusPage(statusView()));
    expect(out).toMatch(/data-service="auth" data-state="outage"/);
    expect(out).toMatch(/data-service="routing" data-state="affected"/);
    expect(out).toContain('1 outage, 2 affected of 3.');
    expect(out).toContain('root cause: <strong class="root-cause">auth</strong>');
    expect(out).toContain('<td>routing</td>');
    expect(out).toContain('class="chart-line"');
    expect(out).toMatch(/<noscript><meta http-equiv="refresh" content="15" ?\/?><\/noscript>/);
    expect(out).not.toMatch(/<script>|style=/);
  });

  it('public variant: states and summaries, no series, signal names, log text or links', () => {
    const out = flat(statusMain(statusView({ public: true })));
    expect(out).toContain('data-state="outage"');
    expect(out).toContain('root cause: <strong class="root-cause">auth</strong>');
    expect(out).not.toMatch(/http_error_ratio|http error ratio|token signing|href="\/incidents/);
    expect(out).not.toContain('<svg');
  });

  it('says how many unconfigured services it left out, never on the public page', () => {
    expect(flat(statusMain(statusView({ omittedServices: 3 })))).toContain(
      '3 more services seen but not configured are left out',
    );
    expect(flat(statusMain(statusView({ omittedServices: 0 })))).not.toContain('id="omitted"');
  });

  it('says all is well when it is, and that nothing was seen on a fresh worker', () => {
    const ok = flat(statusMain(statusView({ services: [service({})], open: [] })));
    expect(ok).toContain('All 1 service operational.');
    const none = flat(statusMain(statusView({ services: [], open: [] })));
    expect(none).toContain('No services seen yet');
  });
});

describe('incident page', () => {
  it('explains, ranks, draws the path, lists the timeline, logs and hooks', () => {
    const out = flat(
      incidentPage(
        incidentView({
          ...outage,
          remediations: [
            {
              id: 'r1',
              hook: 'rollback-auth',
              mode: 'suggest',
              target: 'auth',
              state: 'suggested',
            },
          ],
        }),
      ),
    );
    expect(out).toContain('<strong id="root-cause">auth</strong>');
    expect(out).toContain('<li>auth: http error ratio 25.7%');
    expect(out).toContain('<td>first to move</td>');
    expect(out).toMatch(/<svg class="path"[^]*routing[^]*auth[^]*storage/);
    expect(out).toContain('token signing key k-17 not found');
    expect(out).toContain('<td>rollback-auth</td>');
    expect(out).toContain('<strong>suggested</strong>');
    expect(out).toContain('id="feedback"');
    expect(out).toContain('<script src="../static/incident.js" defer></script>');
  });

  it('offers no form when writes are off', () => {
    const out = incidentPage({ ...incidentView(), writesEnabled: false }).toString();
    expect(out).not.toContain('id="feedback"');
    expect(out).toContain('server.admin_token');
  });
});

describe('links', () => {
  it('are all relative, so the pages work behind a path prefix', () => {
    const pages = [
      statusPage(statusView()),
      statusPage(statusView({ public: true })),
      incidentPage(incidentView()),
    ].map((p) => p.toString());
    for (const out of pages) {
      expect(out).not.toMatch(/(?:href|src|data-action)="\//);
      expect(out).toMatch(/href="(?:\.\.\/)?static\/aiops\.css"/);
    }
    expect(pages[2]).toContain('data-action="../api/v1/incidents/inc-auth/feedback"');
    expect(pages[0]).toContain('href="incidents/inc-auth"');
  });
});

describe('hostile names render as text on every page', () => {
  const hostile = [
    `<script>alert(1)</script>`,
    `"><img src=x onerror=alert(1)>`,
    `</svg><script>alert(2)</script>`,
  ];
  for (const evil of hostile) {
    it(evil, () => {
      const a = anomaly({ service: evil, series: `m{l="${evil}"}`, signal: evil });
      const log = anomaly({
        kind: 'log',
        service: evil,
        template: evil,
        examples: [evil],
        signal: 'log_new_template',
      });
      const inc = incidentJsonOf({
        id: 'inc-x',
        services: [evil],
        root_cause: { service: evil, signal: evil, confidence: 1 },
        candidates: [{ service: evil, signal: evil, confidence: 1, reasons: [evil] }],
        timeline: [a, log],
        explanation: {
          frozen_at: a.ts,
          root_cause: evil,
          why: [evil],
          severity: 'warning',
          severity_reason: evil,
          leading_log: null,
          dependency_paths: [[evil, 'b']],
          dependency_edges: [],
          anomalies: [],
        },
        remediations: [
          { id: evil, hook: evil, mode: 'suggest', target: evil, state: 'suggested', reason: evil },
        ],
      });
      const pages = [
        statusPage(
          statusView({
            services: [service({ service: evil, reason: evil, key_series: `m{l="${evil}"}` })],
            history: new Map([
              [`m{l="${evil}"}`, [{ ts: T0, value: 1, lower: 0, upper: 2, score: 0 }]],
            ]),
            open: [inc],
            resolved: [{ ...inc, status: 'resolved', resolved_at: a.ts }],
            suppressions: [
              {
                id: 's',
                service: evil,
                pattern: evil,
                expires_at: null,
                created_by: evil,
                note: evil,
                incident: evil,
              },
            ],
          }),
        ),
        statusPage(
          statusView({ public: true, services: [service({ service: evil })], open: [inc] }),
        ),
        incidentPage({
          ...incidentView(inc),
          history: new Map([[a.series, [{ ts: T0, value: 1, lower: 0, upper: 2, score: 1 }]]]),
          feedback: [
            {
              verdict: 'false_positive',
              note: evil,
              by: evil,
              at: a.ts ?? '',
              suppression_id: evil,
            },
          ],
        }),
      ].map((p) => p.toString());
      for (const out of pages) {
        // Only our own script tags, no element from the data, every <svg> closed by its own end.
        expect(out.match(/<script/g) ?? []).toHaveLength(
          (out.match(/<script src="(?:\.\.\/)?static\/[a-z]+\.js" defer><\/script>/g) ?? []).length,
        );
        // Quoted attribute values hold escaped text only; outside them no tag carries an onerror.
        const tags = out.replace(/"[^"]*"/g, '""');
        expect(tags).not.toMatch(/<img|<[^>]*\sonerror=/);
        expect((out.match(/<svg/g) ?? []).length).toBe((out.match(/<\/svg>/g) ?? []).length);
        expect(out).toContain(escapeHtml(evil).slice(0, 12));
      }
    });
  }
});
