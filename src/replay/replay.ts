/**
 * `aiops-worker replay`: runs the live path's pure cores over an NDJSON file in event time,
 * in one process, with no Redis, deterministically. Writes `anomalies.ndjson`,
 * `incidents.json` and `hooks.ndjson` to the output folder.
 */
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Detector } from '../../detectors/contract.js';
import type { AnomalyEvent, IncidentJson, LogRecord, SeriesMeta } from '../queues/contract.js';
import { analyzeLogs } from '../logs/log-analysis.js';
import { emptyLogOutcome } from '../logs/log-outcome.js';
import {
  createServiceLogState,
  type LogAnalysisSettings,
  type ServiceLogState,
} from '../logs/log-service-state.js';
import { parseRecord, type RecordLimits } from '../ingest/records.js';
import {
  emptyOutcome,
  eventTimeOrder,
  scoreSlice,
  type ScoringOptions,
} from '../detect/score-batch.js';
import { createSeriesState, type SeriesState } from '../detect/series-state.js';
import { suppressionCheck, type Suppression } from '../detect/suppressions.js';
import type { Correlator } from '../correlate/incidents.js';
import { edgeFromSeries, edgeKey, type Edge } from '../queues/discovered-edges.js';
import { foldAll } from '../correlate/fold-all.js';
import { earliestByService, learningUntil, noteEarliest } from '../queues/service-since.js';
import { incidentJson } from '../correlate/incident-json.js';
import { HookReplay, type ReplayHooks } from '../remediate/replay-hooks.js';

export interface ReplayOptions {
  readonly input: string;
  readonly outDir: string;
  /** The detector of each series (the live path's choice). */
  readonly detectorOf: (meta: SeriesMeta) => Detector<unknown>;
  readonly scoring: ScoringOptions;
  /**
   * The live correlator's pure core, given the dependency edges the input's service-graph
   * metrics (traces_service_graph_request_total{client,server} ...) discover.
   */
  readonly correlatorFor: (discovered: readonly Edge[]) => Correlator;
  readonly limits: RecordLimits;
  /** The log stage's settings: log records are mined and scored as live. */
  readonly logs: LogAnalysisSettings;
  /** The remediation hooks: what they would have done goes to hooks.ndjson. */
  readonly hooks?: ReplayHooks;
  /**
   * Suppressions to honour as the live detect and log stages do (GET /api/v1/suppressions):
   * matching anomalies are learned from but not emitted, so they open no incident.
   */
  readonly suppressions?: readonly Suppression[];
  /** Progress and warnings (stderr in the CLI). */
  readonly report: (line: string) => void;
  /** Wall clock for progress output only; never for results. */
  readonly now?: () => number;
}

export interface ReplaySummary {
  readonly lines: number;
  readonly metricSamples: number;
  readonly logRecords: number;
  /** Templates mined, over all services. */
  readonly logTemplates: number;
  readonly rejected: number;
  readonly series: number;
  readonly anomalies: number;
  readonly incidents: number;
  readonly taken: number;
  /** Anomalies a suppression held back (metric and log). */
  readonly suppressed: number;
  /**
   * Anomalies of a service still learning (`correlate.learning_ms` from its first record):
   * written out, but none opens an incident.
   */
  readonly learning: number;
}

const SLICE = 50_000;
const MAX_REPORTED_REJECTIONS = 10;

export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const o = options;
  const now = o.now ?? Date.now;
  const started = now();
  let lastReport = started;
  const progress = (what: string): void => {
    const t = now();
    if (t - started > 2000 && t - lastReport >= 1000) {
      lastReport = t;
      o.report(`replay: ${what}`);
    }
  };

  const seriesIndex = new Map<string, number>();
  const series: SeriesMeta[] = [];
  const idx: number[] = [];
  const ts: number[] = [];
  const val: number[] = [];
  let lines = 0;
  const logs: LogRecord[] = [];
  let rejected = 0;

  const rl = createInterface({ input: createReadStream(o.input, 'utf8'), crlfDelay: Infinity });
  for await (const raw of rl) {
    lines += 1;
    const text = raw.trim();
    if (text === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      rejected += 1;
      if (rejected <= MAX_REPORTED_REJECTIONS)
        o.report(`replay: line ${lines} skipped: ${(err as Error).message}`);
      continue;
    }
    const r = parseRecord(value, o.limits);
    if (!r.ok) {
      rejected += 1;
      if (rejected <= MAX_REPORTED_REJECTIONS)
        o.report(`replay: line ${lines} skipped: ${r.rejection.message}`);
      continue;
    }
    if (r.sample.kind === 'log') {
      logs.push(r.sample.record);
      continue;
    }
    const key = r.sample.series.key;
    let i = seriesIndex.get(key);
    if (i === undefined) {
      i = series.length;
      seriesIndex.set(key, i);
      series.push(r.sample.series);
    }
    idx.push(i);
    ts.push(r.sample.ts);
    val.push(r.sample.value);
    if ((lines & 0xffff) === 0) progress(`read ${lines} lines`);
  }
  if (rejected > MAX_REPORTED_REJECTIONS) {
    o.report(`replay: ${rejected - MAX_REPORTED_REJECTIONS} more lines skipped`);
  }

  const { anomalies, incidents, hookDecisions, logTemplates, taken, suppressed, learning } =
    replayColumns(options, { series, idx, ts, val, logs }, progress);
  const hookLines = hookDecisions.map((d) => JSON.stringify(d)).join('\n');
  await mkdir(o.outDir, { recursive: true });
  const anomalyLines = anomalies.map((a) => JSON.stringify(a)).join('\n');
  await Promise.all([
    writeFile(join(o.outDir, 'anomalies.ndjson'), anomalyLines === '' ? '' : `${anomalyLines}\n`),
    writeFile(join(o.outDir, 'incidents.json'), `${JSON.stringify(incidents, null, 2)}\n`),
    // Replay never runs a hook: each line says what it would have done, in event time.
    writeFile(join(o.outDir, 'hooks.ndjson'), hookLines === '' ? '' : `${hookLines}\n`),
  ]);
  return {
    lines,
    metricSamples: ts.length,
    logRecords: logs.length,
    logTemplates,
    rejected,
    series: series.length,
    anomalies: anomalies.length,
    incidents: incidents.length,
    taken,
    suppressed,
    learning,
  };
}

/** What replay reads: metric samples as columns (series index, time, value), and log records. */
export interface ReplayInput {
  readonly series: readonly SeriesMeta[];
  readonly idx: readonly number[];
  readonly ts: readonly number[];
  readonly val: readonly number[];
  readonly logs: readonly LogRecord[];
}

export interface ReplayResult {
  /** Metric and log anomalies, in event time. */
  readonly anomalies: readonly AnomalyEvent[];
  readonly incidents: readonly IncidentJson[];
  /** What each remediation hook would have done (hooks.ndjson). */
  readonly hookDecisions: readonly unknown[];
  readonly logTemplates: number;
  readonly taken: number;
  readonly suppressed: number;
  /** Anomalies of a service still learning (`correlate.learning_ms`): they open no incident. */
  readonly learning: number;
}

/**
 * Each service's first record, metric or log (event time), as live ingest notes it
 * (queues/service-since.ts): the service is learning `correlate.learning_ms` from then.
 */
export function serviceSinceOf(input: ReplayInput): Map<string, number> {
  const since = earliestByService(input.logs);
  for (let i = 0; i < input.ts.length; i++) {
    const service = input.series[input.idx[i] ?? 0]?.service;
    if (service !== undefined) noteEarliest(since, service, input.ts[i] ?? Number.NaN);
  }
  return since;
}

/**
 * Replay's core, in memory: scores the samples in event time, mines and scores the logs, folds
 * every anomaly into incidents. What `replay` does after reading its file, for callers that
 * generate their input (bench/correlate.ts --suite independent).
 */
export function replayColumns(
  options: Omit<ReplayOptions, 'input' | 'outDir' | 'limits' | 'report' | 'now'>,
  input: ReplayInput,
  progress: (what: string) => void = () => undefined,
): ReplayResult {
  const o = withSuppressions(options);
  const { series, ts, logs } = input;
  const batch = { series, idx: input.idx, ts, val: input.val };
  const order = eventTimeOrder(ts);
  const detectors = series.map((m) => o.detectorOf(m));
  const states: SeriesState<unknown>[] = detectors.map((d) => createSeriesState(d));
  const out = emptyOutcome();
  for (let from = 0; from < order.length; from += SLICE) {
    const to = Math.min(order.length, from + SLICE);
    scoreSlice(
      (si) => {
        const d = detectors[si];
        if (!d) throw new Error(`series index ${si} out of range`);
        return d;
      },
      o.scoring,
      batch,
      order,
      from,
      to,
      (si) => {
        const s = states[si];
        if (!s) throw new Error(`series index ${si} out of range`);
        return s;
      },
      out,
    );
    progress(
      `scored ${to} of ${order.length} samples (${((100 * to) / order.length).toFixed(0)}%)`,
    );
  }

  const logStates = new Map<string, ServiceLogState>();
  const logOut = emptyLogOutcome();
  // In event time over the whole file, as the metric samples.
  const sorted = [...logs].sort((a, b) => a.ts - b.ts);
  for (let from = 0; from < sorted.length; from += SLICE) {
    analyzeLogs(
      o.logs,
      sorted.slice(from, from + SLICE),
      (service) => {
        let st = logStates.get(service);
        if (!st) {
          st = createServiceLogState(service, o.logs);
          logStates.set(service, st);
        }
        return st;
      },
      logOut,
    );
    progress(`mined ${Math.min(logs.length, from + SLICE)} of ${logs.length} log records`);
  }
  out.anomalies.push(...logOut.anomalies);
  out.anomalies.sort((a, b) => a.ts - b.ts || a.id.localeCompare(b.id));

  const discovered = new Map<string, Edge>();
  for (const m of series) {
    const e = edgeFromSeries(m);
    if (e) discovered.set(edgeKey(e), e);
  }
  const hooks = o.hooks ? new HookReplay(o.hooks) : undefined;
  const correlator = o.correlatorFor([...discovered.values()]);
  const since = serviceSinceOf(input);
  const learningMs = correlator.settings.learning_ms ?? 0;
  const learning = out.anomalies.filter(
    (a) => learningUntil(since.get(a.service), learningMs, a.ts) !== undefined,
  ).length;
  const incidents = foldAll(
    correlator,
    out.anomalies,
    hooks &&
      ((events, now) => {
        for (const e of events) {
          if (e.type !== 'opened' && e.type !== 'reopened') continue;
          const at = e.type === 'opened' ? (e.incident.opened_at ?? now) : now;
          hooks.transition(incidentJson(e.incident), e.type, at);
        }
      }),
    since,
  ).map(incidentJson);
  hooks?.finish(incidents);
  return {
    anomalies: out.anomalies,
    incidents,
    hookDecisions: hooks?.decisions ?? [],
    logTemplates: [...logStates.values()].reduce((n, st) => n + st.miner.size, 0),
    taken: out.taken,
    suppressed: out.suppressed + logOut.suppressed,
    learning,
  };
}

/** The options with `suppressions` folded into the metric and log scoring. */
function withSuppressions<T extends Pick<ReplayOptions, 'suppressions' | 'scoring' | 'logs'>>(
  o: T,
): T {
  const suppressed = suppressionCheck(o.suppressions ?? []);
  if (!suppressed) return o;
  return {
    ...o,
    scoring: { ...o.scoring, suppressed },
    logs: { ...o.logs, scoring: { ...o.logs.scoring, suppressed } },
  };
}
