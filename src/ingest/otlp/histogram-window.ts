/**
 * The last cumulative histogram point of each stream, so that the next one can be turned into
 * what happened between the two (observations per second and their 99th percentile). Bounded:
 * at most `maxStreams` streams, the least recently seen dropped first (a Map keeps insertion
 * order; a stream seen again moves to the end). In memory and per process: after a restart,
 * or when a stream's points reach another process, the first point only primes the window
 * unless it carries a recent start time (MAX_START_AGE_NS).
 *
 * A route takes a request's points through a HistogramStage and commits it only once the samples
 * were queued: when the queue write fails (503), the sender's retry of the same points gives the
 * same intervals again instead of nothing.
 */

export interface HistogramPoint {
  /** Time of the point, unix ns. */
  readonly ts: number;
  /** Start of the cumulative interval, unix ns; undefined when not sent. */
  readonly start: number | undefined;
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
}

/** Observations per bucket over an interval of `seconds`. */
export interface HistogramDelta {
  readonly seconds: number;
  readonly counts: readonly number[];
}

/**
 * How old a start time may be for a first (or reset) point to count over [start, time]: a few
 * export intervals (the SDKs export every 60 s).
 */
export const MAX_START_AGE_NS = 5 * 60 * 1e9;

const sameBounds = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Where a mapping takes cumulative points: a window (kept at once) or a stage of one. */
export interface HistogramStreams {
  next(stream: string, p: HistogramPoint): HistogramDelta | undefined;
}

export class HistogramWindow implements HistogramStreams {
  readonly #last = new Map<string, HistogramPoint>();
  readonly #maxStreams: number;

  constructor(maxStreams = 100_000) {
    this.#maxStreams = maxStreams;
  }

  get size(): number {
    return this.#last.size;
  }

  /**
   * Takes a cumulative point: the delta since the stream's previous point, or since its start
   * time when there is no usable previous point (first point, reset, new bounds); undefined when
   * neither is known or the point is not newer than the last one (a retried export).
   */
  next(stream: string, p: HistogramPoint): HistogramDelta | undefined {
    const prev = this.#last.get(stream);
    if (prev !== undefined && p.ts <= prev.ts) return undefined;
    this.keep(stream, p);
    return deltaOf(prev, p);
  }

  /** The stream's last kept point. */
  last(stream: string): HistogramPoint | undefined {
    return this.#last.get(stream);
  }

  /** Keeps `p` as the stream's last point (most recently seen). */
  keep(stream: string, p: HistogramPoint): void {
    this.#last.delete(stream);
    this.#last.set(stream, p);
    if (this.#last.size > this.#maxStreams) {
      const oldest = this.#last.keys().next();
      if (oldest.done !== true) this.#last.delete(oldest.value);
    }
  }

  /** A stage for one request's points: the window changes only when it is committed. */
  stage(): HistogramStage {
    return new HistogramStage(this);
  }
}

/** One request's points, taken as the window would but kept apart until `commit()`. */
export class HistogramStage implements HistogramStreams {
  readonly #staged = new Map<string, HistogramPoint>();
  readonly #window: HistogramWindow;

  constructor(window: HistogramWindow) {
    this.#window = window;
  }

  next(stream: string, p: HistogramPoint): HistogramDelta | undefined {
    const prev = this.#staged.get(stream) ?? this.#window.last(stream);
    if (prev !== undefined && p.ts <= prev.ts) return undefined;
    this.#staged.set(stream, p);
    return deltaOf(prev, p);
  }

  /** Keeps the staged points in the window (after their samples were queued). */
  commit(): void {
    for (const [stream, p] of this.#staged) this.#window.keep(stream, p);
    this.#staged.clear();
  }
}

/**
 * What happened between `prev` and `p`, or since `p`'s start time when there is no usable
 * previous point (first point, reset, new bounds); undefined when neither is known.
 */
function deltaOf(prev: HistogramPoint | undefined, p: HistogramPoint): HistogramDelta | undefined {
  if (prev !== undefined && prev.start === p.start && sameBounds(prev.bounds, p.bounds)) {
    const counts = p.counts.map((c, i) => c - (prev.counts[i] ?? 0));
    if (counts.every((c) => c >= 0)) return { seconds: (p.ts - prev.ts) / 1e9, counts };
  }
  // No previous point to subtract, or the stream was reset: the point covers [start, ts], if
  // that is recent. An older start (a stream first seen after our restart or its eviction)
  // would give a lifetime average, a jump a detector may score: such a point only primes.
  if (p.start !== undefined && p.start < p.ts && p.ts - p.start <= MAX_START_AGE_NS) {
    return { seconds: (p.ts - p.start) / 1e9, counts: p.counts };
  }
  return undefined;
}
