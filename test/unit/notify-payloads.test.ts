/**
 * Issue 17: the page names the leading log template. The demo story (src/demo/demo-story.ts:
 * auth logs a new error two minutes before its metrics fail, routing follows, storage loses
 * traffic), with its logs arriving behind its metrics as on the live worker, opens one incident
 * whose every receiver's payload says "auth logged a new error 2 min before failing: ...";
 * later evidence changes the text and never the page (labels, delivery ids); a warning that
 * becomes critical pages as critical.
 */
import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { serviceGraph } from '../../src/correlate/graph.js';
import { toIncidentAnomaly } from '../../src/correlate/fold-all.js';
import { incidentJson } from '../../src/correlate/incident-json.js';
import {
  Correlator,
  emptyCorrelatorState,
  type Incident,
  type IncidentEvent,
} from '../../src/correlate/incidents.js';
import { DEMO_SERVICES } from '../../src/demo/demo-story.js';
import { alertsDue, incidentAlert } from '../../src/notify/alertmanager-alerts.js';
import { deliveryId } from '../../src/notify/deliver.js';
import { notifyTransitions } from '../../src/notify/incident-routing.js';
import { slackText } from '../../src/notify/receiver-text.js';
import { receiverRequest, type ReceiverConfig } from '../../src/notify/receiver-requests.js';
import type { DeliveryJob } from '../../src/queues/contract.js';
import { anomalyEvent, DEMO_AUTH_TEMPLATE, demoStoryAnomalies } from '../helpers/story.js';

const SEC = 1000;
const MIN = 60 * SEC;
const T = Date.UTC(2026, 11, 1, 7, 57);
const EXTERNAL = 'https://aiops.example.com/';
const LEAD = `auth logged a new error 2 min before failing: "${DEMO_AUTH_TEMPLATE}"`;
const config = parseConfig({ services: DEMO_SERVICES });
const graph = serviceGraph(DEMO_SERVICES);

/** The demo story as the live worker met it: the metrics first, auth's logs 0.4 s late. */
function demoIncident(): {
  inc: Incident;
  correlator: Correlator;
  state: ReturnType<typeof emptyCorrelatorState>;
} {
  const correlator = new Correlator(graph, { ...config.correlate, log_bucket_ms: MIN });
  const state = emptyCorrelatorState();
  const story = demoStoryAnomalies(T).map(toIncidentAnomaly);
  const authLogs = story.filter((a) => a.kind === 'log' && a.service === 'auth');
  const deadline = T + config.correlate.settle_ms;
  for (const a of story.filter((x) => !authLogs.includes(x) && x.ts <= deadline)) {
    correlator.fold(state, a, -Infinity);
  }
  correlator.advance(state, deadline + 400, T - 115 * SEC);
  for (const a of authLogs) correlator.fold(state, a, -Infinity);
  const events = correlator.advance(state, deadline + 400, deadline + 400);
  const inc = events.find((e) => e.type === 'opened')?.incident;
  if (!inc) throw new Error('the demo story opened no incident');
  return { inc, correlator, state };
}

const receiver = (type: ReceiverConfig['type']): ReceiverConfig => ({
  name: type,
  type,
  url: `https://hooks.example.com/${type}`,
  routing_key: type === 'pagerduty' ? 'k'.repeat(32) : undefined,
});
const options = { deliveryId: 'd-1', nowMs: T + 3 * MIN, externalUrl: EXTERNAL };
/** The request body a receiver of `type` gets for the demo incident's opening, parsed. */
const body = (type: ReceiverConfig['type']): unknown =>
  JSON.parse(
    receiverRequest(receiver(type), incidentJson(demoIncident().inc), 'opened', options).body,
  );

describe('the demo story page names the leading log template, on every receiver', () => {
  it('the incident: root cause auth, critical (three services), the lead in its explanation at opening', () => {
    const json = incidentJson(demoIncident().inc);
    expect(json.root_cause?.service).toBe('auth');
    expect(json.severity).toBe('critical');
    expect(json.explanation_at_open?.leading_log?.text).toBe(LEAD);
  });

  it('Slack: the text', () => {
    const { text } = body('slack') as { text: string };
    const [summary] = text.split('\n');
    expect(summary).toMatch(
      /^\[opened\] incident inc-[0-9a-f]+ \(critical\): auth is the root cause \(\d+%\); (routing, storage|storage, routing) affected\. /,
    );
    // Slack's control characters in the template are escaped: Slack shows `<*>` again.
    expect(summary).toContain(slackText(LEAD));
    expect(slackText(LEAD)).toContain('&lt;*&gt;');
  });

  it('PagerDuty: the summary and custom_details', () => {
    const pd = body('pagerduty') as {
      payload: { summary: string; severity: string; custom_details: Record<string, unknown> };
    };
    expect(pd.payload.summary).toContain(LEAD);
    expect(pd.payload.severity).toBe('critical');
    expect(pd.payload.custom_details).toMatchObject({
      leading_log: LEAD,
      severity_reason: 'critical: 3 services are affected (auth, routing and storage)',
    });
  });

  it('webhook: the CloudEvent data (summary, and both explanations)', () => {
    const event = body('webhook') as {
      type: string;
      data: {
        summary: string;
        explanation: { leading_log: { text: string; template: string } };
        explanation_at_open: { leading_log: { text: string } };
      };
    };
    expect(event.type).toBe('io.aiops-worker.incident.opened');
    expect(event.data.summary).toContain(LEAD);
    expect(event.data.explanation_at_open.leading_log.text).toBe(LEAD);
    expect(event.data.explanation.leading_log).toMatchObject({
      text: LEAD,
      template: DEMO_AUTH_TEMPLATE,
    });
  });

  it('Alertmanager: the summary and description annotations', () => {
    const { inc } = demoIncident();
    const alert = incidentAlert(inc, T + 3 * MIN, {
      external_url: EXTERNAL,
      resend_ms: MIN,
      resolved_resend_ms: 5 * MIN,
    });
    expect(alert.labels).toMatchObject({ root_cause: 'auth', severity: 'critical' });
    expect(alert.annotations.summary).toMatch(
      /^auth is the root cause \(\d+%\); (routing, storage|storage, routing) affected\. /,
    );
    expect(alert.annotations.summary).toContain(LEAD);
    expect(alert.annotations.description).toContain(`${LEAD}.`);
    expect(alert.annotations.description).toContain(
      'Severity critical: 3 services are affected (auth, routing and storage).',
    );
  });
});

describe('later evidence updates the text, never the page', () => {
  it('Alertmanager: same labels, current annotations', () => {
    const { inc, correlator, state } = demoIncident();
    const s = { external_url: EXTERNAL, resend_ms: MIN, resolved_resend_ms: 5 * MIN };
    const before = incidentAlert(inc, T + 3 * MIN, s);
    // storage fails too (after routing's symptoms): the ranking moves, the labels do not.
    correlator.fold(
      state,
      toIncidentAnomaly(anomalyEvent('storage', 'http_error_ratio', T + 2 * MIN, 0.3, 0.01, 1)),
    );
    correlator.fold(
      state,
      toIncidentAnomaly(
        anomalyEvent('storage', 'http_latency_p99_seconds', T + 2 * MIN + 1, 2, 0.2, 1),
      ),
    );
    const after = incidentAlert(inc, T + 4 * MIN, s);
    expect(after.labels).toEqual(before.labels);
    expect(after.annotations.description).not.toBe(before.annotations.description);
    expect(incidentJson(inc).explanation?.root_cause).toBe(inc.root_cause?.service);
  });

  it('receivers: an `updated` event queues nothing; a reminder says the current explanation', async () => {
    const { inc } = demoIncident();
    const jobs: { data: DeliveryJob; opts: { jobId: string } }[] = [];
    const queue = {
      addBulk: (list: { data: DeliveryJob; opts: { jobId: string } }[]) => {
        jobs.push(...list);
        return Promise.resolve([]);
      },
      add: () => Promise.resolve({}),
    } as unknown as Queue;
    const routed = parseConfig({
      services: DEMO_SERVICES,
      notify: { receivers: [{ name: 'chat', type: 'slack', url: 'https://hooks.example.com/s' }] },
    });
    await notifyTransitions(routed, queue)([{ type: 'updated', incident: inc }]);
    expect(jobs).toEqual([]);
    const reminder = JSON.parse(
      receiverRequest(receiver('slack'), incidentJson(inc), 'reminder', options).body,
    ) as { text: string };
    expect(reminder.text).toContain(slackText(LEAD));
  });
});

describe('a warning that becomes critical pages as critical', () => {
  const routed = parseConfig({
    services: DEMO_SERVICES,
    notify: {
      receivers: [
        { name: 'chat', type: 'slack', url: 'https://hooks.example.com/s' },
        {
          name: 'oncall',
          type: 'pagerduty',
          url: 'https://events.example.com/v2/enqueue',
          routing_key: 'k'.repeat(32),
          severities: ['critical'],
        },
      ],
    },
  });

  function raisedIncident(): { events: IncidentEvent[]; inc: Incident } {
    const correlator = new Correlator(graph, routed.correlate);
    const state = emptyCorrelatorState();
    const events = correlator.fold(
      state,
      toIncidentAnomaly(anomalyEvent('auth', 'http_error_ratio', T, 0.3, 0.01, 0.9999)),
    );
    // The next sample, still failing, confirms it: a warning opens (users felt it < 1 min).
    events.push(
      ...correlator.fold(
        state,
        toIncidentAnomaly(
          anomalyEvent('auth', 'http_error_ratio', T + 15 * SEC, 0.3, 0.01, 0.9999),
        ),
      ),
    );
    events.push(...correlator.advance(state, T + MIN + 1));
    events.push(
      ...correlator.fold(
        state,
        toIncidentAnomaly(anomalyEvent('auth', 'http_latency_p99_seconds', T + 90 * SEC, 1, 0.2)),
      ),
    );
    return { events, inc: state.incidents[0] as Incident };
  }

  it('receivers: the opening pages those that route warnings; the raise pages those that route critical only, with the same delivery ids', async () => {
    const { events, inc } = raisedIncident();
    expect(events.map((e) => e.type)).toEqual(['opened', 'updated', 'raised']);
    const jobs: { data: DeliveryJob; opts: { jobId: string } }[] = [];
    const queue = {
      addBulk: (list: { data: DeliveryJob; opts: { jobId: string } }[]) => {
        jobs.push(...list);
        return Promise.resolve([]);
      },
      add: () => Promise.resolve({}),
    } as unknown as Queue;
    const notify = notifyTransitions(routed, queue);
    // As it opened, a warning: only chat routes it.
    const openedAsWarning = { ...inc, severity: 'warning' as const, raised_at: null };
    await notify([{ type: 'opened', incident: openedAsWarning }]);
    expect(jobs.map((j) => [j.data.receiver, j.data.incident.severity])).toEqual([
      ['chat', 'warning'],
    ]);
    // Raised: every receiver that routes it now gets the opening page; chat's job id is the one
    // it already has (BullMQ ignores it), oncall's is new: its first page, as critical.
    await notify(events.filter((e) => e.type === 'raised' || e.type === 'updated'));
    expect(
      jobs.slice(1).map((j) => [j.data.receiver, j.data.transition, j.data.incident.severity]),
    ).toEqual([
      ['chat', 'opened', 'critical'],
      ['oncall', 'opened', 'critical'],
    ]);
    expect(jobs[1]?.opts.jobId).toBe(jobs[0]?.opts.jobId);
    expect(jobs[2]?.opts.jobId).toBe(deliveryId({ ...(jobs[2] as { data: DeliveryJob }).data }));
    const pd = JSON.parse(
      receiverRequest(
        receiver('pagerduty'),
        jobs[2]?.data.incident ?? incidentJson(inc),
        'opened',
        options,
      ).body,
    ) as { event_action: string; payload: { severity: string } };
    expect(pd).toMatchObject({ event_action: 'trigger', payload: { severity: 'critical' } });
  });

  it('a muted incident (maintenance) is not paged on the raise either', async () => {
    const { events } = raisedIncident();
    const jobs: unknown[] = [];
    const queue = {
      addBulk: (list: unknown[]) => {
        jobs.push(...list);
        return Promise.resolve([]);
      },
      add: () => Promise.resolve({}),
    } as unknown as Queue;
    const muted = parseConfig({
      services: DEMO_SERVICES,
      notify: routed.notify,
      // Every minute, for an hour: in force whenever the test runs.
      maintenance: [{ name: 'm', cron: '* * * * *', duration_ms: 3_600_000, services: ['auth'] }],
    });
    await notifyTransitions(muted, queue)(events.filter((e) => e.type === 'raised'));
    expect(jobs).toEqual([]);
  });

  it('Alertmanager: the critical alert (new to it: it pages through its critical route) and the warning one ended at the raise', () => {
    const { inc } = raisedIncident();
    const s = { external_url: EXTERNAL, resend_ms: MIN, resolved_resend_ms: 5 * MIN };
    const now = T + 2 * MIN;
    const alerts = alertsDue([inc], now, s);
    expect(alerts.map((a) => [a.labels.severity, a.endsAt])).toEqual([
      ['warning', new Date(T + 90 * SEC).toISOString()],
      ['critical', new Date(now + 4 * MIN).toISOString()],
    ]);
    // The same alert but for its severity: the incident, its root cause and service.
    expect({ ...alerts[1]?.labels, severity: 'warning' }).toEqual(alerts[0]?.labels);
    // The ended warning is re-sent for resolved_resend_ms, then no more.
    expect(alertsDue([inc], T + 90 * SEC + 5 * MIN + 1, s)).toHaveLength(1);
  });
});
