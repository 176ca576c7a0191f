/**
 * What each direct receiver is sent (src/notify/receiver-requests.ts): every one links to the
 * incident page, `<notify.external_url>/incidents/<id>`, where other receivers put links.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { serviceGraph } from '../../src/correlate/graph.js';
import { incidentJson } from '../../src/correlate/incident-json.js';
import {
  Correlator,
  emptyCorrelatorState,
  type IncidentAnomaly,
} from '../../src/correlate/incidents.js';
import { receiverRequest, type ReceiverConfig } from '../../src/notify/receiver-requests.js';
import type { IncidentJson } from '../../src/queues/contract.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 6, 6, 58);
const EXTERNAL = 'https://aiops.example.com/';

function opened(): IncidentJson {
  const graph = serviceGraph({ auth: { depends_on: [] }, routing: { depends_on: ['auth'] } });
  const correlator = new Correlator(graph, parseConfig({}).correlate);
  const state = emptyCorrelatorState();
  const a = (service: string, ts: number): IncidentAnomaly => ({
    id: `${service}-${ts}`,
    kind: 'metric',
    series: `http_error_ratio{service="${service}"}`,
    service,
    signal: 'http_error_ratio',
    labels: { service },
    ts,
    value: 0.3,
    expected: 0.01,
    lower: 0,
    upper: 0.02,
    score: 0.995,
    detector: 'ensemble',
  });
  correlator.fold(state, a('auth', T0));
  correlator.fold(state, a('routing', T0 + MIN));
  correlator.advance(state, T0 + 2 * MIN);
  const inc = state.incidents[0];
  if (!inc) throw new Error('no incident');
  return incidentJson(inc);
}

const receiver = (type: ReceiverConfig['type']): ReceiverConfig => ({
  name: type,
  type,
  url: `https://hooks.example.com/${type}`,
  routing_key: type === 'pagerduty' ? 'k'.repeat(32) : undefined,
});
const options = { deliveryId: 'd-1', nowMs: T0 + 3 * MIN, externalUrl: EXTERNAL };

describe('receiver requests', () => {
  const inc = opened();
  const page = `https://aiops.example.com/incidents/${inc.id}`;

  it('a webhook CloudEvent carries the incident page as data.link', () => {
    const req = receiverRequest(receiver('webhook'), inc, 'opened', options);
    const event = JSON.parse(req.body) as { source: string; data: Record<string, unknown> };
    expect(event.source).toBe(EXTERNAL);
    expect(event.data).toEqual({
      ...inc,
      link: page,
      summary: 'auth is the root cause (95%); routing affected',
    });
  });

  it('an escalation CloudEvent carries the link and the note', () => {
    const req = receiverRequest(receiver('webhook'), inc, 'escalated', {
      ...options,
      note: 'the hook ran and the incident did not clear',
    });
    const event = JSON.parse(req.body) as { data: Record<string, unknown> };
    expect(event.data).toMatchObject({
      id: inc.id,
      link: page,
      note: 'the hook ran and the incident did not clear',
    });
  });

  it('PagerDuty and Slack link to the same page', () => {
    const pd = JSON.parse(receiverRequest(receiver('pagerduty'), inc, 'opened', options).body) as {
      links: { href: string }[];
    };
    expect(pd.links.map((l) => l.href)).toEqual([page]);
    const slack = JSON.parse(receiverRequest(receiver('slack'), inc, 'opened', options).body) as {
      text: string;
    };
    expect(slack.text).toContain(`<${page}|Explanation>`);
  });
});

describe('wire data in receiver text (hostile service names and log lines)', () => {
  const hostile = (service: string, lead: string): IncidentJson => {
    const inc = opened();
    return {
      ...inc,
      root_cause: inc.root_cause && { ...inc.root_cause, service },
      services: [service, 'routing'],
      candidates: inc.candidates.map((c, i) =>
        i === 0 ? { ...c, service, reasons: [`first to turn anomalous on ${service}`] } : c,
      ),
      explanation: inc.explanation && {
        ...inc.explanation,
        leading_log: {
          service,
          signal: 'log_new_template',
          ts: inc.opened_at,
          value: 1,
          upper: 0,
          metric_signal: null,
          metric_ts: null,
          lead_ms: null,
          text: lead,
        },
      },
    };
  };
  const slack = (inc: IncidentJson): string =>
    (
      JSON.parse(receiverRequest(receiver('slack'), inc, 'opened', options).body) as {
        text: string;
      }
    ).text;

  it('Slack: no mention, no disguised link, no control sequence from the data', () => {
    const text = slack(
      hostile(
        '<!channel> <https://evil.example|Reset your SSO password>',
        'auth logged: <@U024BE7LH> @here & @channel <!everyone> <!subteam^S1|oncall>',
      ),
    );
    // The only markup left is our own link to the incident page.
    expect(text.match(/</g)).toHaveLength(1);
    expect(text).toMatch(/<https:\/\/aiops\.example\.com\/incidents\/[^|>]+\|Explanation>$/);
    expect(text).toContain('&lt;!channel&gt; &lt;https://evil.example|Reset your SSO password&gt;');
    expect(text).toContain('&lt;@U024BE7LH&gt;');
    expect(text).toContain('&amp;');
    expect(text).not.toMatch(/@(here|channel|everyone)\b/);
    expect(text).toContain('@\u2060here');
  });

  it('Slack and PagerDuty: overlong data is clipped, whole characters only', () => {
    const long = `${'x'.repeat(5000)}😀${'y'.repeat(5000)}`;
    const text = slack(hostile('auth', long));
    expect(text.length).toBeLessThan(3200);
    const pd = JSON.parse(
      receiverRequest(receiver('pagerduty'), hostile('auth', long), 'opened', options).body,
    ) as {
      payload: { summary: string; custom_details: { leading_log: string } };
    };
    expect(pd.payload.summary.length).toBeLessThanOrEqual(1024);
    expect(pd.payload.summary.endsWith('…')).toBe(true);
    expect(pd.payload.custom_details.leading_log.length).toBeLessThanOrEqual(1024);
    // A cut inside a surrogate pair would leave a lone half: JSON of it is not valid UTF-8 text.
    const edge = `${'x'.repeat(1022)}😀tail`;
    const pd2 = JSON.parse(
      receiverRequest(receiver('pagerduty'), hostile('auth', edge), 'opened', options).body,
    ) as {
      payload: { custom_details: { leading_log: string } };
    };
    expect(pd2.payload.custom_details.leading_log).toBe(`${'x'.repeat(1022)}…`);
    expect(/[\ud800-\udbff]$/u.test(pd2.payload.custom_details.leading_log.slice(0, -1))).toBe(
      false,
    );
  });
});
