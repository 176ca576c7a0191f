/**
 * What kind of signal an anomaly is on, and which way it moved, from the signal's name and
 * value vs expected. A fall in traffic is what a service sees when the one that calls it
 * fails: a symptom, not a cause. The patterns are configurable (`correlate.traffic_signals`,
 * `correlate.error_signals`, `correlate.latency_signals`: globs with `*`).
 */
import { glob, globMatches } from '../util/glob.js';

/** A `*` glob, case-insensitive, anchored (src/util/glob.ts; kept here for remediate's hooks). */
export { globMatches };

export type SignalKind = 'traffic' | 'errors' | 'latency' | 'other';

export interface SignalPatterns {
  readonly traffic: readonly string[];
  readonly errors: readonly string[];
  readonly latency: readonly string[];
}

export const defaultSignalPatterns: SignalPatterns = {
  traffic: ['*request*', '*requests*', '*_rps', '*throughput*', '*_qps', '*traffic*', '*calls*'],
  errors: ['*error*', '*fail*', '*5xx*', '*4xx*', '*denied*', '*reject*', '*timeout*'],
  latency: ['*latency*', '*duration*', '*p99*', '*p95*', '*response_time*', '*_seconds*'],
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

/** Errors and latency win over traffic: `http_requests_failed_total` is an error signal. */
export function signalKind(signal: string, p: SignalPatterns = defaultSignalPatterns): SignalKind {
  const s = signal.toLowerCase();
  if (p.errors.some((g) => glob(g).testLower(s))) return 'errors';
  if (p.latency.some((g) => glob(g).testLower(s))) return 'latency';
  if (p.traffic.some((g) => glob(g).testLower(s))) return 'traffic';
  return 'other';
}

/**
 * How an anomaly bears on an incident: `failure` (errors or latency up, traffic up, anything
 * else either way), `symptom` (traffic down: the callers failed) or `benign` (errors or
 * latency below normal: nothing is failing; the correlator leaves it out of incidents).
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
  return 'failure';
}
