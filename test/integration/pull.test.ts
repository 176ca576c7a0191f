/**
 * Real Redis, real HTTP: query_range readers against a fake Prometheus API and scrapes of a
 * fixture exporter queue their samples on the partition queues; ranges are split, a failed
 * window is read again by the next run (nothing lost, nothing twice), runs of one source never
 * overlap; and a running service scrapes a target on its job scheduler until its series are
 * scored.
 */
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { IngestWriter } from '../../src/ingest/ingest-writer.js';
import { PullReporter } from '../../src/ingest/pull/pull-reporter.js';
import {
  runQuery,
  runScrape,
  type PrometheusSource,
  type PullDeps,
  type ScrapeTarget,
} from '../../src/ingest/pull/pull-runs.js';
import { PullStore } from '../../src/ingest/pull/pull-store.js';
import { SCRAPE_ACCEPT } from '../../src/ingest/pull/scrape.js';
import { sampleBatchOf } from '../../src/detect/validate-batch.js';
import { createQueues, type Queues } from '../../src/queues/queues.js';
import { createMetrics, type Metrics } from '../../src/telemetry/metrics.js';
import type { RunningService } from '../../src/service/service.js';
import {
  startFakeExporter,
  startFakePrometheus,
  type FakePrometheus,
} from '../helpers/fake-prometheus.js';
import {
  deletePrefix,
  randomPrefix,
  singleLayout,
  TEST_REDIS_URL,
  waitFor,
} from '../helpers/redis.js';
import { startTestService } from '../helpers/service.js';

const STEP = 1000;
let redis: Redis;
let fake: FakePrometheus;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  fake = await startFakePrometheus();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  fake.calls.length = 0;
  fake.fail = 'none';
  fake.failCall = undefined;
  fake.delayMs = 0;
});

afterAll(async () => {
  await fake.close();
  redis.disconnect();
});

interface Harness {
  readonly deps: PullDeps;
  readonly metrics: Metrics;
  readonly queues: Queues;
  /** Every queued sample as [series key, ts, value]. */
  queued(): Promise<[string, number, number][]>;
  metricsText(): Promise<string>;
}

function harness(now: () => number): Harness {
  const prefix = randomPrefix();
  const config = parseConfig({ redis: { prefix }, ingest: { service_labels: ['service'] } });
  const queues = createQueues(redis, {
    layout: singleLayout(prefix, 2),
    partitions: 2,
    attempts: 1,
    backoffMs: 100,
  });
  const writer = new IngestWriter({
    samplesQueues: queues.samples,
    logsQueues: queues.logs,
    maxItems: 1000,
    lingerMs: 5,
    writeTimeoutMs: 5000,
  });
  const metrics = createMetrics('test');
  cleanups.push(
    () => queues.close(),
    () => deletePrefix(prefix),
  );
  return {
    metrics,
    queues,
    deps: {
      writer,
      limits: {
        serviceLabels: config.ingest.service_labels,
        maxLabels: 30,
        maxLabelNameLength: 128,
        maxLabelValueLength: 1024,
      },
      metrics,
      store: new PullStore(redis, prefix),
      reporter: new PullReporter(metrics.registry, pino({ level: 'silent' })),
      maxScrapeBytes: 1 << 20,
      maxScrapeSamples: 10_000,
      now,
    },
    async queued() {
      const out: [string, number, number][] = [];
      const all = await Promise.all(
        queues.samples.map((q: Queue) => q.getJobs(['waiting', 'prioritized', 'delayed'])),
      );
      for (const job of all.flat()) {
        // Read as the detect stage reads the queue's payloads.
        const b = sampleBatchOf(job.data);
        if (!b) throw new Error(`job ${job.id ?? '?'} is not a sample batch`);
        b.idx.forEach((i, n) => {
          out.push([b.series[i]?.key ?? '', b.ts[n] ?? 0, b.val[n] ?? 0]);
        });
      }
      return out.sort((a, b) => a[1] - b[1]);
    },
    metricsText: () => metrics.registry.metrics(),
  };
}

function source(over: Partial<PrometheusSource> = {}): PrometheusSource {
  return {
    name: 'prom',
    url: fake.url,
    queries: [{ name: 'fixture', query: 'fixture_value', step_ms: STEP, interval_ms: 1000 }],
    latency_offset_ms: 2000,
    max_points_per_query: 30,
    catch_up_ms: 100 * STEP,
    timeout_ms: 2000,
    ...over,
  };
}

const T0 = 1_764_000_000_000; // aligned to the step

describe('query_range reader', () => {
  it('splits the catch-up range into calls of at most max_points_per_query points', async () => {
    const h = harness(() => T0 + 2000);
    const src = source({ bearer_token: 't0k' });
    await runQuery(h.deps, src, src.queries[0] as PrometheusSource['queries'][number]);
    expect(new Set(fake.calls.map((c) => c.authorization))).toEqual(new Set(['Bearer t0k']));
    // now - offset = T0; catch-up 100 steps back: 101 instants, 30 per call at most.
    expect(fake.calls.map((c) => (c.end - c.start) / c.step + 1)).toEqual([30, 30, 30, 11]);
    expect(fake.calls[0]?.start).toBe((T0 - 100 * STEP) / 1000);
    expect(fake.calls.at(-1)?.end).toBe(T0 / 1000);
    const ts = (await h.queued()).map(([, t]) => t);
    expect(ts).toEqual(Array.from({ length: 101 }, (_, i) => T0 - 100 * STEP + i * STEP));
    expect(await h.deps.store.watermark('prometheus/prom/fixture')).toBe(T0);
    expect(await h.metricsText()).toMatch(/aiops_samples_received_total\{kind="metric"\} 101/);
  });

  it('reads a window whose answer is too large again in halves: nothing lost, nothing twice', async () => {
    const h = harness(() => T0 + 2000);
    const deps = { ...h.deps, maxScrapeBytes: 300 };
    const src = source();
    await runQuery(deps, src, src.queries[0] as PrometheusSource['queries'][number]);
    const points = fake.calls.map((c) => (c.end - c.start) / c.step + 1);
    // 30 points is too large: that window is read again as 15 + 15 (and smaller, as needed).
    expect(points.slice(0, 2)).toEqual([30, 15]);
    expect(Math.min(...points)).toBeGreaterThan(1);
    const ts = (await h.queued()).map(([, t]) => t);
    expect(ts).toEqual(Array.from({ length: 101 }, (_, i) => T0 - 100 * STEP + i * STEP));
    expect(await deps.store.watermark('prometheus/prom/fixture')).toBe(T0);
    expect(await h.metricsText()).not.toMatch(/aiops_pull_failures_total\{/);
  });

  it('a failed window is read again by the next run: nothing lost, nothing twice', async () => {
    let now = T0 + 2000;
    const h = harness(() => now);
    const src = source();
    const q = src.queries[0] as PrometheusSource['queries'][number];
    fake.fail = 'http_500';
    fake.failCall = 2;
    await runQuery(h.deps, src, q);
    expect(fake.calls).toHaveLength(2);
    expect(await h.deps.store.watermark('prometheus/prom/fixture')).toBe(T0 - 71 * STEP);
    let text = await h.metricsText();
    expect(text).toMatch(/aiops_pull_up\{source="prometheus\/prom\/fixture"\} 0/);
    expect(text).toMatch(
      /aiops_pull_failures_total\{source="prometheus\/prom\/fixture",reason="http_status"\} 1/,
    );

    // Prometheus refuses the query: an API error, also retried.
    fake.fail = 'api_error';
    fake.failCall = undefined;
    await runQuery(h.deps, src, q);
    text = await h.metricsText();
    expect(text).toMatch(/reason="api_error"\} 1/);

    // Too slow: a timeout.
    fake.fail = 'slow';
    fake.delayMs = 400;
    await runQuery(h.deps, { ...src, timeout_ms: 150 }, q);
    expect(await h.metricsText()).toMatch(/reason="timeout"\} 1/);

    fake.fail = 'none';
    fake.delayMs = 0;
    now += 5 * STEP;
    await runQuery(h.deps, src, q);
    expect(await h.metricsText()).toMatch(/aiops_pull_up\{source="prometheus\/prom\/fixture"\} 1/);
    const ts = (await h.queued()).map(([, t]) => t);
    expect(ts).toEqual(Array.from({ length: 106 }, (_, i) => T0 - 100 * STEP + i * STEP));
    expect(await h.deps.store.watermark('prometheus/prom/fixture')).toBe(T0 + 5 * STEP);
  });

  it('one run at a time per query: a run that finds the previous still going skips', async () => {
    const h = harness(() => T0 + 2000);
    const src = source({ max_points_per_query: 200 });
    const q = src.queries[0] as PrometheusSource['queries'][number];
    fake.delayMs = 300;
    await Promise.all([runQuery(h.deps, src, q), runQuery(h.deps, src, q)]);
    expect(fake.calls).toHaveLength(1);
    const text = await h.metricsText();
    expect(text).toMatch(
      /aiops_pull_runs_total\{source="prometheus\/prom\/fixture",outcome="ok"\} 1/,
    );
    expect(text).toMatch(
      /aiops_pull_runs_total\{source="prometheus\/prom\/fixture",outcome="overlap"\} 1/,
    );
    expect(await h.queued()).toHaveLength(101);
  });
});

describe('scrape target', () => {
  const target = (url: string): ScrapeTarget => ({
    name: 'fixture',
    url,
    interval_ms: 1000,
    timeout_ms: 1000,
    service: 'mail',
    labels: { env: 'test' },
  });

  it('asks for OpenMetrics first, queues samples at the scrape time, records up', async () => {
    const h = harness(() => T0);
    const exporter = await startFakeExporter(
      '# TYPE sent counter\nsent_total 5\nsent_created 1.5e9\n# TYPE depth gauge\ndepth 3 1764000001.5\n# EOF\n',
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    cleanups.push(() => exporter.close());
    await runScrape(h.deps, target(exporter.url));
    expect(exporter.accepts).toEqual([SCRAPE_ACCEPT]);
    expect(await h.queued()).toEqual([
      ['sent_total{env="test",service="mail"}', T0, 5],
      ['depth{env="test",service="mail"}', T0 + 1500, 3],
    ]);
    expect(await h.metricsText()).toMatch(/aiops_pull_up\{source="scrape\/fixture"\} 1/);

    exporter.body = 'depth 3\n'; // no # EOF: not OpenMetrics
    await runScrape(h.deps, target(exporter.url));
    exporter.status = 503;
    await runScrape(h.deps, target(exporter.url));
    const text = await h.metricsText();
    expect(text).toMatch(/aiops_pull_up\{source="scrape\/fixture"\} 0/);
    expect(text).toMatch(/source="scrape\/fixture",reason="bad_response"\} 1/);
    expect(text).toMatch(/source="scrape\/fixture",reason="http_status"\} 1/);
    expect(await h.queued()).toHaveLength(2);
  });
});

describe('series limits', () => {
  it('samples of series the limiter refuses are counted by reason and not queued', async () => {
    const h = harness(() => T0);
    const exporter = await startFakeExporter('a 1\nb 2\n', 'text/plain; version=0.0.4');
    cleanups.push(() => exporter.close());
    const deps: PullDeps = {
      ...h.deps,
      series: {
        admit: (samples) => ({
          samples: samples.filter((x) => x.series.metric !== 'b'),
          rejections: [{ reason: 'series_limit', samples: 1 }],
        }),
      },
    };
    await runScrape(deps, {
      name: 'limited',
      url: exporter.url,
      interval_ms: 1000,
      timeout_ms: 1000,
      service: 'auth',
      labels: {},
    });
    expect((await h.queued()).map(([key]) => key)).toEqual(['a{service="auth"}']);
    const text = await h.metricsText();
    expect(text).toMatch(/aiops_ingest_rejected_total\{reason="series_limit"\} 1/);
    expect(text).toMatch(/aiops_samples_received_total\{kind="metric"\} 1/);
  });
});

describe('pull in the running service', () => {
  let service: RunningService | undefined;
  const prefix = randomPrefix();
  afterAll(async () => {
    await service?.close(5000);
    await deletePrefix(prefix);
  });

  it('scrapes a target on its job scheduler until its series are scored', async () => {
    let n = 0;
    const exporter = await startFakeExporter('', 'text/plain; version=0.0.4');
    cleanups.push(() => exporter.close());
    const timer = setInterval(() => {
      n += 1;
      exporter.body = `# TYPE fixture_temperature gauge\nfixture_temperature ${20 + (n % 3)}\n`;
    }, 100);
    cleanups.push(() => {
      clearInterval(timer);
      return Promise.resolve();
    });
    service = await startTestService(
      {
        services: { fixture: {} },
        redis: { prefix },
        detect: { detectors: { default: 'ewma' } },
        pull: {
          scrape: [{ name: 'fixture', url: exporter.url, interval_ms: 1000, service: 'fixture' }],
        },
      },
      'ingest,detect',
    );
    const url = service.url;
    await waitFor(
      'the scraped series scored',
      async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return text.includes('aiops_anomaly_score{service="fixture",metric="fixture_temperature"');
      },
      20_000,
    );
    const schedulers = await redis.zrange(`${prefix}:pull:repeat`, 0, -1);
    expect(schedulers).toEqual(['scrape/fixture']);
    expect(await service.close(5000)).toBe(true);
    service = undefined;
  });
});
