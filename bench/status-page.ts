/**
 * How fast `/status` answers with many services: a fresh Redis prefix holds `--services` (200)
 * services of 5 series each on the score board, 6 hours of per-minute history per series and 3
 * open incidents; a real HTTP server (the worker's own, with the pages registered) answers
 * `/status` and `/status?part=main` over loopback. Prints the median and p95 of each, the page
 * size, and the share of the time spent rendering (the rest is reading Redis). The same run with
 * 20 services gives the ratio: how the page scales.
 *
 *   npm run bench -- status-page [--services 200] [--series 5] [--requests 60]
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { parseConfig } from '../src/config/load.js';
import { IncidentStore } from '../src/correlate/incident-store.js';
import {
  emptyCorrelatorState,
  type Incident,
  type IncidentAnomaly,
} from '../src/correlate/incidents.js';
import { encodePoint } from '../src/detect/history-points.js';
import type { LatestScore } from '../src/detect/score-batch.js';
import { ScoreBoard } from '../src/detect/score-board.js';
import { createHttpServer } from '../src/http/server.js';
import type { SeriesMeta } from '../src/queues/contract.js';
import { loadServiceHealth, loadSeriesPoints, statusSource } from '../src/api/status-loader.js';
import { statusPage } from '../src/web/status-page.js';
import { registerWeb } from '../src/web/register-web.js';
import { webSources } from '../src/web/web-sources.js';

const MIN = 60_000;
const BASE_SIGNALS = [
  'http_error_ratio',
  'http_latency_p99_seconds',
  'http_requests_per_second',
  'cpu_usage_ratio',
  'queue_depth',
];
/** `--series N` per service: the five above, then more. */
let SIGNALS = BASE_SIGNALS;

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

function anomaly(service: string, signal: string, ts: number): IncidentAnomaly {
  return {
    id: `${service}-${signal}-${ts}`,
    kind: 'metric',
    series: `${signal}{service="${service}"}`,
    service,
    signal,
    labels: { service },
    ts,
    value: 0.25,
    expected: 0.005,
    lower: 0.004,
    upper: 0.006,
    score: 0.99,
    detector: 'ensemble',
  };
}

function incident(i: number, services: readonly string[], at: number): Incident {
  const timeline = services.map((s, k) => anomaly(s, SIGNALS[0] ?? '', at + k * MIN));
  return {
    id: `inc-bench-${i}`,
    status: 'open',
    first_ts: at,
    last_ts: at + services.length * MIN,
    seen_at: at,
    opened_at: at + 90_000,
    resolved_at: null,
    resolved_by: null,
    reopened: 0,
    acknowledged_at: null,
    acknowledged_by: null,
    services: [...services],
    anomaly_count: timeline.length,
    timeline,
    root_cause: { service: services[0] ?? '', signal: SIGNALS[0] ?? '', confidence: 0.8 },
    candidates: [],
    explanation: null,
  };
}

async function fill(redis: Redis, prefix: string, names: readonly string[], now: number) {
  const board = new ScoreBoard(redis, prefix);
  const pipe = redis.pipeline();
  const latest: LatestScore[] = [];
  for (const [i, service] of names.entries()) {
    for (const signal of SIGNALS) {
      const series: SeriesMeta = {
        key: `${signal}{service="${service}"}`,
        metric: signal,
        service,
        labels: { service },
        counter: false,
      };
      const bad = i < 3 && signal === SIGNALS[0];
      const points: string[] = [];
      for (let m = 360; m >= 1; m--) {
        const v = 100 + 10 * Math.sin(m / 20) + (bad && m < 5 ? 300 : 0);
        points.push(
          encodePoint({
            ts: now - m * MIN,
            value: v,
            lower: 85,
            upper: 115,
            score: bad && m < 5 ? 1 : 0.1,
          }),
        );
      }
      pipe.rpush(`${prefix}:history:${series.key}`, ...points);
      latest.push({
        series,
        ts: now,
        value: bad ? 400 : 100,
        score: bad ? 1 : 0.1,
        expected: 100,
        lower: 85,
        upper: 115,
        learning: false,
      });
    }
  }
  board.record(pipe, latest, now);
  await pipe.exec();
  const open = [0, 1, 2].map((i) =>
    incident(i, [names[i] ?? '', names[i + 10] ?? '', names[i + 20] ?? ''], now - 20 * MIN),
  );
  await new IncidentStore(redis, prefix).save(emptyCorrelatorState(), open);
}

async function measure(count: number, requests: number, redisUrl: string) {
  const prefix = `bench-status-${process.pid}-${count}`;
  const redis = new Redis(redisUrl);
  const names = Array.from({ length: count }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
  const config = parseConfig({
    services: Object.fromEntries(names.map((n) => [n, { depends_on: [] }])),
    redis: { prefix },
  });
  const now = Date.now();
  await fill(redis, prefix, names, now);
  const app = createHttpServer({ bodyLimit: 1 << 20, log: pino({ level: 'silent' }) });
  registerWeb(app, config, redis);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const time = async (path: string) => {
    const ms: number[] = [];
    let bytes = 0;
    let first = Number.NaN;
    for (let i = 0; i < requests + 5; i++) {
      const t0 = performance.now();
      const res = await fetch(`${base}${path}`);
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
      if (i === 0) first = performance.now() - t0;
      if (i >= 5) ms.push(performance.now() - t0);
      bytes = body.length;
    }
    return { median: quantile(ms, 0.5), p95: quantile(ms, 0.95), bytes, first };
  };
  const full = await time('/status');
  const part = await time('/status?part=main');
  // Where the time goes: each read alone, then rendering alone on a view read once.
  const src = statusSource(config, redis);
  const each = async (fn: () => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < Math.min(requests, 20); i++) {
      const t0 = performance.now();
      await fn();
      ms.push(performance.now() - t0);
    }
    return quantile(ms, 0.5);
  };
  const health = await loadServiceHealth(src);
  const keySeries = health.services.flatMap((x) => (x.key_series === null ? [] : [x.key_series]));
  const reads = {
    health: await each(() => loadServiceHealth(src)),
    history: await each(() => loadSeriesPoints(src, keySeries)),
  };
  const view = await webSources(config, redis).status('full');
  const render: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    statusPage(view).toString();
    render.push(performance.now() - t0);
  }
  await app.close();
  const keys = await redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  redis.disconnect();
  return { full, part, render: quantile(render, 0.5), reads };
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      services: { type: 'string' },
      requests: { type: 'string' },
      series: { type: 'string' },
    },
  });
  const count = Number(values.services ?? 200);
  const requests = Number(values.requests ?? 60);
  const perService = Number(values.series ?? 5);
  SIGNALS = Array.from(
    { length: perService },
    (_, k) => BASE_SIGNALS[k] ?? `other_metric_${k}_total`,
  );
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  process.stdout.write(
    `status-page: ${count} services × ${SIGNALS.length} series, 6 h of history each, 3 open incidents; ${requests} requests each\n`,
  );
  const small = await measure(20, requests, redisUrl);
  const big = await measure(count, requests, redisUrl);
  const row = (label: string, r: { median: number; p95: number; bytes: number; first: number }) =>
    `  ${label.padEnd(34)} median ${r.median.toFixed(1).padStart(6)} ms   p95 ${r.p95.toFixed(1).padStart(6)} ms   ${(r.bytes / 1024).toFixed(0)} KiB   first ${r.first.toFixed(0)} ms\n`;
  process.stdout.write(row(`/status, ${count} services`, big.full));
  process.stdout.write(row(`/status?part=main, ${count} services`, big.part));
  process.stdout.write(row('/status, 20 services', small.full));
  process.stdout.write(
    `  rendering alone: ${big.render.toFixed(1)} ms of the ${big.full.median.toFixed(1)} ms median (${count} services)\n` +
      `  reads alone (median): service health ${big.reads.health.toFixed(1)} ms, key series' history ${big.reads.history.toFixed(1)} ms\n` +
      `  ${count} vs 20 services: ×${(big.full.median / small.full.median).toFixed(1)} the time for ×${(count / 20).toFixed(0)} the services\n` +
      `  target: under 100 ms with 200 services: ${big.full.p95 < 100 ? 'met' : 'NOT met'} (p95)\n`,
  );
}
