/**
 * The log evidence that led the root cause's metrics (pure): when the root-cause service logged
 * something anomalous before its first failing metric, that is often the best clue on-call gets
 * ("auth logged a new error 2 min before failing: \"dependency check failed for tenant <*>:
 * timeout after <*>\""). An incident that opens on logs alone, before any metric of its root
 * cause fails, names its earliest log anomaly ("auth logged a new error: \"...\""); once the
 * metrics fail, the current explanation says by how long the log led. Every receiver's message
 * says it (incident-json.ts `incidentSummary`).
 *
 * Times are the anomalies' event times: a new template's is its first line's; a template surge
 * or an error-ratio rise is stamped at the end of its log bucket (`logs.bucket_ms`), so the lead
 * it shows is the least it can be (its lines began up to a bucket earlier).
 */
import { polarity, type SignalPatterns } from './signal-kind.js';

export interface LeadingLog {
  readonly service: string;
  /** `log_new_template`, `log_template_lines` or `log_error_ratio`. */
  readonly signal: string;
  readonly ts: number;
  readonly level?: string;
  readonly template?: string;
  /** A raw line of it (for the error ratio, which has no template of its own). */
  readonly example?: string;
  readonly value: number;
  readonly upper: number;
  /** The root cause's first failing metric anomaly, which the log led (null: none failed yet). */
  readonly metric_signal: string | null;
  readonly metric_ts: number | null;
  readonly lead_ms: number | null;
  /** One sentence for people: `auth logged a new error 2 min before failing: "..."`. */
  readonly text: string;
}

interface Evidence {
  readonly service: string;
  readonly signal: string;
  readonly ts: number;
  readonly value: number;
  readonly expected: number;
  readonly upper: number;
  readonly kind: 'metric' | 'log';
  readonly level?: string;
  readonly template?: string;
  readonly examples?: readonly string[];
}

const EXAMPLE_CHARS = 200;
const errorish = (level: string | undefined): boolean =>
  level === undefined || /err|crit|fatal|alert|emerg/i.test(level);

/** `48 s`, `2 min`: how long the log led, as a person says it. */
export function leadText(ms: number): string {
  return ms < 90_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

const num = (n: number): string =>
  Number.isInteger(n) ? String(n) : Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3);

function sentence(l: Omit<LeadingLog, 'text'>): string {
  const when = l.lead_ms === null ? '' : ` ${leadText(l.lead_ms)} before failing`;
  const quoted = (t: string | undefined): string => (t === undefined ? '' : `: "${t}"`);
  if (l.signal === 'log_new_template') {
    const level = (l.level ?? 'error').toLowerCase();
    const what = level.startsWith('fatal')
      ? 'fatal error'
      : level.startsWith('warn')
        ? 'warning'
        : errorish(level)
          ? 'error'
          : `${level} line`;
    return `${l.service} logged a new ${what}${when}${quoted(l.template)}`;
  }
  if (l.signal === 'log_template_lines') {
    return (
      `${l.service}'s log line "${l.template ?? '?'}" surged (${num(l.value)} lines, at most ` +
      `${num(l.upper)} expected)${when}`
    );
  }
  if (l.signal === 'log_error_ratio') {
    return (
      `${l.service}'s error log lines rose to ${num(Math.round(l.value * 1000) / 10)}% of its ` +
      `lines${when}${quoted(l.example)}`
    );
  }
  return `${l.service}'s logs turned anomalous (${l.signal})${when}${quoted(l.template)}`;
}

/**
 * The earliest log anomaly of `root` before its first failing metric anomaly (an error-level one
 * first); with no failing metric yet, its earliest log anomaly; null when its logs did not lead.
 */
export function leadingLog(
  root: string,
  timeline: readonly Evidence[],
  patterns?: SignalPatterns,
): LeadingLog | null {
  const own = timeline.filter((a) => a.service === root);
  const metric = own
    .filter((a) => a.kind === 'metric' && polarity(a, patterns) === 'failure')
    .reduce<Evidence | undefined>((x, y) => (x === undefined || y.ts < x.ts ? y : x), undefined);
  const before = own
    .filter((a) => a.kind === 'log' && (metric === undefined || a.ts < metric.ts))
    .sort((x, y) => x.ts - y.ts);
  const log = before.find((a) => errorish(a.level)) ?? before[0];
  if (!log) return null;
  const example = log.examples?.[0]?.slice(0, EXAMPLE_CHARS);
  const lead: Omit<LeadingLog, 'text'> = {
    service: root,
    signal: log.signal,
    ts: log.ts,
    ...(log.level === undefined ? {} : { level: log.level }),
    ...(log.template === undefined ? {} : { template: log.template }),
    ...(example === undefined ? {} : { example }),
    value: log.value,
    upper: log.upper,
    metric_signal: metric?.signal ?? null,
    metric_ts: metric?.ts ?? null,
    lead_ms: metric ? metric.ts - log.ts : null,
  };
  return { ...lead, text: sentence(lead) };
}
