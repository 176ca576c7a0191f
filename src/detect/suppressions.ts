/**
 * Suppressions: what on-call marked as a false positive and does not want flagged again. A
 * suppression names a `*` glob (case-insensitive) matched against an anomaly's signal name and
 * against its series key (`http_error_ratio`, or `http_error_ratio{*path="/login"*}`), and a
 * service (null: any). A matching sample is still learned from and shown on the score board (its
 * value is unusual); it only emits no anomaly event. Pure: the live workers, the log stage and
 * `replay` all match with `suppressionCheck`.
 */
import { glob } from '../util/glob.js';

export interface Suppression {
  /** Random, URL-safe. */
  readonly id: string;
  /** The service it applies to; null for any service. */
  readonly service: string | null;
  /** A `*` glob, matched case-insensitively against the signal name and the series key. */
  readonly pattern: string;
  /** ms since the epoch. */
  readonly created_at: number;
  /** Event time (ms) from which it no longer matches; null: never expires. */
  readonly expires_at: number | null;
  readonly created_by: string;
  readonly note: string;
  /** The incident whose false-positive feedback created it, if any. */
  readonly incident: string | null;
}

/** Whether a sample of `service`'s `signal` (series `seriesKey`) at event time `ts` is suppressed. */
export type SuppressedCheck = (
  service: string,
  signal: string,
  seriesKey: string,
  ts: number,
) => boolean;

/** Still in force at `ts` (ms)? */
export const isActive = (s: Pick<Suppression, 'expires_at'>, ts: number): boolean =>
  s.expires_at === null || ts < s.expires_at;

/**
 * The check for `list`, or undefined when the list is empty (so scoring skips it entirely).
 * Service names compare exactly; the pattern is a glob over the signal or the series key.
 */
export function suppressionCheck(list: readonly Suppression[]): SuppressedCheck | undefined {
  if (list.length === 0) return undefined;
  const compiled = list.map((s) => ({
    service: s.service,
    glob: glob(s.pattern),
    expiresAt: s.expires_at ?? Number.POSITIVE_INFINITY,
  }));
  return (service, signal, seriesKey, ts) => {
    // Lower-cased once for all the suppressions, and only when one is in force for the service.
    let sig: string | undefined;
    let key: string | undefined;
    return compiled.some(
      (c) =>
        ts < c.expiresAt &&
        (c.service === null || c.service === service) &&
        (c.glob.testLower((sig ??= signal.toLowerCase())) ||
          c.glob.testLower((key ??= seriesKey.toLowerCase()))),
    );
  };
}
