/**
 * What kind of signal an anomaly is on, and which way it moved, from the signal's name and
 * value vs expected. A fall in traffic is what a service sees when the one that calls it
 * fails: a symptom, not a cause. The patterns are configurable (`correlate.signals.traffic`,
 * `.errors`, `.latency`, `.saturation`: globs with `*`); availability (success ratios, uptime)
 * uses the built-in list. Errors, latency and availability are what users feel: an incident's
 * severity looks at them (severity.ts).
 *
 * In order: the globs the config sets; then the naming conventions of real exporters
 * (`exporterKind`: a histogram's `_count` counts requests, its `_sum` and `_bucket` are
 * latency, CPU seconds and memory bytes are saturation); then the built-in globs.
 */
import { glob, globMatches } from '../util/glob.js';

/** A `*` glob, case-insensitive, anchored (src/util/glob.ts; kept here for remediate's hooks). */
export { globMatches };

export type SignalKind = 'traffic' | 'errors' | 'latency' | 'availability' | 'saturation' | 'other';

/** The kinds `correlate.signals` may set globs for, in the order they are tried. */
export const CONFIGURABLE_KINDS = ['errors', 'latency', 'traffic', 'saturation'] as const;
type ConfigurableKind = (typeof CONFIGURABLE_KINDS)[number];

export interface SignalPatterns {
  readonly traffic: readonly string[];
  readonly errors: readonly string[];
  readonly latency: readonly string[];
  /** CPU time, memory, utilisation, load: a rise is a failure, a fall benign. */
  readonly saturation?: readonly string[];
  /** Success ratios, uptime: a fall is a failure (the built-in list when unset). */
  readonly availability?: readonly string[];
  /** Kinds whose globs the config set: they win over the exporters' naming conventions. */
  readonly configured?: readonly ConfigurableKind[];
}

export const defaultSignalPatterns: SignalPatterns = {
  traffic: ['*request*', '*requests*', '*_rps', '*throughput*', '*_qps', '*traffic*', '*calls*'],
  errors: ['*error*', '*fail*', '*5xx*', '*4xx*', '*denied*', '*reject*', '*timeout*'],
  latency: ['*latency*', '*duration*', '*p99*', '*p95*', '*response_time*', '*_seconds*'],
  saturation: ['*utilization*', '*utilisation*', '*saturation*', '*cpu_usage*', '*load_average*'],
  availability: ['*availability*', '*success*', '*uptime*'],
};

/** The patterns `correlate.signals` configures, the built-in list where it sets none. */
export function signalPatternsOf(signals: {
  readonly traffic?: readonly string[] | undefined;
  readonly errors?: readonly string[] | undefined;
  readonly latency?: readonly string[] | undefined;
  readonly saturation?: readonly string[] | undefined;
}): SignalPatterns {
  return {
    traffic: signals.traffic ?? defaultSignalPatterns.traffic,
    errors: signals.errors ?? defaultSignalPatterns.errors,
    latency: signals.latency ?? defaultSignalPatterns.latency,
    saturation: signals.saturation ?? defaultSignalPatterns.saturation ?? [],
    configured: CONFIGURABLE_KINDS.filter((k) => signals[k] !== undefined),
  };
}

const matchesAny = (globs: readonly string[] | undefined, s: string): boolean =>
  globs?.some((g) => glob(g).testLower(s)) ?? false;

/** A time unit at the end of a metric's base name (before a histogram's or summary's suffix). */
const TIMED = /(?:_seconds|_milliseconds|_ms|_duration|_latency|_time)$/;
const ERROR_WORD = /error|fail|5xx|4xx|denied|reject|timeout/;

/**
 * The kind the naming conventions of real exporters give a metric, or undefined. Names are
 * compared lowercased, dots as underscores (OTel's `http.server.request.duration` is
 * `http_server_request_duration` here):
 * - a histogram or summary of durations (Prometheus client libraries, Micrometer, OTel):
 *   `_count` counts what was timed, requests (`http_server_requests_seconds_count`: traffic,
 *   or errors when the name says so); `_sum`, `_bucket` and Micrometer's `_max` are latency;
 * - CPU time counters (`process_cpu_seconds_total`, `node_cpu_seconds_total`,
 *   `container_cpu_usage_seconds_total`, OTel's `process.cpu.time`), memory in bytes
 *   in use (`process_resident_memory_bytes`, `node_memory_Active_bytes`, `jvm_memory_used_bytes`) and
 *   node_exporter's load averages (`node_load1`) are saturation.
 */
export function exporterKind(signal: string): SignalKind | undefined {
  const s = signal.toLowerCase().replaceAll('.', '_');
  const suffix = /_(count|sum|bucket|max)$/.exec(s);
  if (suffix && TIMED.test(s.slice(0, suffix.index))) {
    if (ERROR_WORD.test(s)) return 'errors';
    return suffix[1] === 'count' ? 'traffic' : 'latency';
  }
  if (/(?:^|_)cpu_(?:\w+_)?(?:seconds|time)(?:_total)?$/.test(s)) return 'saturation';
  // Memory in use; not what is left (`node_memory_MemAvailable_bytes`: a fall is the failure).
  if (/(?:^|_)memory_\w*bytes$/.test(s) && !/avail|free/.test(s)) return 'saturation';
  if (/^node_load(?:1|5|15)$/.test(s)) return 'saturation';
  return undefined;
}

/**
 * The configured globs first (errors, latency, traffic, saturation), then the exporters'
 * conventions, then the built-in globs: errors and latency win over traffic
 * (`http_requests_failed_total` is an error signal), traffic over availability
 * (`http_requests_success_total` counts requests), and availability over saturation.
 */
export function signalKind(signal: string, p: SignalPatterns = defaultSignalPatterns): SignalKind {
  const s = signal.toLowerCase();
  for (const kind of p.configured ?? []) if (matchesAny(p[kind], s)) return kind;
  const conventional = exporterKind(s);
  if (conventional) return conventional;
  for (const kind of CONFIGURABLE_KINDS.slice(0, 3)) if (matchesAny(p[kind], s)) return kind;
  if (matchesAny(p.availability ?? defaultSignalPatterns.availability, s)) return 'availability';
  if (matchesAny(p.saturation ?? defaultSignalPatterns.saturation, s)) return 'saturation';
  return 'other';
}

/** Errors, latency, availability: what the users of a service feel. */
export const isUserFacing = (kind: SignalKind): boolean =>
  kind === 'errors' || kind === 'latency' || kind === 'availability';

/**
 * How an anomaly bears on an incident: `failure` (errors, latency or saturation up,
 * availability down, traffic up, anything else either way), `symptom` (traffic down: the
 * callers failed) or `benign` (errors, latency or saturation below normal, availability above:
 * nothing is failing; the correlator leaves it out of incidents).
 */
export type Polarity = 'failure' | 'symptom' | 'benign';

export function polarity(
  a: { readonly signal: string; readonly value: number; readonly expected: number },
  p: SignalPatterns = defaultSignalPatterns,
): Polarity {
  const kind = signalKind(a.signal, p);
  const down = a.value < a.expected;
  if (kind === 'traffic') return down ? 'symptom' : 'failure';
  if (kind === 'errors' || kind === 'latency' || kind === 'saturation') {
    return down ? 'benign' : 'failure';
  }
  if (kind === 'availability') return down ? 'failure' : 'benign';
  return 'failure';
}
