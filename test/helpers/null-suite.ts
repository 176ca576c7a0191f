/**
 * Runs a detector over the null shapes (null-shapes.ts): pages on series with no anomaly, and
 * the delay to the first page after a true change. A page is an onset: a scored sample at or
 * above the threshold whose previous scored sample was below it (the live path opens one
 * anomaly per onset). Counters go through the pipeline's counter-to-rate step first.
 */
import type { Detector } from '../../detectors/contract.js';
import { counterToRate, createCounterState } from '../../src/detect/counter-rate.js';
import {
  applyChange,
  robustSize,
  timestamps,
  type ChangeKind,
  type NullShape,
} from './null-shapes.js';

export const SUITE_T0 = Date.UTC(2026, 0, 5);

/** The series the detector sees: (t, v) after counter-to-rate for counters. */
export function observed(
  shape: NullShape,
  seed: number,
  stepMs: number,
  n: number,
): { ts: number[]; vs: number[] } {
  const times = timestamps(n + 1, stepMs, SUITE_T0, shape.irregular ?? false, seed);
  const source = shape.make(seed, stepMs, SUITE_T0);
  const ts: number[] = [];
  const vs: number[] = [];
  const counter = shape.counter ? createCounterState() : undefined;
  for (let i = 0; i < times.length; i++) {
    const t = times[i] as number;
    const raw = source(i);
    const v = counter ? counterToRate(counter, t, raw) : raw;
    if (v === undefined) continue;
    ts.push(t);
    vs.push(v);
  }
  return { ts: ts.slice(0, n), vs: vs.slice(0, n) };
}

export interface NullResult {
  /** Onsets at or above the threshold, once learning is over. */
  readonly pages: number;
  /** Samples scored once learning is over. */
  readonly judged: number;
}

/** Pages of one detector over one null series of `n` samples. */
export function runNull(
  detector: Detector<unknown>,
  shape: NullShape,
  seed: number,
  stepMs: number,
  n: number,
  threshold: number,
): NullResult {
  const { ts, vs } = observed(shape, seed, stepMs, n);
  const state = detector.create();
  let pages = 0;
  let judged = 0;
  let above = false;
  for (let i = 0; i < ts.length; i++) {
    const r = detector.update(state, ts[i] as number, vs[i] as number);
    if (r.learning) continue;
    judged++;
    const now = r.score >= threshold;
    if (now && !above) pages++;
    above = now;
  }
  return { pages, judged };
}

export interface ChangeResult {
  /** Samples from the change's first sample to the first page; undefined: not within `maxDelay`. */
  readonly delay: number | undefined;
  /** Pages in the `before` samples before the change, once learning is over. */
  readonly pagesBefore: number;
}

/**
 * One null series of `before` samples, then `kind` from sample `before` on, sized in the
 * spread of the last 1,000 samples before it; the delay to the first page, up to `maxDelay`.
 */
export function runChange(
  detector: Detector<unknown>,
  shape: NullShape,
  kind: ChangeKind,
  seed: number,
  stepMs: number,
  opts: { before: number; maxDelay: number; threshold: number },
): ChangeResult {
  const { ts, vs } = observed(shape, seed, stepMs, opts.before + opts.maxDelay);
  const size = robustSize(vs.slice(Math.max(0, opts.before - 1000), opts.before));
  // A count stays a count after the change: its changed values are rounded (and not negative).
  const counts = vs.slice(0, opts.before).every((x) => x >= 0 && Number.isInteger(x));
  const state = detector.create();
  let pagesBefore = 0;
  let above = false;
  for (let i = 0; i < ts.length; i++) {
    const k = i - opts.before;
    const changed = k >= 0 ? applyChange(kind, vs[i] as number, k, size) : (vs[i] as number);
    const v = counts && k >= 0 ? Math.max(0, Math.round(changed)) : changed;
    const r = detector.update(state, ts[i] as number, v);
    const now = !r.learning && r.score >= opts.threshold;
    if (now && !above) {
      if (k >= 0) return { delay: k, pagesBefore };
      pagesBefore++;
    }
    above = now;
  }
  return { delay: undefined, pagesBefore };
}
