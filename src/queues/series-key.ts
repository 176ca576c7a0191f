/** The series identity: metric name plus labels sorted by name, Prometheus style. */
export function seriesKey(metric: string, labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return metric;
  const parts = names.map((n) => `${n}=${JSON.stringify(labels[n])}`);
  return `${metric}{${parts.join(',')}}`;
}

/**
 * Whether `parseSeriesKey` gives back this metric and these labels from their key: the metric
 * holds no `{`, and no label name is empty, `__proto__` or holds an `=` (every ingest path's
 * names pass; a batch spells out the series that do not).
 */
export function keyIsParseable(metric: string, labels: Readonly<Record<string, string>>): boolean {
  if (metric.includes('{')) return false;
  for (const name of Object.keys(labels)) {
    if (name === '' || name === '__proto__' || name.includes('=')) return false;
  }
  return true;
}

/**
 * The metric and labels of a series key (the inverse of `seriesKey` for keys that
 * `keyIsParseable`); undefined for a string that is not such a key.
 */
export function parseSeriesKey(
  key: string,
): { metric: string; labels: Record<string, string> } | undefined {
  const open = key.indexOf('{');
  if (open < 0) return { metric: key, labels: {} };
  if (!key.endsWith('}')) return undefined;
  const labels: Record<string, string> = {};
  let i = open + 1;
  const end = key.length - 1;
  while (i < end) {
    const eq = key.indexOf('=', i);
    if (eq <= i || key[eq + 1] !== '"') return undefined;
    // The value is a JSON string: its end is the first quote not escaped.
    let j = eq + 2;
    while (j < end && key[j] !== '"') j += key[j] === '\\' ? 2 : 1;
    if (j >= end) return undefined;
    try {
      labels[key.slice(i, eq)] = JSON.parse(key.slice(eq + 1, j + 1)) as string;
    } catch {
      return undefined;
    }
    i = j + 1;
    if (i < end) {
      if (key[i] !== ',' || i + 1 === end) return undefined;
      i += 1;
    }
  }
  return { metric: key.slice(0, open), labels };
}

const COUNTER_SUFFIXES = ['_total', '_count', '_sum', '_bucket'] as const;

/** Names that Prometheus conventions reserve for monotonic counters. */
export function isCounterName(metric: string): boolean {
  return COUNTER_SUFFIXES.some((s) => metric.endsWith(s));
}
