/**
 * Standard Webhooks signing (standardwebhooks.com): the `webhook-signature` of a delivery, which
 * receivers verify with the shared secret. Used by the webhook receivers and by remediation's
 * `http` action alike, so both are verified the same way.
 */
import { createHmac } from 'node:crypto';

/** Standard Webhooks signature of `body` (base64 HMAC-SHA256 with the decoded `whsec_` secret). */
export function signStandardWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
