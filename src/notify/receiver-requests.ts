/**
 * The HTTP request each direct receiver gets for an incident transition (pure):
 * - `webhook`: a CloudEvents 1.0 structured event (`application/cloudevents+json`, type
 *   `io.aiops-worker.incident.<transition>`, data = the incident as the API shows it plus `link`,
 *   its page (incident-link.ts), and `note` on an escalation), signed per the Standard Webhooks
 *   convention when a `secret` (`whsec_<base64>`) is set: `webhook-id`, `webhook-timestamp`
 *   (unix s), `webhook-signature: v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>`;
 * - `pagerduty`: Events API v2, `trigger` / `acknowledge` / `resolve` with `dedup_key` = the
 *   incident id, so the PagerDuty alert mirrors the incident;
 * - `slack`: an incoming-webhook message `{text}`, its wire data escaped (receiver-text.ts).
 * Each says the same summary line (incident-json.ts `incidentSummary`): the severity, the root
 * cause, what else is affected, and the root cause's log line that led its metrics when there
 * was one, from the incident's current explanation.
 */
import { incidentSummary } from '../correlate/incident-json.js';
import { incidentLink } from './incident-link.js';
import { signStandardWebhook } from '../http/standard-webhooks.js';
import type { IncidentJson, Transition } from '../queues/contract.js';
import {
  clipText,
  PAGERDUTY_DETAIL_CHARS,
  PAGERDUTY_SUMMARY_CHARS,
  SLACK_TEXT_CHARS,
  slackText,
} from './receiver-text.js';

const detail = (text: string): string => clipText(text, PAGERDUTY_DETAIL_CHARS);
const nullableDetail = (text: string | null | undefined): string | null =>
  text == null ? null : detail(text);

export interface ReceiverConfig {
  readonly name: string;
  readonly type: 'webhook' | 'pagerduty' | 'slack';
  readonly url: string;
  readonly secret?: string | undefined;
  readonly routing_key?: string | undefined;
}

export interface OutgoingRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * `[opened] incident inc-1 (critical): auth is the root cause (92%); routing, storage affected.
 * auth logged a new error 2 min before failing: "..."`, then the note (an escalation's).
 */
export function summaryOf(inc: IncidentJson, transition: Transition, note?: string): string {
  return (
    `[${transition}] incident ${inc.id} (${inc.severity}): ${incidentSummary(inc)}` +
    (note ? `. ${note}` : '')
  );
}

export function receiverRequest(
  r: ReceiverConfig,
  inc: IncidentJson,
  transition: Transition,
  o: {
    readonly deliveryId: string;
    readonly nowMs: number;
    readonly externalUrl: string;
    /** Said in the message (an escalation's hook and result). */
    readonly note?: string | undefined;
  },
): OutgoingRequest {
  const link = incidentLink(o.externalUrl, inc.id);
  if (r.type === 'pagerduty') {
    const action =
      transition === 'resolved'
        ? 'resolve'
        : transition === 'acknowledged'
          ? 'acknowledge'
          : 'trigger';
    const body = JSON.stringify({
      routing_key: r.routing_key ?? '',
      event_action: action,
      dedup_key: inc.id,
      ...(action === 'trigger'
        ? {
            payload: {
              summary: clipText(summaryOf(inc, transition, o.note), PAGERDUTY_SUMMARY_CHARS),
              source: 'aiops-worker',
              severity: inc.severity === 'critical' ? 'critical' : 'warning',
              timestamp: inc.opened_at ?? new Date(o.nowMs).toISOString(),
              component: inc.root_cause?.service ?? 'unknown',
              custom_details: {
                services: inc.services,
                why: (inc.candidates[0]?.reasons ?? []).map(detail),
                leading_log: nullableDetail(inc.explanation?.leading_log?.text),
                severity_reason: nullableDetail(inc.explanation?.severity_reason),
              },
            },
            links: [{ href: link, text: 'Incident explanation' }],
          }
        : {}),
    });
    return { url: r.url, headers: { 'content-type': 'application/json' }, body };
  }
  if (r.type === 'slack') {
    const why = inc.candidates[0]?.reasons.join('; ') ?? '';
    const said = clipText(`${summaryOf(inc, transition, o.note)}\n${why}`, SLACK_TEXT_CHARS);
    const body = JSON.stringify({
      text: `${slackText(said)}\n<${slackText(link)}|Explanation>`,
    });
    return { url: r.url, headers: { 'content-type': 'application/json' }, body };
  }
  const body = JSON.stringify({
    specversion: '1.0',
    id: o.deliveryId,
    source: o.externalUrl,
    type: `io.aiops-worker.incident.${transition}`,
    subject: inc.id,
    time: new Date(o.nowMs).toISOString(),
    datacontenttype: 'application/json',
    data: {
      ...inc,
      link,
      summary: incidentSummary(inc),
      ...(o.note === undefined ? {} : { note: o.note }),
    },
  });
  const headers: Record<string, string> = { 'content-type': 'application/cloudevents+json' };
  if (r.secret) {
    const ts = Math.floor(o.nowMs / 1000);
    headers['webhook-id'] = o.deliveryId;
    headers['webhook-timestamp'] = String(ts);
    headers['webhook-signature'] = signStandardWebhook(r.secret, o.deliveryId, ts, body);
  }
  return { url: r.url, headers, body };
}
