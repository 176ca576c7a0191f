/**
 * Which points of each series' history to write (pure): one per step of event time, the last
 * point of the step. The newest point of each series waits here until the series reaches a
 * later step; then it is the last of its step and is written, once. So a series costs at most
 * one write per step, however often it is scored.
 *
 * Memory is bounded: past `maxSeries` series, the one offered least recently is handed back to
 * be written now. If it is offered again in the same step, that step is written twice; the
 * reader keeps the newer point (history-points.ts), as it does when two processes or a restart
 * write the same step.
 */

export interface PointToWrite<P> {
  readonly series: string;
  readonly point: P;
}

export class HistoryDownsampler<P extends { readonly ts: number }> {
  readonly #stepMs: number;
  readonly #maxSeries: number;
  /** Per series, its newest point (not written yet). Map order: least recently offered first. */
  readonly #pending = new Map<string, P>();

  constructor(stepMs: number, maxSeries: number) {
    if (!(stepMs > 0)) throw new RangeError(`stepMs must be positive, not ${stepMs}`);
    if (!(maxSeries >= 1)) throw new RangeError(`maxSeries must be at least 1, not ${maxSeries}`);
    this.#stepMs = stepMs;
    this.#maxSeries = maxSeries;
  }

  /** Series with a point waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Takes a series' latest point and pushes onto `out` the points to write now: its previous
   * point when this one starts a later step, and a least recently offered series' point when
   * memory is full. A point older than the waiting one (out of order) is ignored.
   */
  offer(series: string, point: P, out: PointToWrite<P>[]): void {
    const waiting = this.#pending.get(series);
    if (waiting !== undefined) {
      if (point.ts < waiting.ts) return;
      if (this.#step(point.ts) > this.#step(waiting.ts)) out.push({ series, point: waiting });
      this.#pending.delete(series);
    }
    this.#pending.set(series, point);
    if (this.#pending.size > this.#maxSeries) {
      const oldest = this.#pending.entries().next().value;
      if (oldest !== undefined) {
        this.#pending.delete(oldest[0]);
        out.push({ series: oldest[0], point: oldest[1] });
      }
    }
  }

  /** Every waiting point (the last seen of its step so far), and forgets them: for a shutdown. */
  drain(): PointToWrite<P>[] {
    const all = [...this.#pending].map(([series, point]) => ({ series, point }));
    this.#pending.clear();
    return all;
  }

  #step(ts: number): number {
    return Math.floor(ts / this.#stepMs);
  }
}
