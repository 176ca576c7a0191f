/**
 * Issue 17, live (real Redis, random prefix): the correlator holds an incident while the log
 * stage's queue still holds lines stamped before its deadline, and opens it with the log's
 * anomaly in its explanation once they are through; a log stage that stays behind holds it at
 * most `holdMaxMs`, and its late anomaly then updates the incident without a second page.
 */
import type { Worker } from 'bullmq';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { scheduleTicks, startCorrelateWorker } from '../../src/correlate/correlate-worker.js';
import { correlatorFromConfig } from '../../src/correlate/from-config.js';
import { serviceGraph } from '../../src/correlate/graph.js';
import type { Incident, IncidentEvent } from '../../src/correlate/incidents.js';
import { PipelineWatermark } from '../../src/correlate/pipeline-watermark.js';
import { DEMO_SERVICES } from '../../src/demo/demo-story.js';
import { JobNames, QueueNames, type LogBatch } from '../../src/queues/contract.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import {
  deletePrefix,
  randomPrefix,
  singleLayout,
  TEST_REDIS_URL,
  waitFor,
} from '../helpers/redis.js';
import {
  anomalyEvent,
  DEMO_AUTH_TEMPLATE,
  logAnomalyEvent,
  queueAnomalies,
} from '../helpers/story.js';

const SEC = 1000;
const config = parseConfig({
  services: DEMO_SERVICES,
  queues: { partitions: 1 },
  correlate: { settle_ms: 1000, tick_ms: 1000 },
});

interface Run {
  readonly prefix: string;
  readonly redis: Redis;
  readonly worker: Worker;
  readonly pipelines: PipelineWatermark;
  readonly handed: IncidentEvent['type'][];
  readonly queues: Queue[];
}
const runs: Run[] = [];

afterEach(async () => {
  for (const r of runs.splice(0)) {
    await r.worker.close();
    await r.pipelines.close();
    await Promise.all(r.queues.map((q) => q.close()));
    r.redis.disconnect();
    await deletePrefix(r.prefix);
  }
});

async function start(holdMaxMs?: number): Promise<Run> {
  const prefix = randomPrefix();
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const pipelines = new PipelineWatermark(redis, singleLayout(prefix, 1));
  const handed: IncidentEvent['type'][] = [];
  const worker = startCorrelateWorker({
    connection: redis,
    prefix,
    correlator: correlatorFromConfig(config),
    graphFor: (d) => serviceGraph(config.services, d),
    latenessMs: 0,
    pipelines,
    holdMaxMs,
    onTransition: (events) => {
      handed.push(...events.map((e) => e.type));
      return Promise.resolve();
    },
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
    metrics: createMetrics('test'),
  });
  const anomalies = new Queue(QueueNames.anomalies, { connection: redis, prefix });
  await scheduleTicks(anomalies, 1000);
  const run = { prefix, redis, worker, pipelines, handed, queues: [anomalies] };
  runs.push(run);
  return run;
}

/** A log batch waiting on `logs.0` (no log stage runs): auth's error lines from `ts` on. */
async function pendingLogs(r: Run, ts: number): Promise<Queue<LogBatch>> {
  const logs = new Queue<LogBatch>(QueueNames.logs(0), { connection: r.redis, prefix: r.prefix });
  r.queues.push(logs);
  const records = [0, 1, 2].map((i) => ({
    ts: ts + i * SEC,
    service: 'auth',
    level: 'error',
    message: `dependency check failed for tenant t-${100 + i}: timeout after 4131ms`,
    labels: {},
  }));
  await logs.add(JobNames.LogBatch, { v: 1, queuedAt: Date.now(), records });
  return logs;
}

async function incident(r: Run): Promise<Incident | undefined> {
  const raw = await r.redis.get(`${r.prefix}:correlate:state`);
  if (raw === null) return undefined;
  return (JSON.parse(raw) as { incidents: Incident[] }).incidents[0];
}

describe('live alignment of logs and metrics', () => {
  it('holds the page while the log queue holds earlier lines, then opens with their anomaly', async () => {
    const r = await start();
    const t = Date.now() - 3 * SEC; // auth's metrics fail; its log led them by 115 s
    const logs = await pendingLogs(r, t - 115 * SEC);
    await queueAnomalies(r.redis, r.prefix, [
      anomalyEvent('auth', 'http_error_ratio', t, 0.25, 0.005, 1),
      anomalyEvent('auth', 'http_latency_p99_seconds', t + 100, 0.5, 0.12, 1),
      anomalyEvent('routing', 'http_error_ratio', t + 800, 0.12, 0.005, 1),
    ]);
    await waitFor('the candidate', async () => (await incident(r))?.status === 'candidate');
    // Its settle deadline (1 s) passes several ticks over; the log batch holds it.
    await new Promise((done) => setTimeout(done, 3500));
    expect((await incident(r))?.status).toBe('candidate');
    expect(r.handed).toEqual([]);
    // The log stage takes the batch and emits its anomaly.
    for (const job of await logs.getJobs(['wait'])) await job.remove();
    await queueAnomalies(r.redis, r.prefix, [
      logAnomalyEvent('auth', 'log_new_template', t - 115 * SEC, { template: DEMO_AUTH_TEMPLATE }),
    ]);
    await waitFor('the opening', () => r.handed.includes('opened'), 20_000);
    const inc = (await incident(r)) as Incident;
    expect(inc.root_cause).toMatchObject({ service: 'auth', signal: 'log_new_template' });
    expect(inc.explanation_at_open?.leading_log?.text).toBe(
      `auth logged a new error 2 min before failing: "${DEMO_AUTH_TEMPLATE}"`,
    );
  }, 40_000);

  it('a log stage that stays behind holds the page at most holdMaxMs; its late anomaly then updates the incident, no second page', async () => {
    const r = await start(1500);
    const t = Date.now() - 3 * SEC;
    await pendingLogs(r, t - 115 * SEC);
    await queueAnomalies(r.redis, r.prefix, [
      anomalyEvent('auth', 'http_error_ratio', t, 0.25, 0.005, 1),
      anomalyEvent('routing', 'http_error_ratio', t + 800, 0.12, 0.005, 1),
    ]);
    await waitFor('the opening', () => r.handed.includes('opened'), 20_000);
    const opened = (await incident(r)) as Incident;
    expect(opened.explanation_at_open?.leading_log).toBeNull();
    await queueAnomalies(r.redis, r.prefix, [
      logAnomalyEvent('auth', 'log_new_template', t - 115 * SEC, { template: DEMO_AUTH_TEMPLATE }),
    ]);
    await waitFor(
      'the update',
      async () => (await incident(r))?.explanation?.leading_log?.signal === 'log_new_template',
    );
    const updated = (await incident(r)) as Incident;
    expect(updated.explanation_at_open?.leading_log).toBeNull();
    expect(updated.explanation?.root_cause).toBe(updated.root_cause?.service);
    await new Promise((done) => setTimeout(done, 1500));
    expect(r.handed.filter((x) => x === 'opened')).toHaveLength(1);
  }, 40_000);
});
