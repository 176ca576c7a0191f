/**
 * Folds a finished list of anomalies into incidents, in event-time order (replay, tests):
 * every incident that opened, in its final form, ordered by opening time. In event-time order
 * every anomaly stamped before a deadline is folded before time passes it, logs and metrics
 * alike: replay is aligned by construction (the live correlator has to measure it).
 */
import type { AnomalyEvent } from '../queues/contract.js';
import {
  emptyCorrelatorState,
  type Correlator,
  type Incident,
  type IncidentEvent,
  type IncidentAnomaly,
} from './incidents.js';

export function toIncidentAnomaly(a: AnomalyEvent): IncidentAnomaly {
  return {
    id: a.id,
    kind: a.kind === 'log' ? 'log' : 'metric',
    ...(a.level === undefined ? {} : { level: a.level }),
    ...(a.template === undefined ? {} : { template: a.template }),
    ...(a.examples === undefined ? {} : { examples: a.examples.slice(0, 3) }),
    series: a.series,
    service: a.service,
    signal: a.signal,
    labels: a.labels,
    ts: a.ts,
    value: a.value,
    expected: a.expected,
    lower: a.lower,
    upper: a.upper,
    score: a.score,
    detector: a.detector,
  };
}

/**
 * `onEvents` is told of every transition as it happens, with the event time it happened at
 * (replay's hooks decide on them). `serviceSince`: each service's first record (event time),
 * from which it is learning for `correlate.learning_ms`; a service not in it is not learning.
 */
export function foldAll(
  correlator: Correlator,
  anomalies: readonly AnomalyEvent[],
  onEvents?: (events: readonly IncidentEvent[], now: number) => void,
  serviceSince?: ReadonlyMap<string, number>,
): Incident[] {
  const state = emptyCorrelatorState();
  const seen = new Map<string, Incident>();
  const sorted = [...anomalies].sort((a, b) => a.ts - b.ts || a.id.localeCompare(b.id));
  const keep = (events: ReturnType<Correlator['advance']>): void => {
    onEvents?.(events, state.now);
    for (const e of events) if (e.type !== 'dropped') seen.set(e.incident.id, e.incident);
  };
  for (const a of sorted) {
    keep(correlator.fold(state, toIncidentAnomaly(a), Infinity, serviceSince?.get(a.service)));
  }
  // Let candidates still settling at the end of the input decide.
  if (sorted.length > 0)
    keep(correlator.advance(state, state.watermark + settleOf(correlator) + 1));
  return [...seen.values()]
    .filter((i) => i.opened_at !== null)
    .sort((a, b) => (a.opened_at ?? 0) - (b.opened_at ?? 0) || a.id.localeCompare(b.id));
}

const settleOf = (c: Correlator): number => c.settings.settle_ms;
