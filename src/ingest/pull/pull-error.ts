/**
 * Why a pull (a query_range call or a scrape) failed, as a bounded `reason` for metrics.
 * Pull failures are never thrown out of a run: they are logged, counted, and the next run
 * tries again.
 */
export const PullFailure = {
  /** No answer within the timeout. */
  Timeout: 'timeout',
  /** Connection refused, DNS, reset. */
  Network: 'network',
  /** A non-2xx HTTP status without a Prometheus API error body. */
  HttpStatus: 'http_status',
  /** Prometheus answered `status: "error"` (bad query, too many points, timeout inside). */
  ApiError: 'api_error',
  /** A 2xx answer that is not what the API or the exposition formats promise. */
  BadResponse: 'bad_response',
  /** A scrape body larger than the limit. */
  TooLarge: 'too_large',
  /** The samples could not be queued (Redis). */
  QueueUnavailable: 'queue_unavailable',
  /** The run lock expired mid-run and another run may hold it: this run stops. */
  LockLost: 'lock_lost',
} as const;
export type PullFailure = (typeof PullFailure)[keyof typeof PullFailure];

export class PullError extends Error {
  readonly reason: PullFailure;
  constructor(reason: PullFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PullError';
    this.reason = reason;
  }
}

/** A fetch failure as a PullError (AbortSignal.timeout aborts with a TimeoutError). */
export function fetchFailure(err: unknown, what: string, timeoutMs: number): PullError {
  if (err instanceof PullError) return err;
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new PullError('timeout', `${what} gave no answer within ${timeoutMs} ms`, {
      cause: err,
    });
  }
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const message = err instanceof Error ? err.message : String(err);
  return new PullError('network', `${what} failed: ${message}${cause}`, { cause: err });
}
