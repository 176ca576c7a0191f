/**
 * A body that is not an OTLP export request at all (bytes that do not decode, JSON of another
 * shape): it will never succeed, so the whole request gets 400. Problems with single data points
 * or log records are rejections counted in `partialSuccess` instead.
 */
export class OtlpFormatError extends Error {
  override name = 'OtlpFormatError';
}

/** What a mapping rejected: per reason (a short metric label), the points or records. */
export interface OtlpRejections {
  readonly byReason: Map<string, number>;
  /** The first message per reason, for the rejection log's examples. */
  readonly examples: Map<string, string>;
  /** The first rejection's message, for `partialSuccess.errorMessage`. */
  first: string | undefined;
  total: number;
  /** Reasons already counted in aiops_ingest_rejected_total elsewhere (series limits). */
  readonly counted: Set<string>;
}

export const newRejections = (): OtlpRejections => ({
  byReason: new Map(),
  examples: new Map(),
  first: undefined,
  total: 0,
  counted: new Set(),
});

export function addRejection(
  r: OtlpRejections,
  reason: string,
  message: string,
  n = 1,
  count = true,
): void {
  if (n <= 0) return;
  if (!count) r.counted.add(reason);
  r.byReason.set(reason, (r.byReason.get(reason) ?? 0) + n);
  if (!r.examples.has(reason)) r.examples.set(reason, message);
  r.first ??= message;
  r.total += n;
}

/** The `errorMessage` of a partial success: the count, then the first rejection's message. */
export function rejectionSummary(r: OtlpRejections, what: string, kept: number): string {
  const reasons = [...r.byReason].map(([k, n]) => `${k}: ${n}`).join(', ');
  return `${r.total} ${what} rejected (${reasons}); ${kept} accepted; the first: ${r.first ?? ''}`;
}

/**
 * A request past the size limits (data points or log records per request, values per body):
 * 413, the sender should split it.
 */
export class OtlpTooLargeError extends Error {
  override name = 'OtlpTooLargeError';
}
