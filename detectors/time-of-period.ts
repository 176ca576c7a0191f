/**
 * Position of an instant within a day or a week in a chosen time zone, DST-aware: the local
 * wall-clock hour is what a daily or weekly pattern follows. Uses the platform's time-zone data
 * (Intl), which is deterministic for a given Node build; offsets are cached per 15 minutes of
 * UTC (some zones change at :30, e.g. Adelaide, St John's).
 */
export type Period = 'day' | 'week';

/** Offsets change on quarter hours at the finest (Lord Howe's 30-minute DST included). */
const HOUR = 900_000;

export interface LocalClock {
  /** Minutes since local midnight (day) or since local Monday 00:00 (week). */
  minuteOf(t: number, period: Period): number;
}

/** `timeZone`: an IANA name (e.g. "Europe/Berlin"), or "UTC". Throws on an unknown zone. */
export function localClock(timeZone = 'UTC'): LocalClock {
  if (timeZone === 'UTC') {
    return { minuteOf: (t, period) => minuteOfUtc(t, period) };
  }
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  let cachedHour = Number.NaN;
  let cachedOffset = 0;
  const offsetAt = (t: number): number => {
    const hour = Math.floor(t / HOUR);
    if (hour !== cachedHour) {
      const parts = Object.fromEntries(
        fmt.formatToParts(new Date(hour * HOUR)).map((p) => [p.type, p.value]),
      );
      const local = Date.UTC(
        Number(parts.year),
        Number(parts.month) - 1,
        Number(parts.day),
        Number(parts.hour),
        Number(parts.minute),
      );
      cachedHour = hour;
      cachedOffset = local - hour * HOUR;
    }
    return cachedOffset;
  };
  return { minuteOf: (t, period) => minuteOfUtc(t + offsetAt(t), period) };
}

function minuteOfUtc(t: number, period: Period): number {
  const minute = Math.floor(t / 60_000);
  if (period === 'day') return ((minute % 1440) + 1440) % 1440;
  // 1970-01-01 was a Thursday: shift so that Monday 00:00 is 0.
  const week = 7 * 1440;
  return (((minute + 3 * 1440) % week) + week) % week;
}

export const periodMinutes = (period: Period): number => (period === 'day' ? 1440 : 7 * 1440);
