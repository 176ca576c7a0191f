/**
 * Which time ranges a query_range reader asks for in one run. Pure: the clock is an input.
 * - Latency offset: the newest data in Prometheus is incomplete (scrapes and rule evaluations
 *   still landing), so a run reads only up to `now - offsetMs`.
 * - Watermark: the end of the last range read; the next run starts one step after it, so runs
 *   neither overlap nor leave gaps. Ends are aligned to the step, so every run evaluates the
 *   same grid of instants.
 * - Catch-up bound: without a watermark (first start), or with one older than `catchUpMs`, a
 *   run starts `catchUpMs` back; older data is skipped, not read.
 * - Splitting: Prometheus refuses a range of more than 11,000 points per series, so a range
 *   longer than `maxPoints` steps (after downtime, on first start) becomes several ranges.
 */

export interface TimeRange {
  /** First evaluation instant, ms (inclusive). */
  readonly from: number;
  /** Last evaluation instant, ms (inclusive). */
  readonly to: number;
}

export interface RangePlan {
  readonly range: TimeRange | undefined;
  /** Milliseconds between the watermark and the catch-up bound that will not be read. */
  readonly skippedMs: number;
}

export interface PlanInput {
  /** End of the range read last, or undefined on first start. */
  readonly watermark: number | undefined;
  readonly now: number;
  readonly stepMs: number;
  readonly offsetMs: number;
  readonly catchUpMs: number;
}

const floorTo = (t: number, step: number): number => Math.floor(t / step) * step;

/** The range one run should read: nothing when the watermark is already at the newest step. */
export function planRange(p: PlanInput): RangePlan {
  const to = floorTo(p.now - p.offsetMs, p.stepMs);
  const earliest = floorTo(to - p.catchUpMs, p.stepMs);
  if (p.watermark === undefined) return { range: { from: earliest, to }, skippedMs: 0 };
  const next = floorTo(p.watermark, p.stepMs) + p.stepMs;
  const from = Math.max(next, earliest);
  const skippedMs = Math.max(0, earliest - next);
  return { range: from <= to ? { from, to } : undefined, skippedMs };
}

/** Splits a range into consecutive ranges of at most `maxPoints` instants, in time order. */
export function splitRange(range: TimeRange, stepMs: number, maxPoints: number): TimeRange[] {
  if (!(stepMs > 0) || !(maxPoints >= 1)) throw new RangeError('step and points must be > 0');
  const span = (Math.floor(maxPoints) - 1) * stepMs;
  const out: TimeRange[] = [];
  for (let from = range.from; from <= range.to;) {
    const to = Math.min(from + span, range.to);
    out.push({ from, to });
    from = to + stepMs;
  }
  return out;
}
