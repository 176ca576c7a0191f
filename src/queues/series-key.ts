/** The series identity: metric name plus labels sorted by name, Prometheus style. */
export function seriesKey(metric: string, labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return metric;
  const parts = names.map((n) => `${n}=${JSON.stringify(labels[n])}`);
  return `${metric}{${parts.join(',')}}`;
}

const COUNTER_SUFFIXES = ['_total', '_count', '_sum', '_bucket'] as const;

/** Names that Prometheus conventions reserve for monotonic counters. */
export function isCounterName(metric: string): boolean {
  return COUNTER_SUFFIXES.some((s) => metric.endsWith(s));
}
