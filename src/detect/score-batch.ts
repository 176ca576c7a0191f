/**
 * The pure core of the detect stage: score a batch of samples given the series states.
 * Deterministic in its inputs; no Redis, queue or clock. The live worker and `replay` both
 * call it, so replay equals live by construction.
 */
import type { Detector, DetectorResult } from '../../detectors/contract.js';
import type { AnomalyEvent, SeriesMeta } from '../queues/contract.js';
import { fnv1a32 } from '../queues/partition.js';
import { counterToRate } from './counter-rate.js';
import { HISTORY_STEP_MS } from './history-points.js';
import type { SeriesState } from './series-state.js';
import type { SuppressedCheck } from './suppressions.js';

export interface ColumnarSamples {
  readonly series: readonly SeriesMeta[];
  readonly idx: ArrayLike<number>;
  readonly ts: ArrayLike<number>;
  readonly val: ArrayLike<number>;
}

/** The latest score of a series within the batch (for /metrics). */
export interface LatestScore {
  readonly series: SeriesMeta;
  readonly ts: number;
  readonly value: number;
  readonly score: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly learning: boolean;
}

export interface BatchOutcome {
  /** Samples taken into a detector. */
  taken: number;
  /** Ignored: timestamp not newer than the last taken for the series. */
  notNewer: number;
  /** Ignored: NaN or infinite. */
  invalid: number;
  /** First sample of a counter: learned, but no rate yet to score. */
  counterPrimed: number;
  /** Samples of a service in a maintenance window. */
  paused: number;
  /** Samples that scored as anomalies but match a suppression: learned, shown, not emitted. */
  suppressed: number;
  readonly anomalies: AnomalyEvent[];
  /** The anomaly events a suppression held back (the live worker counts them per service). */
  readonly suppressedAnomalies: AnomalyEvent[];
  /** Keyed by series index within the batch. */
  readonly latest: Map<number, LatestScore>;
  /**
   * The last score of each minute of event time that a later sample of the same series closed
   * within this batch, in event-time order: with `latest`, what the series history keeps (one
   * point per minute) when a batch spans many minutes (a backfill, a replay). Filled only with
   * `ScoringOptions.keepStepEnds`: one entry per series per minute, it would otherwise grow
   * without bound over a replay that scores a whole input into one outcome.
   */
  readonly stepEnds: LatestScore[];
  /** Series indices whose state changed. */
  readonly touched: Set<number>;
}

/** The series history's step (history-points.ts), the unit `stepEnds` closes. */
const STEP_MS = HISTORY_STEP_MS;

export function emptyOutcome(): BatchOutcome {
  return {
    taken: 0,
    notNewer: 0,
    invalid: 0,
    counterPrimed: 0,
    paused: 0,
    suppressed: 0,
    anomalies: [],
    suppressedAnomalies: [],
    latest: new Map(),
    stepEnds: [],
    touched: new Set(),
  };
}

/** Sample positions ordered by event time (stable), so each series is fed in order. */
export function eventTimeOrder(ts: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(ts.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => (ts[a] ?? 0) - (ts[b] ?? 0) || a - b);
}

export function anomalyId(seriesKey: string, ts: number): string {
  return `${fnv1a32(seriesKey).toString(16)}-${ts}`;
}

/**
 * Scores samples `order[from..to)` into `out`. `detectorOf(i)` is the detector of series index
 * i and `stateOf(i)` its mutable state (the caller loads or creates it).
 */
/** How samples become anomaly events and /metrics scores. */
export interface ScoringOptions {
  /** A score at or above this is an anomaly event. */
  readonly threshold: number;
  /**
   * /metrics shows the highest anomalous score (>= threshold) of the last `holdMs` of event
   * time: detectors that score an onset once (the ensemble) still read as anomalous while the
   * event lasts.
   */
  readonly holdMs: number;
  /**
   * True while a service is in a maintenance window: its samples are neither learned from nor
   * scored (counted as `paused`; a counter still moves on, so its next rate is right).
   */
  readonly paused?: ((service: string, ts: number) => boolean) | undefined;
  /**
   * True when an anomaly of this service, signal and series at this event time matches a
   * suppression (detect/suppressions.ts): the sample is learned from and shown on the board as
   * usual, but emits no anomaly event (counted as `suppressed`).
   */
  readonly suppressed?: SuppressedCheck | undefined;
  /**
   * Collect `BatchOutcome.stepEnds` (default false): only a caller that writes the series
   * history (detect/series-history.ts) needs them.
   */
  readonly keepStepEnds?: boolean | undefined;
  /**
   * Confirm persistence (the metric path: true): an anomaly whose series' next sample, within
   * `holdMs`, is still beyond the band's edge it crossed emits one more event at that sample,
   * at the anomaly's score. Detectors that score an onset once (the ensemble) would otherwise
   * show a fault that lasts and a one-sample blip alike; the correlator opens an incident only
   * on evidence at two sample times (correlate/incidents.ts).
   */
  readonly confirm?: boolean | undefined;
}

export function scoreSlice<S>(
  detectorOf: (seriesIndex: number) => Detector<S>,
  { threshold, holdMs, paused, suppressed, keepStepEnds = false, confirm = false }: ScoringOptions,
  batch: ColumnarSamples,
  order: Uint32Array,
  from: number,
  to: number,
  stateOf: (seriesIndex: number) => SeriesState<S>,
  out: BatchOutcome,
  /**
   * Optional: false when sample i's score must not count (too little evidence behind it, say);
   * the sample is still learned from, but scores 0 for /metrics, holds and anomalies.
   */
  gate?: (i: number, value: number, r: DetectorResult) => boolean,
): void {
  for (let k = from; k < to; k++) {
    const i = order[k] ?? 0;
    const si = batch.idx[i] ?? 0;
    const meta = batch.series[si];
    if (!meta) continue;
    const t = batch.ts[i] ?? Number.NaN;
    const raw = batch.val[i] ?? Number.NaN;
    const state = stateOf(si);
    if (paused?.(meta.service, t)) {
      if (meta.counter && Number.isFinite(t) && Number.isFinite(raw) && t > state.counter.prevTs) {
        counterToRate(state.counter, t, raw);
        out.touched.add(si);
      }
      out.paused += 1;
      continue;
    }
    let v = raw;
    if (meta.counter) {
      if (!Number.isFinite(t) || !Number.isFinite(raw)) {
        out.invalid += 1;
        continue;
      }
      if (t <= state.counter.prevTs) {
        out.notNewer += 1;
        continue;
      }
      const rate = counterToRate(state.counter, t, raw);
      if (rate === undefined) {
        out.counterPrimed += 1;
        out.touched.add(si);
        continue;
      }
      v = rate;
    }
    const detector = detectorOf(si);
    const scored = detector.update(state.det, t, v);
    const r = gate && scored.score > 0 && !gate(i, v, scored) ? { ...scored, score: 0 } : scored;
    if (r.outcome === 'not_newer') {
      out.notNewer += 1;
      continue;
    }
    if (r.outcome === 'invalid') {
      out.invalid += 1;
      continue;
    }
    out.taken += 1;
    out.touched.add(si);
    // Hold anomalies (scores at or above the threshold), not the maxima of ordinary noise.
    const peak = state.peak;
    if (r.score >= threshold) {
      // Any anomalous score restarts the hold; the held value is the highest since the hold
      // began (a little longer than strictly needed, never shorter).
      peak.score = t - peak.ts > holdMs ? r.score : Math.max(peak.score, r.score);
      peak.ts = t;
    }
    const held = t - peak.ts <= holdMs ? peak.score : 0;
    if (keepStepEnds) {
      const before = out.latest.get(si);
      if (before && Math.floor(before.ts / STEP_MS) !== Math.floor(t / STEP_MS)) {
        out.stepEnds.push(before);
      }
    }
    out.latest.set(si, {
      series: meta,
      ts: t,
      value: v,
      score: Math.max(r.score, held),
      expected: r.expected,
      lower: r.lower,
      upper: r.upper,
      learning: r.learning,
    });
    if (r.learning) continue;
    const pending = state.pending;
    if (r.score >= threshold) {
      emitAnomaly(out, suppressed, meta, detector.name, t, v, r, r.score);
      if (confirm) {
        const up = v >= r.expected;
        const edge = up ? r.upper : r.lower;
        pending.ts = t;
        pending.edge = Number.isFinite(edge) ? edge : r.expected;
        pending.dir = up ? 1 : -1;
        pending.score = r.score;
      }
    } else if (confirm && pending.ts !== Number.NEGATIVE_INFINITY) {
      // The sample after an anomaly: still beyond the edge the anomaly crossed, within the
      // hold, it confirms the anomaly persisted (one more event, at the anomaly's score); back
      // inside, the anomaly was a single sample. Either way only this next sample is looked at.
      const beyond = pending.dir > 0 ? v > pending.edge : v < pending.edge;
      if (beyond && t - pending.ts <= holdMs) {
        emitAnomaly(out, suppressed, meta, detector.name, t, v, r, pending.score);
      }
      pending.ts = Number.NEGATIVE_INFINITY;
    }
  }
}

/** One anomaly event, or a suppressed one when a suppression matches it. */
function emitAnomaly(
  out: BatchOutcome,
  suppressed: SuppressedCheck | undefined,
  meta: SeriesMeta,
  detectorName: string,
  t: number,
  v: number,
  r: DetectorResult,
  score: number,
): void {
  const isSuppressed = suppressed?.(meta.service, meta.metric, meta.key, t) === true;
  if (isSuppressed) out.suppressed += 1;
  (isSuppressed ? out.suppressedAnomalies : out.anomalies).push({
    id: anomalyId(meta.key, t),
    kind: 'metric',
    series: meta.key,
    service: meta.service,
    signal: meta.metric,
    labels: meta.labels,
    ts: t,
    value: v,
    expected: r.expected,
    lower: r.lower,
    upper: r.upper,
    score,
    detector: detectorName,
  });
}
