/**
 * What kind of signal an anomaly is on, and which way it moved, from the signal's name and
 * value vs expected. A fall in traffic is what a service sees when the one that calls it
 * fails: a symptom, not a cause. The patterns are configurable (`correlate.signals.traffic`,
 * `.errors`, `.latency`, `.saturation`: globs with `*`); availability (success ratios, uptime)
 * uses the built-in list. Errors, latency and availability are what users feel: an incident's
 * severity looks at them (severity.ts).
 *
 * Kinds go errors, latency, traffic, availability, saturation; within that order, the naming
 * conventions of real exporters (`exporterKind`: a histogram's `_count` counts requests, its
 * `_sum` and `_bucket` are latency, CPU seconds and memory in use are saturation), then what a
 * family's declared type and unit say (`typedKind`, from a scrape's `# TYPE`/`# UNIT` or
 * remote_write's metadata) come before the built-in globs, and globs the config sets before
 * the conventions (`signalKind`).
 */
import type { TypedFamily } from '../queues/metric-families.js';
import { glob, globMatches } from '../util/glob.js';

/** A `*` glob, case-insensitive, anchored (src/util/glob.ts; kept here for remediate's hooks). */
export { globMatches };

export type SignalKind = 'traffic' | 'errors' | 'latency' | 'availability' | 'saturation' | 'other';

/** The kinds `correlate.signals` may set globs for, in PRIORITY order. */
const CONFIGURABLE_KINDS = ['errors', 'latency', 'traffic', 'saturation'] as const;
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
  /**
   * The family a sample name belongs to and what its type and unit say (an exposition's
   * `# TYPE` and `# UNIT`, remote_write's metadata: queues/metric-families.ts), when known.
   */
  readonly families?: ((signal: string) => TypedFamily | undefined) | undefined;
}

/** Units of time, as Prometheus (`seconds`) and OTel/UCUM (`s`, `ms`) write them. */
const TIME_UNIT =
  /^(?:s|ms|us|ns|min|h|seconds?|milliseconds?|microseconds?|nanoseconds?|minutes?|hours?)$/i;

/**
 * The kind a family's declared type and unit give one of its samples, or undefined: of a
 * histogram or summary, `_count` counts what was observed (requests: traffic, or errors when
 * the name says so), and `_sum`, `_bucket` and a summary's quantiles are latency when the unit
 * is time (by `# UNIT` or the family's name); otherwise, and for counter and gauge types, the
 * type says nothing of the kind and the globs decide.
 */
export function typedKind(signal: string, typed: TypedFamily): SignalKind | undefined {
  const { family, meta } = typed;
  if (!/^(?:histogram|gaugehistogram|summary)$/.test(meta.type)) return undefined;
  if (!signal.startsWith(family)) return undefined;
  const suffix = signal.slice(family.length);
  const timed =
    (meta.unit !== undefined && TIME_UNIT.test(meta.unit)) ||
    TIMED.test(family.toLowerCase().replaceAll('.', '_'));
  if (suffix === '_count') return ERROR_WORD.test(signal.toLowerCase()) ? 'errors' : 'traffic';
  // Not time by its unit or name: the globs decide (`*latency*` in a name still says latency).
  if (suffix === '_sum' || suffix === '_bucket' || suffix === '') {
    return timed ? 'latency' : undefined;
  }
  return undefined;
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
/** Memory that is a capacity, a limit or reclaimable, not memory in use. */
const NOT_IN_USE = /avail|free|total|limit|max|allocatable|capacity|size|cached|buffers|commit/;

/**
 * The kind the naming conventions of real exporters give a metric, or undefined. Names are
 * compared lowercased, dots as underscores (OTel's `http.server.request.duration` is
 * `http_server_request_duration` here):
 * - a histogram or summary of durations (Prometheus client libraries, Micrometer, OTel):
 *   `_count` counts what was timed, requests (`http_server_requests_seconds_count`: traffic,
 *   or errors when the name says so), as does this project's `_rate` of an OTLP histogram;
 *   `_sum`, `_bucket` and Micrometer's `_max` are latency; but garbage-collection timers
 *   (`jvm_gc_pause_seconds_count`, `go_gc_duration_seconds`) are saturation;
 * - CPU time of a process or container (`process_cpu_seconds_total`,
 *   `container_cpu_usage_seconds_total`, OTel's `process.cpu.time`), memory in use
 *   (`process_resident_memory_bytes`, `node_memory_Active_bytes`, `jvm_memory_used_bytes`;
 *   not a total, limit, capacity, cache or what is free) and node_exporter's load averages
 *   (`node_load1`) are saturation;
 * - CPU time split by mode or state (`node_cpu_seconds_total`, OTel's `system.cpu.time`) is
 *   `other`: most of its series are the idle time, where a saturated CPU shows as a fall;
 * - a datastore's work (redis_exporter's `redis_commands_processed_total`, postgres_exporter's
 *   `pg_stat_database_xact_commit`, mysqld_exporter's `mysql_global_status_queries`) is
 *   traffic, the connections it holds (`redis_connected_clients`, `pg_stat_activity_count`)
 *   saturation.
 */
export function exporterKind(signal: string): SignalKind | undefined {
  const s = signal.toLowerCase().replaceAll('.', '_');
  const suffix = /_(count|sum|bucket|max|rate)$/.exec(s);
  const stem = suffix ? s.slice(0, suffix.index) : s;
  if (/(?:^|_)gc(?:_|$)/.test(stem) && TIMED.test(stem)) return 'saturation';
  if (suffix && TIMED.test(stem)) {
    if (ERROR_WORD.test(s)) return 'errors';
    return suffix[1] === 'count' || suffix[1] === 'rate' ? 'traffic' : 'latency';
  }
  if (/^(?:node_cpu_seconds_total|system_cpu_time)$/.test(s)) return 'other';
  if (/(?:^|_)cpu_(?:\w+_)?(?:seconds|time)(?:_total)?$/.test(s)) return 'saturation';
  if (/(?:^|_)memory_\w*bytes$/.test(s) && !NOT_IN_USE.test(s)) return 'saturation';
  if (/^node_load(?:1|5|15)$/.test(s)) return 'saturation';
  if (DATASTORE_WORK.test(s)) return 'traffic';
  if (DATASTORE_CONNECTIONS.test(s)) return 'saturation';
  return undefined;
}

/**
 * The work a datastore's exporter counts, in the exporters' own names: commands processed
 * (redis_exporter, memcached_exporter), transactions committed and rows read or written
 * (postgres_exporter), statements and queries (mysqld_exporter), operations (mongodb_exporter).
 * Their rise is load, their fall what a datastore sees when its callers stop.
 */
const DATASTORE_WORK =
  /^(?:redis_commands_processed_total|redis_commands_total|memcached_commands_total|pg_stat_database_xact_commit(?:_total)?|pg_stat_database_tup_(?:fetched|returned|inserted|updated|deleted)(?:_total)?|mysql_global_status_(?:questions|queries|commands_total)|mongodb_op_?counters_total)$/;
/** Connections a datastore holds open: what fills up before it refuses more. */
const DATASTORE_CONNECTIONS =
  /^(?:redis_connected_clients|memcached_current_connections|pg_stat_activity_count|mysql_global_status_threads_(?:connected|running))$/;

/** Kinds from the most telling to the least: a name that matches two is the first. */
type RankedKind = Exclude<SignalKind, 'other'>;
const PRIORITY: readonly RankedKind[] = [
  'errors',
  'latency',
  'traffic',
  'availability',
  'saturation',
];

const globsOf = (p: SignalPatterns, kind: RankedKind): readonly string[] | undefined =>
  kind === 'availability' || kind === 'saturation'
    ? (p[kind] ?? defaultSignalPatterns[kind])
    : p[kind];

/**
 * Kinds in PRIORITY order: errors win over latency, latency over traffic
 * (`http_requests_failed_total` is an error signal), traffic over availability
 * (`http_requests_success_total` counts requests), availability over saturation. A name with
 * an exporters' convention (`exporterKind`) takes it over the built-in globs; a glob list the
 * config sets still wins over the convention, when its kind comes first or is the same (a
 * team that lists `*_seconds_count` as latency gets latency; a configured traffic list that
 * holds `*request*` does not turn `http_server_requests_seconds_sum` into traffic).
 */
export function signalKind(signal: string, p: SignalPatterns = defaultSignalPatterns): SignalKind {
  const s = signal.toLowerCase();
  if (matchesAny(p.errors, s)) return 'errors';
  // Exporters' conventions know more than a type (a GC timer is saturation); then the type.
  const typed = p.families?.(signal);
  const conventional = exporterKind(s) ?? (typed && typedKind(signal, typed));
  if (conventional) {
    // 'other' ranks last: any configured list wins over it.
    const rank = conventional === 'other' ? PRIORITY.length : PRIORITY.indexOf(conventional);
    for (const kind of p.configured ?? []) {
      const r = PRIORITY.indexOf(kind);
      if (r <= rank && matchesAny(p[kind], s)) return kind;
    }
    return conventional;
  }
  for (const kind of PRIORITY) if (matchesAny(globsOf(p, kind), s)) return kind;
  return 'other';
}

/** Labels that carry a response's status, as exporters name them (OTel's as ingest renames it). */
const STATUS_LABELS = [
  'code',
  'status',
  'status_code',
  'http_status',
  'http_status_code',
  'http_response_status_code',
  'http.response.status_code',
  'response_code',
  'grpc_code',
];
/** gRPC codes that are the server's fault (Prometheus' and OTel's spellings). */
const GRPC_SERVER_ERRORS =
  /^(?:internal|unavailable|unknown|data_?loss|deadline_?exceeded|13|14|2|15|4)$/i;

/**
 * A series whose labels say it counts failed responses: a 5xx status (`code="500"`,
 * `status="503"`, OTel's `http.response.status_code`), Micrometer's `outcome="SERVER_ERROR"`,
 * a server-side gRPC code. `http_requests_total{code="500"}` is an error signal, though its
 * name says requests.
 */
export function labelsSayErrors(labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!labels) return false;
  if (labels.outcome === 'SERVER_ERROR') return true;
  for (const l of STATUS_LABELS) {
    const v = labels[l];
    if (v === undefined) continue;
    if (/^5\d\d$/.test(v) || /^5xx$/i.test(v)) return true;
    if (l === 'grpc_code' && GRPC_SERVER_ERRORS.test(v)) return true;
  }
  return false;
}

/**
 * The kind of one anomaly's series: errors when its labels say it counts failed responses
 * (labelsSayErrors), else its signal's kind by name (signalKind).
 */
export function anomalyKind(
  a: { readonly signal: string; readonly labels?: Readonly<Record<string, string>> | undefined },
  p: SignalPatterns = defaultSignalPatterns,
): SignalKind {
  return labelsSayErrors(a.labels) ? 'errors' : signalKind(a.signal, p);
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
  a: {
    readonly signal: string;
    readonly value: number;
    readonly expected: number;
    readonly labels?: Readonly<Record<string, string>> | undefined;
  },
  p: SignalPatterns = defaultSignalPatterns,
): Polarity {
  return polarityOf(anomalyKind(a, p), a.value < a.expected);
}

/** The polarity of a move of a signal of this kind (down: below what was expected). */
export function polarityOf(kind: SignalKind, down: boolean): Polarity {
  if (kind === 'traffic') return down ? 'symptom' : 'failure';
  if (kind === 'errors' || kind === 'latency' || kind === 'saturation') {
    return down ? 'benign' : 'failure';
  }
  if (kind === 'availability') return down ? 'failure' : 'benign';
  return 'failure';
}
