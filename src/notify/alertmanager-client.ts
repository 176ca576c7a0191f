/**
 * Posts alerts to every configured Alertmanager (`POST /api/v2/alerts`), each on its own: the
 * API wants every replica told directly, never through a load balancer. A failure of one does
 * not stop the others; each outcome is returned (the caller counts and logs).
 */
import { alertmanagerBaseUrl } from '../config/alertmanager-url.js';
import type { AlertmanagerAlert } from './alertmanager-alerts.js';

export type DeliveryOutcome = 'sent' | 'retryable' | 'rejected';

export interface DeliveryResult {
  readonly target: string;
  readonly outcome: DeliveryOutcome;
  readonly detail: string;
}

export async function postAlerts(
  urls: readonly string[],
  alerts: readonly AlertmanagerAlert[],
  timeoutMs = 10_000,
): Promise<DeliveryResult[]> {
  const body = JSON.stringify(alerts);
  return Promise.all(
    urls.map(async (url): Promise<DeliveryResult> => {
      // The config gives base URLs (it cuts an `/api/v2/alerts` a user left on, with a note).
      const target = `${alertmanagerBaseUrl(url)}/api/v2/alerts`;
      try {
        const res = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (res.ok) return { target, outcome: 'sent', detail: String(res.status) };
        const text = (await res.text()).slice(0, 200);
        // 5xx and 429 may succeed later; any other 4xx never will.
        const outcome = res.status >= 500 || res.status === 429 ? 'retryable' : 'rejected';
        return { target, outcome, detail: `${res.status} ${text}` };
      } catch (err) {
        return { target, outcome: 'retryable', detail: (err as Error).message };
      }
    }),
  );
}
