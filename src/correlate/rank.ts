/**
 * Root-cause ranking: scores each service of an incident from its evidence and says why, in
 * words an on-call engineer can check against the timeline. Pure.
 *
 * Evidence, and its weight in the score:
 * - position (0.3): its own dependencies are healthy (a dependency that shows only a traffic
 *   drop counts as healthy: that is a symptom of this service failing, not a cause; errors or
 *   latency below normal never count as failing);
 * - reach (0.3): the share of the incident's other services that depend on it, directly or
 *   through others (a cause upstream explains the symptoms downstream);
 * - onset (0.25): how soon after the incident's first cause-like anomaly its own began
 *   (exp(-delay / 2 min));
 * - log evidence (0.1): an error-log anomaly (a new or surging error template) on it;
 * - strength (0.05): its highest anomaly score.
 * A service whose anomalies are all traffic drops scores a fifth: that is what callers of a
 * failed service see. Confidence is the squared score's share among the candidates.
 */
import type { ServiceGraph } from './graph.js';
import { polarity, type SignalPatterns } from './signal-kind.js';

export interface RankedAnomaly {
  readonly service: string;
  readonly signal: string;
  readonly ts: number;
  readonly score: number;
  readonly value: number;
  readonly expected: number;
  /** 'log' for log-template anomalies (issue 5); metric otherwise. */
  readonly kind: 'metric' | 'log';
  readonly level?: string;
}

export interface RootCauseCandidate {
  readonly service: string;
  /** The signal that turned first on this service. */
  readonly signal: string;
  readonly confidence: number;
  readonly score: number;
  readonly reasons: readonly string[];
}

const ONSET_SCALE_MS = 120_000;
const SYMPTOM_FACTOR = 0.2;

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
const seconds = (ms: number): string =>
  ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
const list = (xs: readonly string[]): string =>
  xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1) ?? ''}`;

export function rankRootCauses(
  anomalies: readonly RankedAnomaly[],
  graph: ServiceGraph,
  patterns?: SignalPatterns,
  /**
   * When set, the services whose own evidence would open an incident: the others (grouped by
   * time alone, with no graph to place them) score a fifth, as symptoms do.
   */
  corroborated?: ReadonlySet<string>,
): RootCauseCandidate[] {
  const byService = new Map<string, RankedAnomaly[]>();
  for (const a of anomalies) {
    const list0 = byService.get(a.service);
    if (list0) list0.push(a);
    else byService.set(a.service, [a]);
  }
  // Sorted, so the ranking (and its float sums) does not depend on arrival order.
  const services = [...byService.keys()].sort();
  const causeLike = new Map<string, RankedAnomaly[]>();
  for (const [s, as] of byService) {
    const causes = as.filter((a) => polarity(a, patterns) === 'failure');
    causeLike.set(s, causes);
  }
  const sick = new Set(services.filter((s) => (causeLike.get(s)?.length ?? 0) > 0));
  const onsetOf = (s: string): RankedAnomaly => {
    const pool = sick.has(s) ? (causeLike.get(s) ?? []) : (byService.get(s) ?? []);
    return pool.reduce((a, b) => (b.ts < a.ts || (b.ts === a.ts && b.score > a.score) ? b : a));
  };
  const firstOnset = Math.min(...[...(sick.size > 0 ? sick : services)].map((s) => onsetOf(s).ts));

  const scored = services.map((s) => {
    const reasons: string[] = [];
    const first = onsetOf(s);
    const delay = first.ts - firstOnset;
    const onset = Math.exp(-Math.max(0, delay) / ONSET_SCALE_MS);
    if (delay <= 0) reasons.push(`first to turn anomalous (${first.signal} at ${clock(first.ts)})`);
    else reasons.push(`turned anomalous ${seconds(delay)} after the first (${first.signal})`);

    const sickDeps = graph.dependencies(s).filter((d) => sick.has(d));
    const position = sickDeps.length === 0 ? 1 : 0;
    if (graph.dependencies(s).length === 0) reasons.push('it depends on no other service');
    else if (sickDeps.length === 0)
      reasons.push(`its dependencies are healthy (${list(graph.dependencies(s))})`);
    else
      reasons.push(
        `it depends on ${list(sickDeps)}, which ${sickDeps.length === 1 ? 'is' : 'are'} failing too`,
      );

    const others = services.filter((x) => x !== s);
    const downstream = others.filter((x) => graph.transitiveDependents(s).has(x));
    const reach = others.length === 0 ? 1 : downstream.length / others.length;
    if (downstream.length > 0)
      reasons.push(`${list(downstream)} depend${downstream.length === 1 ? 's' : ''} on it`);

    const as = byService.get(s) ?? [];
    const logs = as.some(
      (a) => a.kind === 'log' && (a.level === undefined || /err|crit|fatal/i.test(a.level)),
    );
    if (logs) reasons.push('error logs turned anomalous on it');
    const strength = Math.max(...as.map((a) => a.score));

    let score =
      0.3 * position + 0.3 * reach + 0.25 * onset + 0.1 * (logs ? 1 : 0) + 0.05 * strength;
    if (!sick.has(s)) {
      score *= SYMPTOM_FACTOR;
      reasons.push('only its traffic fell: a symptom of its callers failing, not a cause');
    } else if (corroborated && !corroborated.has(s)) {
      score *= SYMPTOM_FACTOR;
      reasons.push('its own anomalies are too few to say it failed (grouped by time alone)');
    }
    return { service: s, signal: first.signal, score, reasons };
  });
  const total = scored.reduce((sum, c) => sum + c.score * c.score, 0);
  return scored
    .map((c) => ({ ...c, confidence: total > 0 ? (c.score * c.score) / total : 0 }))
    .sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
}
