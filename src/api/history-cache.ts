/**
 * What a process has read of series' histories, kept so the next read asks Redis only for the
 * points written since. The status page refreshes every 15 seconds for every viewer, and a
 * page of 200 services draws 72,000 points: read and decoded whole each time, that alone took
 * about 100 ms (`npm run bench -- status-page`); with the cache a refresh reads a few points
 * per series. One cache per process (src/service/service.ts builds the status source once, for
 * the API and the pages alike).
 *
 * Bounded three ways:
 * - by the points it holds (`maxPoints`, default 250,000: about 40 MB), the least recently read
 *   series going first;
 * - by age: a series not read within `maxAgeMs` is dropped;
 * - and each entry is read whole again after about `maxAgeMs` (±20%, drawn per entry, so
 *   entries cached by one request do not all expire in the same later one), so a step another
 *   process wrote late (a shutdown's flush) shows within minutes.
 */
import type { HistoryPoint, HistoryWindow } from '../detect/history-points.js';
import { pointsPerStep } from '../detect/history-points.js';
import type { SeriesHistory } from '../detect/series-history.js';

/** About 150 bytes a point in memory (five numbers in an object, measured): about 40 MB. */
export const HISTORY_CACHE_MAX_POINTS = 250_000;
export const HISTORY_CACHE_MAX_AGE_MS = 10 * 60_000;
/** The whole-reread age of an entry is `maxAgeMs` times 1 ± this (uniform). */
const JITTER = 0.2;

interface Entry {
  readonly points: HistoryPoint[];
  /** Wall clock of the last whole read. */
  readonly readAt: number;
  /** How long after `readAt` the entry is read whole again (jittered). */
  readonly wholeAfterMs: number;
  /** Wall clock of the last read of any kind. */
  readonly usedAt: number;
}

export interface HistoryCacheOptions {
  /** Points held across all series (default 250,000). */
  readonly maxPoints?: number;
  /** Series not read this long are dropped; read whole again about this often (default 10 min). */
  readonly maxAgeMs?: number;
  /** Uniform in [0, 1) (tests pass their own): draws each entry's jitter. */
  readonly random?: () => number;
}

/** Cached points up to the tail's first step, then the tail: in order, one per step. */
function joined(
  cached: readonly HistoryPoint[],
  tail: readonly HistoryPoint[],
  stepMs: number,
): HistoryPoint[] {
  const first = tail[0];
  if (first === undefined) return [...cached];
  const step = Math.floor(first.ts / stepMs);
  let cut = cached.length;
  while (cut > 0 && Math.floor((cached[cut - 1]?.ts ?? 0) / stepMs) >= step) cut--;
  return [...cached.slice(0, cut), ...tail];
}

export class HistoryCache {
  /** In order of last read, the least recently read first. */
  readonly #entries = new Map<string, Entry>();
  readonly #maxPoints: number;
  readonly #maxAgeMs: number;
  readonly #random: () => number;
  #points = 0;

  constructor(opts: HistoryCacheOptions = {}) {
    this.#maxPoints = opts.maxPoints ?? HISTORY_CACHE_MAX_POINTS;
    this.#maxAgeMs = opts.maxAgeMs ?? HISTORY_CACHE_MAX_AGE_MS;
    this.#random = opts.random ?? Math.random;
  }

  /** Series held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Points held now, across all series. */
  get points(): number {
    return this.#points;
  }

  /**
   * The history of each series, one point per step within `window`: read whole the first
   * time (or when stale), else cached points plus the last few stored ones. `newestTs` is the
   * series' newest scored time (the score board's), which says how many steps are new.
   */
  async read(
    history: Pick<SeriesHistory, 'readTails' | 'stepMs' | 'maxPoints'>,
    series: readonly { readonly key: string; readonly newestTs: number }[],
    window: HistoryWindow,
    nowMs: number,
  ): Promise<Map<string, HistoryPoint[]>> {
    this.#dropUnread(nowMs);
    const requests = series.map(({ key, newestTs }) => {
      const e = this.#entries.get(key);
      const last = e?.points.at(-1)?.ts;
      if (!e || last === undefined || nowMs - e.readAt > e.wholeAfterMs || newestTs < last) {
        return { key, last: undefined, base: undefined };
      }
      // The steps since the cached newest, and two more: the newest may have been rewritten.
      const steps = Math.ceil((newestTs - last) / history.stepMs) + 2;
      return steps >= history.maxPoints
        ? { key, last: undefined, base: undefined }
        : { key, last: steps, base: e };
    });
    const tails = await history.readTails(requests);
    const out = new Map<string, HistoryPoint[]>();
    for (const r of requests) {
      const tail = tails.get(r.key) ?? [];
      const points = pointsPerStep(
        r.base ? joined(r.base.points, tail, history.stepMs) : tail,
        window,
      );
      out.set(r.key, points);
      this.#forget(r.key);
      this.#entries.set(r.key, {
        points,
        readAt: r.base ? r.base.readAt : nowMs,
        wholeAfterMs: r.base ? r.base.wholeAfterMs : this.#wholeAfterMs(),
        usedAt: nowMs,
      });
      this.#points += points.length;
    }
    while (this.#points > this.#maxPoints) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#forget(oldest);
    }
    return out;
  }

  #wholeAfterMs(): number {
    return this.#maxAgeMs * (1 - JITTER + 2 * JITTER * this.#random());
  }

  /** Drops the entries not read within `maxAgeMs` (the least recently read are first). */
  #dropUnread(nowMs: number): void {
    for (const [key, e] of this.#entries) {
      if (nowMs - e.usedAt <= this.#maxAgeMs) break;
      this.#forget(key);
    }
  }

  #forget(key: string): void {
    const e = this.#entries.get(key);
    if (e === undefined) return;
    this.#points -= e.points.length;
    this.#entries.delete(key);
  }
}
