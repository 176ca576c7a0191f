/**
 * The recent history of every series scored (value, band, score), for the status page's
 * sparklines: one point per step of event time (a minute by default, the last point of the
 * step), the last `keepMs` (6 hours) of each series. Each series is one Redis list of compact
 * points (`<prefix>:history:<series key>`, `ts,value,lower,upper,score`), trimmed to a bounded
 * length on each write and expiring `ttlMs` after its last write, so a series that vanishes
 * costs nothing a few hours later.
 *
 * Written by the detect worker in its score-board pipeline, at most once per series per step
 * (history-downsampler.ts keeps the step's newest point in memory until the step is over).
 * Read by the API and the pages (api/status-loader.ts).
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { HistoryDownsampler, type PointToWrite } from './history-downsampler.js';
import {
  decodeHistory,
  decodePoints,
  encodePoint,
  HISTORY_STEP_MS,
  type HistoryPoint,
} from './history-points.js';

export { HISTORY_STEP_MS } from './history-points.js';
import type { LatestScore } from './score-batch.js';

/** Six hours of points per series (the default of `detect.history_keep_ms`). */
export const HISTORY_KEEP_MS = 6 * 3_600_000;
/** Series whose newest point this process holds in memory (about 100 bytes each). */
const MAX_PENDING_SERIES = 100_000;

export interface SeriesHistoryOptions {
  /** One point per step of this many ms of event time (default a minute). */
  readonly stepMs?: number;
  /**
   * How much history a series keeps and a read returns, up to its newest point (default 6 h,
   * `detect.history_keep_ms`). 0 turns the history off: nothing is written or read.
   */
  readonly keepMs?: number;
  /** A series' list expires this long (wall clock) after its last write (default `keepMs`). */
  readonly ttlMs?: number;
  /** Series whose waiting point this process keeps in memory (default 100,000). */
  readonly maxPendingSeries?: number;
}

export class SeriesHistory {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly stepMs: number;
  readonly keepMs: number;
  readonly #ttlMs: number;
  /** `keepMs / stepMs`, plus slack for steps written twice. */
  readonly #maxPoints: number;
  readonly #steps: HistoryDownsampler<HistoryPoint>;

  constructor(redis: Redis, prefix: string, opts: SeriesHistoryOptions = {}) {
    this.#redis = redis;
    this.#prefix = `${prefix}:history:`;
    this.stepMs = opts.stepMs ?? HISTORY_STEP_MS;
    this.keepMs = opts.keepMs ?? HISTORY_KEEP_MS;
    this.#ttlMs = opts.ttlMs ?? this.keepMs;
    const steps = Math.ceil(this.keepMs / this.stepMs);
    this.#maxPoints = steps + Math.max(10, Math.ceil(steps / 10));
    this.#steps = new HistoryDownsampler(this.stepMs, opts.maxPendingSeries ?? MAX_PENDING_SERIES);
  }

  /** The Redis key of a series' history. */
  keyOf(series: string): string {
    return this.#prefix + series;
  }

  /** False when `keepMs` is 0: the history is off (no writes, reads answer no points). */
  get enabled(): boolean {
    return this.keepMs > 0;
  }

  /**
   * Adds to a pipeline the points of a batch's latest scores that are due: three commands
   * (RPUSH, LTRIM, PEXPIRE) per series whose step is over, none for the others.
   */
  record(pipe: ChainableCommander, latest: Iterable<LatestScore>): void {
    if (!this.enabled) return;
    const due: PointToWrite<HistoryPoint>[] = [];
    for (const l of latest) {
      const { ts, value, lower, upper, score } = l;
      this.#steps.offer(l.series.key, { ts, value, lower, upper, score }, due);
    }
    this.#write(pipe, due);
  }

  /** Writes the points still waiting (each the newest of its step so far): on shutdown. */
  async flush(): Promise<void> {
    const due = this.#steps.drain();
    if (due.length === 0) return;
    const pipe = this.#redis.pipeline();
    this.#write(pipe, due);
    await pipe.exec();
  }

  /**
   * The history of each series (one Redis round trip for all): one point per step, oldest
   * first, the last `keepMs` before its newest point (and none before `sinceMs`, if given). A
   * series without history maps to an empty list.
   */
  async read(keys: readonly string[], sinceMs?: number): Promise<Map<string, HistoryPoint[]>> {
    const out = new Map<string, HistoryPoint[]>();
    if (!this.enabled) {
      for (const k of keys) out.set(k, []);
      return out;
    }
    if (keys.length === 0) return out;
    const pipe = this.#redis.pipeline();
    for (const k of keys) pipe.lrange(this.keyOf(k), 0, -1);
    const replies = (await pipe.exec()) ?? [];
    const window = { stepMs: this.stepMs, windowMs: this.keepMs, sinceMs };
    keys.forEach((k, i) => {
      const [err, texts] = replies[i] ?? [null, []];
      if (err) throw err;
      out.set(k, decodeHistory(Array.isArray(texts) ? (texts as string[]) : [], window));
    });
    return out;
  }

  /** The most points a series' list holds. */
  get maxPoints(): number {
    return this.#maxPoints;
  }

  /**
   * The last `last` stored points of each series (all of them when `last` is undefined), as
   * stored: oldest first, a step written twice included. One round trip for all: a reader that
   * keeps what it read before asks only for what is new (src/api/history-cache.ts).
   */
  async readTails(
    requests: readonly { readonly key: string; readonly last?: number | undefined }[],
  ): Promise<Map<string, HistoryPoint[]>> {
    const out = new Map<string, HistoryPoint[]>();
    if (!this.enabled) {
      for (const r of requests) out.set(r.key, []);
      return out;
    }
    if (requests.length === 0) return out;
    const pipe = this.#redis.pipeline();
    for (const r of requests) {
      pipe.lrange(this.keyOf(r.key), r.last === undefined ? 0 : -Math.max(1, r.last), -1);
    }
    const replies = (await pipe.exec()) ?? [];
    requests.forEach((r, i) => {
      const [err, texts] = replies[i] ?? [null, []];
      if (err) throw err;
      out.set(r.key, decodePoints(Array.isArray(texts) ? (texts as string[]) : []));
    });
    return out;
  }

  #write(pipe: ChainableCommander, due: readonly PointToWrite<HistoryPoint>[]): void {
    for (const { series, point } of due) {
      const key = this.keyOf(series);
      pipe.rpush(key, encodePoint(point));
      pipe.ltrim(key, -this.#maxPoints, -1);
      pipe.pexpire(key, this.#ttlMs);
    }
  }
}
