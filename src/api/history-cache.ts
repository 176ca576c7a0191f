/**
 * What a process has read of series' histories, kept so the next read asks Redis only for the
 * points written since. The status page refreshes every 15 seconds for every viewer, and a
 * page of 200 services draws 72,000 points: read and decoded whole each time, that alone took
 * about 100 ms (`npm run bench -- status-page`); with the cache a refresh reads a few points
 * per series. An entry is read whole again after `maxAgeMs`, so a step another process wrote
 * late (a shutdown's flush) shows within minutes; the least recently read series go first
 * past `maxSeries`.
 */
import type { HistoryPoint, HistoryWindow } from '../detect/history-points.js';
import { pointsPerStep } from '../detect/history-points.js';
import type { SeriesHistory } from '../detect/series-history.js';

interface Entry {
  readonly points: HistoryPoint[];
  /** Wall clock of the last whole read. */
  readonly readAt: number;
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
  readonly #entries = new Map<string, Entry>();
  readonly #maxSeries: number;
  readonly #maxAgeMs: number;

  constructor(opts: { maxSeries?: number; maxAgeMs?: number } = {}) {
    this.#maxSeries = opts.maxSeries ?? 20_000;
    this.#maxAgeMs = opts.maxAgeMs ?? 10 * 60_000;
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
    const requests = series.map(({ key, newestTs }) => {
      const e = this.#entries.get(key);
      const last = e?.points.at(-1)?.ts;
      if (!e || last === undefined || nowMs - e.readAt > this.#maxAgeMs || newestTs < last) {
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
      this.#entries.delete(r.key);
      this.#entries.set(r.key, { points, readAt: r.base ? r.base.readAt : nowMs });
    }
    while (this.#entries.size > this.#maxSeries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return out;
  }
}
