/**
 * What the status side reads, in one place for the API (service-routes.ts) and the pages
 * (src/web/): the health of every service (score board, open incidents, maintenance windows,
 * suppressions, made into states by service-health.ts) and the recent history of series
 * (series-history.ts, with each series' latest score as its newest point, so the step in
 * progress shows too). A process builds one source (src/service/service.ts), so the API and the
 * pages share its history cache.
 */
import type { Redis } from 'ioredis';
import { ServiceSince, stillLearning } from '../queues/service-since.js';
import type { Config } from '../config/schema.js';
import { incidentJson } from '../correlate/incident-json.js';
import { IncidentStore } from '../correlate/incident-store.js';
import { signalPatternsOf } from '../correlate/signal-kind.js';
import {
  decodePoint,
  encodePoint,
  pointsPerStep,
  type HistoryPoint,
} from '../detect/history-points.js';
import { ScoreBoard, type BoardEntry } from '../detect/score-board.js';
import { SeriesHistory } from '../detect/series-history.js';
import { SuppressionStore } from '../detect/suppression-store.js';
import { suppressionCheck } from '../detect/suppressions.js';
import { maintenanceCheck } from '../maintenance/maintenance.js';
import { HistoryCache } from './history-cache.js';
import { capUnconfigured, serviceHealth, UNCONFIGURED_SERVICES_MAX } from './service-health.js';
import type { SeriesHistoryJson, SeriesPoint, ServiceHealth } from './status-model.js';
import { keyLayoutOf } from '../queues/key-layout.js';

/** The stores and settings the status side reads. */
export interface StatusSource {
  readonly config: Pick<Config, 'services' | 'detect' | 'correlate' | 'metrics'>;
  readonly board: Pick<ScoreBoard, 'all' | 'latest'> & Partial<Pick<ScoreBoard, 'services'>>;
  readonly incidents: Pick<IncidentStore, 'open'>;
  readonly history: Pick<SeriesHistory, 'read' | 'readTails' | 'stepMs' | 'keepMs' | 'maxPoints'>;
  /** The suppressions: a suppressed anomalous signal does not make its service degraded. */
  readonly suppressions?: Pick<SuppressionStore, 'list'> | undefined;
  /** True while a maintenance window covers the service (none configured: undefined). */
  readonly inMaintenance?: ((service: string, nowMs: number) => boolean) | undefined;
  /** Each service's first record: a service is learning `correlate.learning_ms` from it. */
  readonly since?: Pick<ServiceSince, 'all'> | undefined;
  /** The wall clock (tests pass their own). */
  readonly now: () => number;
  /** What this process read of histories before: a refresh then reads only what is new. */
  readonly cache?: HistoryCache;
}

/**
 * The stores of `config` on one Redis connection, with a history cache: build it once per
 * process (src/service/service.ts) and hand it to the API and the pages.
 */
export function statusSource(config: Readonly<Config>, redis: Redis): StatusSource {
  const prefix = keyLayoutOf(config).main;
  return {
    config,
    board: new ScoreBoard(redis, prefix),
    incidents: new IncidentStore(redis, prefix),
    history: new SeriesHistory(redis, prefix, { keepMs: config.detect.history_keep_ms }),
    suppressions: new SuppressionStore(redis, prefix),
    inMaintenance: maintenanceCheck(config.maintenance),
    since: new ServiceSince(redis, prefix),
    now: Date.now,
    cache: new HistoryCache(),
  };
}

/** The answer of `GET /api/v1/services`. */
export interface ServicesJson {
  readonly services: readonly ServiceHealth[];
  /**
   * Services left out of `services`: those seen on the board (or in an incident) but not
   * configured, past the first 100 (the worst first); with `configuredOnly`, all of them.
   */
  readonly omitted_services: number;
  /** RFC 3339: when it was computed. */
  readonly generated_at: string;
}

/** The series on the board (fresh within `metrics.stale_after_ms`), the highest scores first. */
function boardEntries(src: StatusSource, nowMs: number): Promise<BoardEntry[]> {
  return src.board.all({ staleAfterMs: src.config.metrics.stale_after_ms, nowMs });
}

export interface ServiceHealthOptions {
  /**
   * List configured services only (the public page). Otherwise every configured service and at
   * most `maxUnconfigured` others, the worst first.
   */
  readonly configuredOnly?: boolean | undefined;
  /** Services seen on the board but not configured, listed at most (default 100). */
  readonly maxUnconfigured?: number | undefined;
}

/**
 * Every service's health, the worst first: the configured services, and those seen on the
 * board or in an open incident (at most `maxUnconfigured` of them; none with `configuredOnly`).
 */
export async function loadServiceHealth(
  src: StatusSource,
  opts: ServiceHealthOptions = {},
): Promise<ServicesJson> {
  const nowMs = src.now();
  const staleAfterMs = src.config.metrics.stale_after_ms;
  const [board, open, scored, suppressions, since] = await Promise.all([
    boardEntries(src, nowMs),
    src.incidents.open(),
    src.board.services?.({ staleAfterMs, nowMs }),
    src.suppressions?.list(nowMs),
    src.config.correlate.learning_ms > 0 ? src.since?.all() : undefined,
  ]);
  const all = serviceHealth({
    services: src.config.services,
    board,
    scoredServices: scored === undefined ? undefined : new Set(scored.keys()),
    incidents: open.map(incidentJson),
    inMaintenance: src.inMaintenance,
    suppressed: suppressionCheck(suppressions ?? []),
    threshold: src.config.detect.anomaly_threshold,
    learningUntil: since && stillLearning(since, src.config.correlate.learning_ms, nowMs),
    nowMs,
    patterns: signalPatternsOf(src.config.correlate.signals),
  });
  const max = opts.configuredOnly ? 0 : (opts.maxUnconfigured ?? UNCONFIGURED_SERVICES_MAX);
  const { services, omitted } = capUnconfigured(all, src.config.services, max);
  return { services, omitted_services: omitted, generated_at: new Date(nowMs).toISOString() };
}

const pointJson = (p: HistoryPoint): SeriesPoint => ({
  ts: new Date(p.ts).toISOString(),
  value: p.value,
  lower: p.lower,
  upper: p.upper,
  score: p.score,
});

/** The points of these board entries, each ending with its latest score (epoch ms times). */
async function pointsOf(
  src: StatusSource,
  entries: readonly BoardEntry[],
  sinceMs?: number,
): Promise<Map<string, HistoryPoint[]>> {
  if (src.history.keepMs <= 0) {
    // The history is off (`detect.history_keep_ms: 0`): the latest point alone.
    const out = new Map<string, HistoryPoint[]>();
    for (const e of entries) {
      const latest = decodePoint(encodePoint(e));
      const keep = latest !== undefined && (sinceMs === undefined || latest.ts >= sinceMs);
      out.set(e.key, keep ? [latest] : []);
    }
    return out;
  }
  const window = { stepMs: src.history.stepMs, windowMs: src.history.keepMs, sinceMs };
  const stored = src.cache
    ? await src.cache.read(
        src.history,
        entries.map((e) => ({ key: e.key, newestTs: e.ts })),
        window,
        src.now(),
      )
    : await src.history.read(
        entries.map((e) => e.key),
        sinceMs,
      );
  const out = new Map<string, HistoryPoint[]>();
  for (const e of entries) {
    // Through the stored form, so the newest point is rounded as the others are.
    const latest = decodePoint(encodePoint(e));
    const points = stored.get(e.key) ?? [];
    out.set(e.key, latest ? pointsPerStep([...points, latest], window) : points);
  }
  return out;
}

/** The history of these board entries, each ending with its latest score, in their order. */
async function historyOf(
  src: StatusSource,
  entries: readonly BoardEntry[],
  sinceMs?: number,
): Promise<SeriesHistoryJson[]> {
  const points = await pointsOf(src, entries, sinceMs);
  return entries.map((e) => ({
    series: e.key,
    service: e.service,
    signal: e.metric,
    score: Math.round(e.score * 1000) / 1000,
    points: (points.get(e.key) ?? []).map(pointJson),
  }));
}

/**
 * The recent points of the given series as numbers (epoch ms), by series key: what the pages
 * draw, without the JSON's time strings. Series no longer on the score board are left out.
 */
export async function loadSeriesPoints(
  src: StatusSource,
  keys: readonly string[],
  sinceMs?: number,
): Promise<Map<string, HistoryPoint[]>> {
  return pointsOf(src, await src.board.latest(keys), sinceMs);
}

/**
 * The recent history of the given series, one point per step (a minute), oldest first, the
 * last `detect.history_keep_ms` (6 hours) before each series' newest point (and none before `sinceMs`, if given). Series
 * no longer on the score board are left out.
 */
export async function loadSeriesHistory(
  src: StatusSource,
  keys: readonly string[],
  sinceMs?: number,
): Promise<SeriesHistoryJson[]> {
  return historyOf(src, await src.board.latest(keys), sinceMs);
}

/**
 * The `top` most anomalous series (of `service`, when given) with their recent history, the
 * highest score first; undefined when `service` is neither configured nor on the board.
 */
export async function loadTopSeries(
  src: StatusSource,
  opts: { readonly service?: string | undefined; readonly top: number },
): Promise<SeriesHistoryJson[] | undefined> {
  const board = await boardEntries(src, src.now());
  const { service } = opts;
  const of = service === undefined ? board : board.filter((e) => e.service === service);
  if (service !== undefined && of.length === 0 && !Object.hasOwn(src.config.services, service)) {
    return undefined;
  }
  const top = [...of]
    .sort((a, b) => b.score - a.score || a.key.localeCompare(b.key))
    .slice(0, opts.top);
  return historyOf(src, top);
}
