/**
 * Maintenance windows (pure): `maintenance: [{name, cron, duration_ms, time_zone, services}]`.
 * A window opens at each time its cron expression names, in its time zone (DST-aware, by
 * cron-parser), and lasts `duration_ms`. While a service is in a window its samples are not
 * learned from nor scored (a planned deploy must not become normal, nor page), and incidents
 * whose root cause is in one send no new page (acknowledgements and resolves still go out).
 * A window that opens in an hour a DST change skips does not open that day; one in an hour
 * that repeats opens once.
 */
import { CronExpressionParser } from 'cron-parser';

export interface MaintenanceWindow {
  readonly name: string;
  readonly cron: string;
  readonly duration_ms: number;
  readonly time_zone: string;
  /** Services it covers; every service when empty. */
  readonly services: readonly string[];
}

/** The first problem of a window (its field and a readable message), or undefined. */
export function checkWindow(
  w: MaintenanceWindow,
): { field: 'cron' | 'time_zone'; message: string } | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: w.time_zone });
  } catch {
    return {
      field: 'time_zone',
      message: `unknown time zone "${w.time_zone}" (an IANA name such as Europe/Berlin, or UTC)`,
    };
  }
  // Five fields, minute resolution: the check caches per minute.
  if (w.cron.trim().split(/\s+/).length !== 5) {
    return {
      field: 'cron',
      message: `"${w.cron}" must have five fields (minute hour day month weekday)`,
    };
  }
  try {
    CronExpressionParser.parse(w.cron, { tz: w.time_zone });
  } catch (err) {
    return { field: 'cron', message: (err as Error).message };
  }
  return undefined;
}

/** The window's latest opening at or before `t` (ms), or undefined. */
function lastOpening(w: MaintenanceWindow, t: number): number | undefined {
  try {
    // currentDate is exclusive for prev(): start 1 ms later so an opening at t counts.
    const e = CronExpressionParser.parse(w.cron, { currentDate: new Date(t + 1), tz: w.time_zone });
    return e.prev().getTime();
  } catch {
    return undefined;
  }
}

/**
 * A fast predicate over windows: "is `service` in maintenance at `t`?". Each window's opening is
 * cached per minute of `t`, so scoring a batch costs a map lookup per sample.
 */
export function maintenanceCheck(
  windows: readonly MaintenanceWindow[],
): ((service: string, t: number) => boolean) | undefined {
  if (windows.length === 0) return undefined;
  const cache = new Map<string, number | undefined>();
  return (service, t) => {
    const minute = Math.floor(t / 60_000);
    return windows.some((w, i) => {
      if (w.services.length > 0 && !w.services.includes(service)) return false;
      const key = `${i}:${minute}`;
      let opened = cache.get(key);
      if (!cache.has(key)) {
        if (cache.size > 10_000) cache.clear();
        opened = lastOpening(w, minute * 60_000 + 59_999);
        cache.set(key, opened);
      }
      return opened !== undefined && t >= opened && t < opened + w.duration_ms;
    });
  };
}
