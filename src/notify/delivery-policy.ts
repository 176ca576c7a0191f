/**
 * How long and how often a delivery to a direct receiver is retried (pure).
 *
 * A receiver can be down for hours (a PagerDuty incident of its own, a Slack outage, a proxy
 * being replaced). A page must outlive that: a delivery is retried with exponential backoff
 * from `notify.retry_backoff_ms`, capped at `notify.retry_max_backoff_ms`, for
 * `notify.retry_for_ms` (24 h by default) after it was queued; then it is dead-lettered
 * (src/queues/dead-letters.ts). A receiver's `Retry-After` is honoured (within the time left). Attempts
 * are not counted: the time bounds them.
 */

export interface DeliveryPolicy {
  /** The first retry's delay; it doubles per attempt. */
  readonly backoffMs: number;
  /** The longest delay between two attempts. */
  readonly maxBackoffMs: number;
  /** How long after it was queued a delivery is still tried. */
  readonly retryForMs: number;
}

/**
 * BullMQ counts attempts; the policy bounds deliveries by time (`gaveUp`). This bound only
 * keeps a job's attempt counter finite: at the 1 s minimum backoff it outlasts 100 days.
 */
export const DELIVERY_ATTEMPTS = 10_000_000;

/** The delay before the next attempt, after `attemptsMade` failed ones (1 = the first). */
export function retryDelayMs(
  p: DeliveryPolicy,
  attemptsMade: number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined && retryAfterMs > 0) return Math.min(retryAfterMs, p.retryForMs);
  const exp = Math.min(Math.max(0, attemptsMade - 1), 52);
  return Math.min(p.maxBackoffMs, p.backoffMs * 2 ** exp);
}

/** Whether a delivery queued at `queuedAt` is past its time at `now`. */
export const gaveUp = (p: DeliveryPolicy, queuedAt: number, now: number): boolean =>
  now - queuedAt >= p.retryForMs;

/** The policy from the config's `notify` section. */
export const deliveryPolicy = (n: {
  readonly retry_backoff_ms: number;
  readonly retry_max_backoff_ms: number;
  readonly retry_for_ms: number;
}): DeliveryPolicy => ({
  backoffMs: n.retry_backoff_ms,
  maxBackoffMs: Math.max(n.retry_backoff_ms, n.retry_max_backoff_ms),
  retryForMs: n.retry_for_ms,
});
