/**
 * Closing a service's count buckets (log-analysis.ts): each template's count and the bucket's
 * error ratio become samples of the template's and the service's detector series, and what the
 * detectors flag becomes log anomaly events.
 */
import type { Detector } from '../../detectors/contract.js';
import { HISTORY_STEP_MS } from '../detect/history-points.js';
import { emptyOutcome, scoreSlice, type LatestScore } from '../detect/score-batch.js';
import type { SeriesState } from '../detect/series-state.js';
import type { SeriesMeta } from '../queues/contract.js';
import { isErrorLevel, levelRank } from './levels.js';
import { clip, TEMPLATE_CHARS, type LogOutcome } from './log-outcome.js';
import {
  ERROR_RATIO_ID,
  LogSignals,
  seriesOf,
  type LogAnalysisSettings,
  type LogSeries,
  type ServiceLogState,
} from './log-service-state.js';
import { poissonBand } from './poisson-band.js';

/** A template's rate is an exponentially weighted mean over about this long. */
const RATE_WINDOW_MS = 3_600_000;

const isLive = (s: ServiceLogState, id: number): boolean =>
  s.miner.resolve(id) === id && s.miner.get(id) !== undefined;

/**
 * Forgets what merged or evicted templates left behind. A merged template's rate and level pass
 * on to the template it merged into: that one now counts its lines too, and its rate must say
 * so, or the merge itself reads as a surge.
 */
function forgetGone(settings: LogAnalysisSettings, s: ServiceLogState, out: LogOutcome): void {
  for (const [id, series] of [...s.series]) {
    if (id === ERROR_RATIO_ID || isLive(s, id)) continue;
    const live = s.miner.resolve(id);
    if (isLive(s, live) && !Number.isNaN(series.rate)) {
      const into = seriesOf(s, live, settings);
      into.rate = (Number.isNaN(into.rate) ? 0 : into.rate) + series.rate;
      into.lastActive = Math.max(into.lastActive, series.lastActive);
    }
    out.droppedSeries.push(series.meta.key);
    s.series.delete(id);
  }
  for (const [id, level] of [...s.levels]) {
    if (isLive(s, id)) continue;
    const live = s.miner.resolve(id);
    const kept = s.levels.get(live);
    if (isLive(s, live) && (kept === undefined || levelRank(level) > levelRank(kept))) {
      s.levels.set(live, level);
    }
    s.levels.delete(id);
  }
  for (const id of [...s.examples.keys()]) if (!isLive(s, id)) s.examples.delete(id);
}

/** What a template series' sample stood for, in lines (the detectors see the excess). */
interface InLines {
  readonly lines: number;
  readonly rate: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * Closes the open bucket (and the empty ones up to `next`). Each template's count is one
 * sample; its detectors see the excess over the band Poisson noise around the template's rate
 * explains (at least `minLines - 1` wide): a sparse template's odd line is no surge, and does
 * not start a detector's refractory period. A template without lines for `maxGapBuckets`
 * buckets is idle: its empty buckets are not scored until it logs again.
 */
export function closeBuckets(
  settings: LogAnalysisSettings,
  s: ServiceLogState,
  next: number,
  out: LogOutcome,
): void {
  const { bucketMs, minLines } = settings;
  // Merged templates count under the id they now live under; evicted ones are gone.
  const counts = new Map<number, number>();
  for (const [id, n] of s.counts) {
    const live = s.miner.resolve(id);
    if (isLive(s, live)) counts.set(live, (counts.get(live) ?? 0) + n);
  }
  forgetGone(settings, s, out);
  const templateIds = new Set<number>(counts.keys());
  for (const id of s.series.keys()) if (id !== ERROR_RATIO_ID) templateIds.add(id);

  const buckets = Math.min((next - s.bucketStart) / bucketMs, settings.maxGapBuckets + 1);
  const idleAfter = settings.maxGapBuckets * bucketMs;
  const alpha = Math.min(1, bucketMs / RATE_WINDOW_MS);
  const metas: SeriesMeta[] = [];
  const states: SeriesState<unknown>[] = [];
  const detectors: Detector<unknown>[] = [];
  const idx: number[] = [];
  const ts: number[] = [];
  const val: number[] = [];
  const inLines = new Map<string, InLines>();
  let scoredIds = out.touchedSeries.get(s.service);
  if (scoredIds === undefined) {
    scoredIds = new Set();
    out.touchedSeries.set(s.service, scoredIds);
  }
  const addSeries = (id: number, series: LogSeries): number => {
    scoredIds.add(id);
    metas.push(series.meta);
    states.push(series.state);
    detectors.push(series.detector);
    return metas.length - 1;
  };
  for (const id of templateIds) {
    const series = seriesOf(s, id, settings);
    let si = -1;
    for (let k = 0; k < buckets; k++) {
      const t = s.bucketStart + (k + 1) * bucketMs;
      const lines = k === 0 ? (counts.get(id) ?? 0) : 0;
      if (lines === 0 && t - series.lastActive > idleAfter) break;
      const rate = series.rate;
      const [poissonLo, poissonHi] = poissonBand(Number.isNaN(rate) ? 0 : rate);
      const hi = Math.max(poissonHi, minLines - 1);
      const lo = Math.min(poissonLo, hi);
      if (si < 0) si = addSeries(id, series);
      idx.push(si);
      ts.push(t);
      // The first count only starts the rate: there is no band yet to exceed.
      const excess = Number.isNaN(rate) ? 0 : lines > hi ? lines - hi : lines < lo ? lines - lo : 0;
      val.push(excess);
      inLines.set(`${series.meta.key}@${t}`, {
        lines,
        rate: Number.isNaN(rate) ? 0 : rate,
        lo,
        hi,
      });
      series.rate = Number.isNaN(rate) ? lines : rate + alpha * (lines - rate);
      if (lines > 0) series.lastActive = t;
    }
  }
  // The error ratio of a bucket with fewer than minLines lines says nothing: not scored.
  if (s.lines >= minLines) {
    const si = addSeries(ERROR_RATIO_ID, seriesOf(s, ERROR_RATIO_ID, settings));
    idx.push(si);
    ts.push(s.bucketStart + bucketMs);
    val.push(s.errors / s.lines);
  }
  const order = new Uint32Array(idx.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => (ts[a] ?? 0) - (ts[b] ?? 0) || a - b);
  const ratioSeries = metas.findIndex((m) => m.metric === LogSignals.errorRatio);
  const scored = emptyOutcome();
  scoreSlice(
    (si) => detectors[si] as Detector<unknown>,
    settings.scoring,
    { series: metas, idx, ts, val },
    order,
    0,
    order.length,
    (si) => states[si] as SeriesState<unknown>,
    scored,
    // An error-ratio rise needs minLines error lines behind it.
    (i, v, r) => idx[i] !== ratioSeries || v <= r.expected || s.errors >= minLines,
  );
  out.scored += scored.taken;
  out.suppressed += scored.suppressed;
  for (const a of scored.suppressedAnomalies) out.suppressedAnomalies.push({ ...a, kind: 'log' });
  /** Template samples read in lines: the count, the rate, and the band widened by the detector's. */
  const report = <T extends Band & { readonly series: SeriesMeta }>(x: T): T => {
    const l = inLines.get(`${x.series.key}@${x.ts}`);
    if (l === undefined) {
      return { ...x, lower: Math.max(0, x.lower), upper: Math.min(1, x.upper) };
    }
    return {
      ...x,
      value: l.lines,
      expected: l.rate,
      lower: Math.max(0, l.lo + Math.min(0, x.lower)),
      upper: l.hi + Math.max(0, x.upper),
    };
  };
  if (settings.scoring.keepStepEnds === true) keepEarlierSteps(out, scored.stepEnds, scored.latest);
  for (const l of scored.stepEnds) out.stepEnds.push(report(l));
  for (const l of scored.latest.values()) out.latest.set(l.series.key, report(l));
  for (const raw of scored.anomalies) {
    const meta = metas.find((m) => m.key === raw.series) as SeriesMeta;
    const a = report({ ...raw, series: meta });
    const id =
      meta.labels.template_id === undefined ? ERROR_RATIO_ID : Number(meta.labels.template_id);
    const template = id === ERROR_RATIO_ID ? undefined : s.miner.get(id)?.template;
    out.anomalies.push({
      ...a,
      series: raw.series,
      kind: 'log',
      level: id === ERROR_RATIO_ID ? 'error' : (s.levels.get(id) ?? 'info'),
      ...(template === undefined ? {} : { template: clip(template, TEMPLATE_CHARS) }),
      examples: id === ERROR_RATIO_ID ? errorExamples(s) : [...(s.examples.get(id) ?? [])],
    });
  }
  s.counts.clear();
  s.lines = 0;
  s.errors = 0;
  s.newInBucket = 0;
  s.bucketStart = next;
}

const stepOf = (ts: number): number => Math.floor(ts / HISTORY_STEP_MS);

/**
 * A job closes its buckets one close at a time, each scored apart: a series' latest point of an
 * earlier close that this close moves past a step end is that step's last point (scoreSlice's
 * `stepEnds`, across closes), in time order before this close's own.
 */
function keepEarlierSteps(
  out: LogOutcome,
  stepEnds: readonly LatestScore[],
  latest: ReadonlyMap<number, LatestScore>,
): void {
  const firstTs = new Map<string, number>();
  for (const l of stepEnds) if (!firstTs.has(l.series.key)) firstTs.set(l.series.key, l.ts);
  for (const l of latest.values()) {
    const before = out.latest.get(l.series.key);
    const first = firstTs.get(l.series.key) ?? l.ts;
    if (before !== undefined && stepOf(before.ts) !== stepOf(first)) out.stepEnds.push(before);
  }
}

interface Band {
  readonly ts: number;
  readonly value: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
}

/** Examples of the error-level templates with the most lines in the bucket. */
function errorExamples(s: ServiceLogState): string[] {
  return [...s.counts.entries()]
    .filter(([id]) => isErrorLevel(s.levels.get(id) ?? 'info'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .flatMap(([id]) => (s.examples.get(id) ?? []).slice(-1));
}
