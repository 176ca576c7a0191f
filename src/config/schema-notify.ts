/** `notify`: incidents sent to Alertmanager and to direct receivers. */
import { z } from 'zod';
import { durationMs } from './schema-common.js';

const receiver = z.strictObject({
  name: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,64}$/)
    .describe('Names the receiver in logs and metrics; unique.'),
  type: z.enum(['webhook', 'pagerduty', 'slack']).describe('How the receiver is spoken to.'),
  url: z.url().describe('Webhook or Slack URL; for PagerDuty the Events API v2 endpoint.'),
  secret: z
    .string()
    .min(1)
    .optional()
    .describe('Webhook signing secret (`whsec_<base64>`, Standard Webhooks).'),
  routing_key: z
    .string()
    .min(1)
    .optional()
    .describe('PagerDuty integration key; a pagerduty receiver needs one.'),
  severities: z
    .array(z.enum(['critical', 'warning']))
    .default([])
    .describe('Only these severities; all when empty.'),
  services: z
    .array(z.string().min(1))
    .default([])
    .describe('Only incidents touching these services; all when empty.'),
  repeat_interval_ms: durationMs
    .min(60_000)
    .optional()
    .describe('Remind this often while an incident stays open and unacknowledged.'),
});

/** Receiver names must differ; a pagerduty receiver needs its key. */
function receiverIssues(
  receivers: readonly z.output<typeof receiver>[],
  ctx: z.RefinementCtx,
): void {
  const names = new Set<string>();
  receivers.forEach((r, i) => {
    if (names.has(r.name)) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        message: `another receiver is named "${r.name}"`,
      });
    }
    names.add(r.name);
    if (r.type === 'pagerduty' && !r.routing_key) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'routing_key'],
        message: 'a pagerduty receiver needs its integration key',
      });
    }
  });
}

export const notifySchema = z
  .strictObject({
    alertmanagers: z
      .array(z.url())
      .default([])
      .describe(
        'Alertmanager base URLs, every replica (never a load balancer): `http://am-0:9093`.',
      ),
    external_url: z
      .url()
      .default('http://127.0.0.1:9470')
      .describe(
        'How on-call reaches this worker: alerts and notifications link to the incident page, /incidents/ID, under it.',
      ),
    runbook_url: z
      .url()
      .optional()
      .describe('Added to every alert as the `runbook_url` annotation.'),
    resend_ms: durationMs
      .min(1000)
      .default(60_000)
      .describe('Open incidents are re-sent this often (Alertmanager expects 30 s to 3 min).'),
    resolved_resend_ms: durationMs
      .default(5 * 60_000)
      .describe(
        'Resolved incidents are re-sent this long, so a restarted Alertmanager learns of them.',
      ),
    retry_for_ms: durationMs
      .min(1000)
      .default(86_400_000)
      .describe(
        'A delivery to a direct receiver is retried this long after it was queued (a page must outlive a receiver outage), then dead-lettered.',
      ),
    retry_backoff_ms: durationMs
      .min(100)
      .default(1000)
      .describe("A delivery's first retry delay; it doubles on each attempt."),
    retry_max_backoff_ms: durationMs
      .min(100)
      .default(300_000)
      .describe('The longest delay between two attempts of a delivery.'),
    receivers: z
      .array(receiver)
      .superRefine(receiverIssues)
      .default([])
      .describe(
        'Direct receivers: each incident transition (opened, acknowledged, reopened, resolved).',
      ),
  })
  .prefault({})
  .describe('Notification of incidents.');
