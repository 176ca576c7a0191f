/**
 * An incident's severity, by its impact (pure):
 * - `critical`: it spans several services, or one of its services has a user-facing signal
 *   (errors, latency, availability: signal-kind.ts) seen beyond its band at event times a
 *   minute or more apart. A sample stands for the step before it, so two anomalous minutely
 *   samples in a row mean more than a minute outside the band;
 * - `warning` otherwise: a lone spike, however high it scores, or signals users do not feel.
 * Log anomalies are evidence of a cause, not of impact: they never make an incident critical.
 * The correlator keeps the severity from only rising while the incident lives (incidents.ts).
 */
import { anomalyKind, isUserFacing, polarity, type SignalPatterns } from './signal-kind.js';

/** How long a user-facing signal must have been out of its band (event time) to be critical. */
export const SUSTAINED_MS = 60_000;

export type Severity = 'critical' | 'warning';

export interface SeverityAssessment {
  readonly severity: Severity;
  /** Why, in one sentence (receivers and the API show it). */
  readonly reason: string;
}

interface Evidence {
  readonly service: string;
  readonly signal: string;
  readonly ts: number;
  readonly value: number;
  readonly expected: number;
  readonly kind: 'metric' | 'log';
}

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
const span = (ms: number): string =>
  ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
const list = (xs: readonly string[]): string =>
  xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1) ?? ''}`;

export function assessSeverity(
  services: readonly string[],
  timeline: readonly Evidence[],
  patterns?: SignalPatterns,
): SeverityAssessment {
  if (services.length > 1) {
    return {
      severity: 'critical',
      reason: `critical: ${services.length} services are affected (${list([...services].sort())})`,
    };
  }
  // The user-facing anomalies of each service, in time order (the timeline is sorted).
  const byService = new Map<string, Evidence[]>();
  for (const a of timeline) {
    if (a.kind !== 'metric' || polarity(a, patterns) !== 'failure') continue;
    if (!isUserFacing(anomalyKind(a, patterns))) continue;
    const own = byService.get(a.service);
    if (own) own.push(a);
    else byService.set(a.service, [a]);
  }
  let best: { service: string; first: Evidence; last: Evidence } | undefined;
  for (const [service, own] of byService) {
    const first = own.reduce((x, y) => (y.ts < x.ts ? y : x));
    const last = own.reduce((x, y) => (y.ts > x.ts ? y : x));
    if (!best || last.ts - first.ts > best.last.ts - best.first.ts) best = { service, first, last };
  }
  if (best && best.last.ts - best.first.ts >= SUSTAINED_MS) {
    const signals = [...new Set((byService.get(best.service) ?? []).map((a) => a.signal))];
    return {
      severity: 'critical',
      reason:
        `critical: ${best.service}'s ${list(signals)} ${signals.length === 1 ? 'was' : 'were'} beyond ` +
        `${signals.length === 1 ? 'its band' : 'their bands'} from ${clock(best.first.ts)} to ` +
        `${clock(best.last.ts)} (${span(best.last.ts - best.first.ts)})`,
    };
  }
  const service = services[0] ?? '?';
  return {
    severity: 'warning',
    reason: best
      ? `warning: only ${service}, and its ${best.first.signal} has not been seen beyond its band for a minute`
      : `warning: only ${service}, and no signal its users feel (errors, latency, availability) is beyond its band`,
  };
}

/**
 * The rule before severity went by impact, for incidents stored before it (they carry no
 * severity): several services, or a metric anomaly scoring 0.99 or more. Kept so that such an
 * incident's labels, and so its alert, do not change under an upgrade.
 */
export function storedSeverity(
  anomalies: readonly {
    readonly service: string;
    readonly score: number;
    readonly kind?: string;
  }[],
): Severity {
  return new Set(anomalies.map((a) => a.service)).size > 1 ||
    anomalies.some((a) => a.kind !== 'log' && a.score >= 0.99)
    ? 'critical'
    : 'warning';
}

/** The higher of two severities: an incident's severity never falls while it lives. */
export const higher = (a: Severity, b: Severity): Severity =>
  a === 'critical' || b === 'critical' ? 'critical' : 'warning';
