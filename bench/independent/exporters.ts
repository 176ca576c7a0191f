/**
 * A scenario's samples as real exporters name them. Each service speaks one family:
 * - `prometheus` (client_golang/client_python defaults): `http_requests_total{code}`,
 *   `http_request_duration_seconds_sum` / `_count`, `process_cpu_seconds_total`,
 *   `process_resident_memory_bytes`; scraped, so labelled `job` and `instance`;
 * - `micrometer` (Spring Boot): `http_server_requests_seconds_count{status,outcome}`, `_sum`,
 *   `_max`, `process_cpu_usage`, `jvm_memory_used_bytes{area}`;
 * - `otel` (OTLP through this project's ingest, metrics-to-samples.ts):
 *   `http_server_request_duration_rate{http_response_status_code}` and `_p99`,
 *   `process_cpu_time_total`, `process_memory_usage`; labelled `service`;
 * - `postgres` (postgres_exporter, and node_exporter on its host):
 *   `pg_stat_database_xact_commit`, `pg_stat_database_xact_rollback` (counters whose names do
 *   not say so: the exporter's TYPE line does, and it is passed on as the record's `type`),
 *   `pg_stat_activity_count{state}`, `pg_stat_activity_max_tx_duration`, `node_load1`;
 * - `redis` (redis_exporter): `redis_commands_processed_total`,
 *   `redis_commands_duration_seconds_total`, `redis_rejected_connections_total`,
 *   `redis_connected_clients`, `redis_memory_used_bytes`.
 * Counts are Poisson, means and quantiles carry the noise of the requests behind them,
 * counters restart at 0 with their process, a down service sends nothing, skewed services stamp
 * their samples off true time, and every scrape lands a little off its step.
 */
import type { Random } from './random.js';
import type { BlipSignal, Scenario } from './scenario.js';
import type { ExporterFamily } from './topology.js';
import type { ServiceTrace, World } from './world.js';

export interface GeneratedSeries {
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly type: 'counter' | 'gauge';
  readonly ts: number[];
  readonly val: number[];
}

/** One scrape's worth of what a service did in its step. */
interface Observation {
  ok: number;
  failed: number;
  /** Seconds spent on the step's requests (the histogram's _sum increase). */
  latSum: number;
  meanLat: number;
  p99: number;
  max: number;
  cpu: number;
  mem: number;
}

type Reader = (o: Observation, c: Counters) => number;
interface Counters {
  ok: number;
  failed: number;
  latSum: number;
  cpuSeconds: number;
  clients: number;
}

interface SeriesDef {
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly type: 'counter' | 'gauge';
  readonly read: Reader;
}

function definitions(family: ExporterFamily, name: string): SeriesDef[] {
  const scraped = { job: name, instance: `${name}:9100` };
  const g = (metric: string, labels: Record<string, string>, read: Reader): SeriesDef => ({
    metric,
    labels,
    type: 'gauge',
    read,
  });
  const c = (metric: string, labels: Record<string, string>, read: Reader): SeriesDef => ({
    metric,
    labels,
    type: 'counter',
    read,
  });
  switch (family) {
    case 'prometheus':
      return [
        c('http_requests_total', { ...scraped, code: '200' }, (_, n) => n.ok),
        c('http_requests_total', { ...scraped, code: '500' }, (_, n) => n.failed),
        c('http_request_duration_seconds_sum', scraped, (_, n) => n.latSum),
        c('http_request_duration_seconds_count', scraped, (_, n) => n.ok + n.failed),
        c('process_cpu_seconds_total', scraped, (_, n) => n.cpuSeconds),
        g('process_resident_memory_bytes', scraped, (o) => o.mem),
      ];
    case 'micrometer': {
      const http = { ...scraped, application: name, method: 'GET', uri: '/api/{id}' };
      return [
        c(
          'http_server_requests_seconds_count',
          { ...http, status: '200', outcome: 'SUCCESS' },
          (_, n) => n.ok,
        ),
        c(
          'http_server_requests_seconds_count',
          { ...http, status: '500', outcome: 'SERVER_ERROR' },
          (_, n) => n.failed,
        ),
        c(
          'http_server_requests_seconds_sum',
          { ...http, status: '200', outcome: 'SUCCESS' },
          (_, n) => n.latSum,
        ),
        g(
          'http_server_requests_seconds_max',
          { ...http, status: '200', outcome: 'SUCCESS' },
          (o) => o.max,
        ),
        g('process_cpu_usage', { ...scraped, application: name }, (o) => Math.min(1, o.cpu / 8)),
        g(
          'jvm_memory_used_bytes',
          { ...scraped, application: name, area: 'heap', id: 'G1 Old Gen' },
          (o) => o.mem,
        ),
      ];
    }
    case 'otel': {
      const res = { service: name };
      return [
        g(
          'http_server_request_duration_rate',
          { ...res, http_response_status_code: '200' },
          (o) => o.ok,
        ),
        g(
          'http_server_request_duration_rate',
          { ...res, http_response_status_code: '500' },
          (o) => o.failed,
        ),
        g(
          'http_server_request_duration_p99',
          { ...res, http_response_status_code: '200' },
          (o) => o.p99,
        ),
        c('process_cpu_time_total', res, (_, n) => n.cpuSeconds),
        g('process_memory_usage', res, (o) => o.mem),
      ];
    }
    case 'postgres': {
      const db = { ...scraped, datname: 'app' };
      return [
        c('pg_stat_database_xact_commit', db, (_, n) => n.ok),
        c('pg_stat_database_xact_rollback', db, (_, n) => n.failed),
        g('pg_stat_activity_count', { ...db, state: 'active' }, (o) =>
          Math.round((o.ok + o.failed) * o.meanLat),
        ),
        g('pg_stat_activity_max_tx_duration', { ...db, state: 'active' }, (o) => o.max),
        g('node_load1', scraped, (o) => o.cpu * 1.2),
      ];
    }
    case 'redis':
      return [
        c('redis_commands_processed_total', scraped, (_, n) => n.ok + n.failed),
        c('redis_commands_duration_seconds_total', scraped, (_, n) => n.latSum),
        c('redis_rejected_connections_total', scraped, (_, n) => n.failed),
        g('redis_connected_clients', scraped, (_, n) => n.clients),
        g('redis_memory_used_bytes', scraped, (o) => o.mem),
      ];
  }
}

export function exportSeries(s: Scenario, world: World, r: Random): GeneratedSeries[] {
  const out: GeneratedSeries[] = [];
  const blips = new Map<string, { signal: BlipSignal; factor: number }>();
  for (const c of s.confounders) {
    if (c.type === 'blip') blips.set(`${c.service}@${Math.round((c.at - s.start) / s.stepMs)}`, c);
  }
  const skew = new Map<string, number>();
  for (const c of s.confounders) if (c.type === 'skew') skew.set(c.service, c.offsetMs);
  const dt = s.stepMs / 1000;
  for (const spec of s.topology.services) {
    const trace = world.traces.get(spec.name) as ServiceTrace;
    const defs = definitions(spec.exporter, spec.name);
    const series = defs.map((d) => ({ ...d, ts: [] as number[], val: [] as number[] }));
    const n: Counters = { ok: 0, failed: 0, latSum: 0, cpuSeconds: 0, clients: 0 };
    const callers = s.topology.edges.filter((e) => e.to === spec.name).length;
    const normalClients = Math.max(1, callers) * r.int(2, 12);
    n.clients = normalClients;
    const offset = skew.get(spec.name) ?? 0;
    for (let k = 0; k < world.steps; k++) {
      if (trace.reset[k] === 1) {
        n.ok = 0;
        n.failed = 0;
        n.latSum = 0;
        n.cpuSeconds = 0;
      }
      const rps = trace.rps[k] ?? 0;
      const err = trace.err[k] ?? 0;
      const lat = trace.lat[k] ?? 0;
      const blip = blips.get(`${spec.name}@${k}`);
      const down = trace.down[k] === 1;
      // A crashed or restarting process serves nothing; a scrape gap only hides what it did.
      const serving = !down || !isProcessDown(s, spec.name, k);
      let ok = serving ? r.poisson(rps * (1 - err) * dt) : 0;
      let failed = serving ? r.poisson(rps * err * dt) : 0;
      if (blip?.signal === 'traffic') {
        ok = Math.round(ok * blip.factor);
        failed = Math.round(failed * blip.factor);
      }
      if (blip?.signal === 'errors')
        failed += r.poisson(Math.max(1, 0.02 * blip.factor * rps * dt));
      const requests = ok + failed;
      const spread = 1 / Math.sqrt(Math.max(1, requests));
      const latFactor = blip?.signal === 'latency' ? blip.factor : 1;
      const meanLat = Math.max(1e-5, lat * latFactor * (1 + (0.9 * spread + 0.02) * r.gauss()));
      const o: Observation = {
        ok: ok / dt,
        failed: failed / dt,
        latSum: meanLat * requests,
        meanLat,
        p99: Math.max(1e-5, 4 * lat * latFactor * (1 + (2 * spread + 0.04) * r.gauss())),
        max: lat * latFactor * r.uniform(4, 10),
        cpu: Math.max(
          0,
          (trace.cpu[k] ?? 0) * (blip?.signal === 'cpu' ? blip.factor : 1) * (1 + 0.03 * r.gauss()),
        ),
        mem:
          (trace.mem[k] ?? 0) *
          (blip?.signal === 'memory' ? 1 + (blip.factor - 1) / 4 : 1) *
          (1 + 0.003 * r.gauss()),
      };
      n.ok += ok;
      n.failed += failed;
      n.latSum += o.latSum;
      n.cpuSeconds += o.cpu * dt;
      // Connected clients: flat, a rare ±1, drawn back to normal.
      if (r.chance(0.003))
        n.clients +=
          n.clients > normalClients ? -1 : n.clients < normalClients ? 1 : r.chance(0.5) ? 1 : -1;
      if (down) continue;
      const ts = s.start + k * s.stepMs + offset + Math.round(r.uniform(-250, 250));
      for (const x of series) {
        x.ts.push(ts);
        x.val.push(x.read(o, n));
      }
    }
    for (const x of series)
      out.push({ metric: x.metric, labels: x.labels, type: x.type, ts: x.ts, val: x.val });
  }
  return out;
}

/** Down because the process is (a crash or a restart), not only unscraped (a scrape gap). */
function isProcessDown(s: Scenario, name: string, k: number): boolean {
  const t = s.start + k * s.stepMs;
  return (
    s.faults.some(
      (f) => f.kind === 'crash' && f.root === name && t >= f.at && t < f.at + f.durationMs,
    ) ||
    s.confounders.some(
      (c) =>
        c.type === 'restart' &&
        c.service === name &&
        t >= c.at &&
        t < c.at + c.downSteps * s.stepMs,
    )
  );
}
