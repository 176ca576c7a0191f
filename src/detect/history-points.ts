/**
 * The points of a series' recent history (pure): the compact form each point is stored in,
 * `ts,value,lower,upper,score`, and how stored points are read back: one per step of event
 * time (the newest of a step wins, so a step written twice, by two processes or after a
 * restart, shows once), oldest first, within a window that ends at the series' newest point
 * (replayed data lies in the past: the wall clock would find none of it).
 */

/** One point per minute of event time. */
export const HISTORY_STEP_MS = 60_000;

export interface HistoryPoint {
  /** Event time, epoch ms. */
  readonly ts: number;
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
  readonly score: number;
}

/** Six significant digits: plenty for a sparkline, a third of a float's full text. */
const compact = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(6))) : '');

/** `ts,value,lower,upper,score`; a non-finite number is written empty. */
export function encodePoint(p: HistoryPoint): string {
  const score = Number.isFinite(p.score) ? String(Math.round(p.score * 1000) / 1000) : '';
  return `${Math.round(p.ts)},${compact(p.value)},${compact(p.lower)},${compact(p.upper)},${score}`;
}

/** The number in `text` from `from` to `to` (exclusive); NaN when empty. */
function numberAt(text: string, from: number, to: number): number {
  return to <= from ? Number.NaN : Number(text.slice(from, to));
}

/**
 * The point `encodePoint` wrote, or undefined when the text is not one (a point without a time
 * or value is no point). A missing band edge reads as the value, a missing score as 0. Read by
 * position rather than by `split`: a page of 200 sparklines decodes 72,000 points
 * (`npm run bench -- status-page`).
 */
export function decodePoint(text: string): HistoryPoint | undefined {
  const fields: number[] = [];
  let from = 0;
  for (let i = 0; i < 5; i++) {
    const comma = text.indexOf(',', from);
    const to = comma < 0 ? text.length : comma;
    fields.push(numberAt(text, from, to));
    if (comma < 0) break;
    from = comma + 1;
  }
  const [ts, value, lower, upper, score] = fields;
  if (ts === undefined || value === undefined || !Number.isFinite(ts) || !Number.isFinite(value)) {
    return undefined;
  }
  const orValue = (x: number | undefined): number =>
    x !== undefined && Number.isFinite(x) ? x : value;
  return {
    ts,
    value,
    lower: orValue(lower),
    upper: orValue(upper),
    score: score !== undefined && Number.isFinite(score) ? score : 0,
  };
}

export interface HistoryWindow {
  /** One point per step of this many ms of event time. */
  readonly stepMs: number;
  /** Only points less than this many ms older than the series' newest point are kept. */
  readonly windowMs: number;
  /** Also leave out points before this time (epoch ms), when given. */
  readonly sinceMs?: number | undefined;
}

/** Points in any order, duplicates included, as one per step (the newest), oldest first. */
export function pointsPerStep(points: Iterable<HistoryPoint>, w: HistoryWindow): HistoryPoint[] {
  const list = Array.isArray(points) ? (points as readonly HistoryPoint[]) : [...points];
  // The common case, points written in time order one per step: no map, no sort.
  let ordered = true;
  for (let i = 1; i < list.length && ordered; i++) {
    ordered =
      Math.floor((list[i]?.ts ?? 0) / w.stepMs) > Math.floor((list[i - 1]?.ts ?? 0) / w.stepMs);
  }
  if (ordered) return inWindow(list, w);
  const byStep = new Map<number, HistoryPoint>();
  for (const p of list) {
    const step = Math.floor(p.ts / w.stepMs);
    const kept = byStep.get(step);
    if (kept === undefined || p.ts > kept.ts) byStep.set(step, p);
  }
  return inWindow(
    [...byStep.values()].sort((a, b) => a.ts - b.ts),
    w,
  );
}

/** Points in time order, one per step: those within the window that ends at the newest. */
function inWindow(sorted: readonly HistoryPoint[], w: HistoryWindow): HistoryPoint[] {
  const newest = sorted.at(-1)?.ts;
  if (newest === undefined) return [];
  const since = w.sinceMs ?? Number.NEGATIVE_INFINITY;
  return sorted.filter((p) => p.ts > newest - w.windowMs && p.ts >= since);
}

/** Stored texts as points (`pointsPerStep` of those that decode). */
export function decodeHistory(texts: readonly string[], w: HistoryWindow): HistoryPoint[] {
  return pointsPerStep(decodePoints(texts), w);
}

/** Stored texts as points, as they are (in stored order, duplicates kept); bad texts skipped. */
export function decodePoints(texts: readonly string[]): HistoryPoint[] {
  return decodeAll(texts) ?? decodeEach(texts);
}

function decodeEach(texts: readonly string[]): HistoryPoint[] {
  const points: HistoryPoint[] = [];
  for (const t of texts) {
    const p = decodePoint(t);
    if (p) points.push(p);
  }
  return points;
}

/** A whole point: five numbers, none empty (what `encodePoint` writes for finite values). */
const WHOLE = /^-?[\d.e+-]+(?:,-?[\d.e+-]+){4}$/;

/**
 * The fast way, when every text is a whole point: all of them as one JSON array, parsed natively
 * in one call (a fifth of the time of decoding one by one: `npm run bench -- status-page`).
 * Undefined when any text is not whole (an empty field, a foreign value): decode one by one.
 */
function decodeAll(texts: readonly string[]): HistoryPoint[] | undefined {
  if (texts.length === 0) return [];
  for (const t of texts) if (!WHOLE.test(t)) return undefined;
  let rows: unknown;
  try {
    rows = JSON.parse(`[[${texts.join('],[')}]]`);
  } catch {
    return undefined;
  }
  if (!Array.isArray(rows)) return undefined;
  const points: HistoryPoint[] = [];
  for (const r of rows as number[][]) {
    const [ts, value, lower, upper, score] = r;
    if (
      ts === undefined ||
      value === undefined ||
      lower === undefined ||
      upper === undefined ||
      score === undefined
    ) {
      return undefined;
    }
    points.push({ ts, value, lower, upper, score });
  }
  return points;
}
