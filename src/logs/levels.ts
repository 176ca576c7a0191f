/** Log levels: free-form input mapped onto a small ordered set (metric labels, severity). */

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const RANK = new Map<string, number>(LEVELS.map((l, i) => [l, i]));
const ALIASES: Record<string, string> = {
  warning: 'warn',
  err: 'error',
  critical: 'fatal',
  crit: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
  alert: 'fatal',
  panic: 'fatal',
  severe: 'error',
  failure: 'error',
  notice: 'info',
  information: 'info',
  informational: 'info',
  dbg: 'debug',
  // java.util.logging and Android's verbose.
  fine: 'debug',
  finer: 'trace',
  finest: 'trace',
  verbose: 'trace',
  // One letter, as glog, klog and Android's logcat write them.
  v: 'trace',
  d: 'debug',
  i: 'info',
  w: 'warn',
  e: 'error',
  f: 'fatal',
};

/** One of trace, debug, info, warn, error, fatal, or `other`. */
export function normaliseLevel(level: string): string {
  const lower = level.toLowerCase();
  const l = ALIASES[lower] ?? lower;
  return RANK.has(l) ? l : 'other';
}

/** Severity order of normalised levels; `other` ranks as info. */
export const levelRank = (level: string): number => RANK.get(level) ?? 2;

/** True for error and fatal. */
export const isErrorLevel = (level: string): boolean => levelRank(level) >= 4;
