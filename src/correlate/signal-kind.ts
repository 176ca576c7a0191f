/**
 * What kind of signal an anomaly is on, and which way it moved, from the signal's name and
 * value vs expected. A fall in traffic is what a service sees when the one that calls it
 * fails: a symptom, not a cause. The patterns are configurable (`correlate.signals.traffic`,
 * `.errors`, `.latency`: globs with `*`); availability (success ratios, uptime) uses the
 * built-in list. Errors, latency and availability are what users feel: an incident's severity
 * looks at them (severity.ts).
 */
import { glob, globMatches } from '../util/glob.js';

/** A `*` glob, case-insensitive, anchored (src/util/glob.ts; kept here for remediate's hooks). */
export { globMatches };

export type SignalKind = 'traffic' | 'errors' | 'latency' | 'availability' | 'other';

export interface SignalPatterns {
  readonly traffic: readonly string[];
  readonly errors: readonly string[];
  readonly latency: readonly string[];
  /** Success ratios, uptime: a fall is a failure (the built-in list when unset). */
  readonly availability?: readonly string[];
}

export const defaultSignalPatterns: SignalPatterns = {
  traffic: ['*request*', '*requests*', '*_rps', '*throughput*', '*_qps', '*traffic*', '*calls*'],
  errors: ['*error*', '*fail*', '*5xx*', '*4xx*', '*denied*', '*reject*', '*timeout*'],
  latency: ['*latency*', '*duration*', '*p99*', '*p95*', '*response_time*', '*_seconds*'],
  availability: ['*availability*', '*success*', '*uptime*'],
};

/** The patterns `correlate.signals` configures, the built-in list where it sets none. */
export function signalPatternsOf(signals: {
  readonly traffic?: readonly string[] | undefined;
  readonly errors?: readonly string[] | undefined;
  readonly latency?: readonly string[] | undefined;
}): SignalPatterns {
  return {
    traffic: signals.traffic ?? defaultSignalPatterns.traffic,
    errors: signals.errors ?? defaultSignalPatterns.errors,
    latency: signals.latency ?? defaultSignalPatterns.latency,
  };
}

/**
 * Errors and latency win over traffic (`http_requests_failed_total` is an error signal), and
 * traffic over availability (`http_requests_success_total` counts requests).
 */
export function signalKind(signal: string, p: SignalPatterns = defaultSignalPatterns): SignalKind {
  const s = signal.toLowerCase();
  if (p.errors.some((g) => glob(g).testLower(s))) return 'errors';
  if (p.latency.some((g) => glob(g).testLower(s))) return 'latency';
  if (p.traffic.some((g) => glob(g).testLower(s))) return 'traffic';
  const availability = p.availability ?? defaultSignalPatterns.availability ?? [];
  if (availability.some((g) => glob(g).testLower(s))) return 'availability';
  return 'other';
}

/** Errors, latency, availability: what the users of a service feel. */
export const isUserFacing = (kind: SignalKind): boolean =>
  kind === 'errors' || kind === 'latency' || kind === 'availability';

/**
 * How an anomaly bears on an incident: `failure` (errors or latency up, availability down,
 * traffic up, anything else either way), `symptom` (traffic down: the callers failed) or
 * `benign` (errors or latency below normal, availability above: nothing is failing; the
 * correlator leaves it out of incidents).
 */
export type Polarity = 'failure' | 'symptom' | 'benign';

export function polarity(
  a: { readonly signal: string; readonly value: number; readonly expected: number },
  p: SignalPatterns = defaultSignalPatterns,
): Polarity {
  const kind = signalKind(a.signal, p);
  const down = a.value < a.expected;
  if (kind === 'traffic') return down ? 'symptom' : 'failure';
  if (kind === 'errors' || kind === 'latency') return down ? 'benign' : 'failure';
  if (kind === 'availability') return down ? 'failure' : 'benign';
  return 'failure';
}
