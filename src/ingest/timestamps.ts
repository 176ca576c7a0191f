/**
 * The times ingest takes, and what it says about one it refuses. A time since the epoch has as
 * many digits today as its unit says: 10 in seconds, 13 in milliseconds, 16 in microseconds, 19
 * in nanoseconds (from 2001-09-09 to 2286). So a time in another unit than the field's is named
 * as such ("ts 1733550000 looks like seconds; ts is milliseconds since the epoch").
 *
 * The bounds, on every ingest path:
 * - not before 2001-09-09T01:46:40Z (1e12 ms, the first 13-digit millisecond time): no
 *   monitoring data is older, and such a time is a clock that was never set or a unit mix-up.
 *   Backfills of any real past are taken (a detector takes a series' samples in time order and
 *   ignores one that is not newer than its last).
 * - live ingest only (not replay, which reads the past on purpose): not more than 10 minutes
 *   ahead of the worker's clock. A detector ignores every sample not newer than the last one it
 *   took, so one sample an hour ahead would blind its series for that hour; 10 minutes covers
 *   any clock skew a synchronised host has (Mimir's creation grace period is the same).
 * Pure: the clock is given.
 */

/** 2001-09-09T01:46:40Z: the first epoch millisecond with 13 digits. */
export const MIN_TS = 1e12;
/** 2200-01-01: no time after it is taken, even offline. */
export const MAX_TS = 7_258_118_400_000;
/** How far ahead of the worker's clock live ingest takes a time. */
export const MAX_AHEAD_MS = 10 * 60_000;

/** Live ingest's clock: times more than `maxAheadMs` after `now()` are refused. */
export interface TimeWindow {
  readonly now: () => number;
  readonly maxAheadMs: number;
}

/** The window of live ingest. */
export const liveTimeWindow = (now: () => number = Date.now): TimeWindow => ({
  now,
  maxAheadMs: MAX_AHEAD_MS,
});

export const TimeUnits = ['seconds', 'milliseconds', 'microseconds', 'nanoseconds'] as const;
export type TimeUnit = (typeof TimeUnits)[number];

/** The unit a count since the epoch is in, judged by its digits (2001 to 2286); else undefined. */
export function unitOf(count: number): TimeUnit | undefined {
  if (count >= 1e9 && count < 1e10) return 'seconds';
  if (count >= 1e12 && count < 1e13) return 'milliseconds';
  if (count >= 1e15 && count < 1e16) return 'microseconds';
  if (count >= 1e18 && count < 1e19) return 'nanoseconds';
  return undefined;
}

/** `count` in `from` units as a count of `to` units, as digits (no exponent). */
function converted(count: number, from: TimeUnit, to: TimeUnit): string {
  const steps = TimeUnits.indexOf(to) - TimeUnits.indexOf(from);
  if (steps > 0 && Number.isInteger(count)) {
    return (BigInt(count) * 1000n ** BigInt(steps)).toString();
  }
  return Math.round(count * 1000 ** steps).toLocaleString('en-US', { useGrouping: false });
}

/** An instant for a message; never throws. */
export function isoOf(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'out of range' : d.toISOString();
}

/** A duration for a message: `40 s`, `3 min`, `5 h`, `12 d`. */
export function spanOf(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** A time as a sender wrote it, and how the field reads it. */
export interface SentTime {
  /** The field, as the sender knows it: `ts`, `timeUnixNano`, `the timestamp`. */
  readonly field: string;
  /** What was sent, shown as it was (a number, or a string quoted). */
  readonly raw: number | string;
  /** The count of units it holds, when it is a number of units (not an RFC 3339 string). */
  readonly count?: number | undefined;
  /** The field's unit. */
  readonly unit: TimeUnit;
  /** The time it stands for in that unit, epoch ms (NaN when it does not stand for one). */
  readonly ms: number;
}

/**
 * Why a time is refused, or undefined when it is taken: another unit than the field's, before
 * 2001-09-09, after 2200, or (with a window) more than its margin ahead of the clock.
 */
export function timeProblem(t: SentTime, window?: TimeWindow): string | undefined {
  const shown = typeof t.raw === 'string' ? JSON.stringify(t.raw) : String(t.raw);
  const what = `${t.field} is ${t.unit} since the epoch`;
  if (t.count !== undefined) {
    const unit = unitOf(t.count);
    if (unit !== undefined && unit !== t.unit) {
      const fix = converted(t.count, unit, t.unit);
      const send = typeof t.raw === 'string' ? JSON.stringify(fix) : fix;
      return `${t.field} ${shown} looks like ${unit}; ${what} (send ${send})`;
    }
  }
  if (!(t.ms >= MIN_TS)) {
    return `${t.field} ${shown} is ${isoOf(t.ms)}, before ${isoOf(MIN_TS)}: ${what}`;
  }
  if (t.ms > MAX_TS) return `${t.field} ${shown} is after 2200-01-01: ${what}`;
  if (window !== undefined) {
    const ahead = t.ms - window.now();
    if (ahead > window.maxAheadMs) {
      return `${t.field} ${shown} (${isoOf(t.ms)}) is ${spanOf(ahead)} ahead of the worker's clock; times more than ${spanOf(window.maxAheadMs)} ahead are refused`;
    }
  }
  return undefined;
}

/** The largest time a window takes now (MAX_TS without one): for loops over many samples. */
export function latestTaken(window: TimeWindow | undefined): number {
  return window === undefined ? MAX_TS : Math.min(MAX_TS, window.now() + window.maxAheadMs);
}
