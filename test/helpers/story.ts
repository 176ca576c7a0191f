/**
 * The login-outage story as anomaly events, for the tests of the live correlator and its
 * notifications: auth fails, routing follows, storage loses traffic.
 */
import { createServer } from 'node:net';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobNames, QueueNames, type AnomalyEvent } from '../../src/queues/contract.js';

export function anomalyEvent(
  service: string,
  signal: string,
  ts: number,
  value: number,
  expected: number,
  score = 0.97,
): AnomalyEvent {
  return {
    id: `${service}-${signal}-${ts}`,
    kind: 'metric',
    series: `${signal}{service="${service}"}`,
    service,
    signal,
    labels: { service },
    ts,
    value,
    expected,
    lower: expected * 0.8,
    upper: expected * 1.2,
    score,
    detector: 'ensemble',
  };
}

/** A log anomaly (a new template, a template surge, the error ratio) of `service`. */
export function logAnomalyEvent(
  service: string,
  signal: 'log_new_template' | 'log_template_lines' | 'log_error_ratio',
  ts: number,
  o: { template?: string; example?: string; value?: number; level?: string } = {},
): AnomalyEvent {
  return {
    id: `${service}-${signal}-${ts}`,
    kind: 'log',
    series: `${signal}{service="${service}"}`,
    service,
    signal,
    labels: { service },
    ts,
    value: o.value ?? 1,
    expected: 0,
    lower: 0,
    upper: signal === 'log_template_lines' ? 4 : 0,
    score: signal === 'log_new_template' ? 0.98 : 1,
    detector: signal === 'log_new_template' ? 'new_template' : 'ensemble',
    level: o.level ?? 'error',
    ...(o.template === undefined ? {} : { template: o.template }),
    ...(o.example === undefined ? {} : { examples: [o.example] }),
  };
}

/** The new error auth logs in the demo story (src/demo/cascade-logs.ts), as the miner has it. */
export const DEMO_AUTH_TEMPLATE = 'dependency check failed for tenant <*>: timeout after <*>';

/**
 * The demo story's anomalies (src/demo/demo-story.ts) as the live worker makes them, `t` being
 * auth's first failing metric sample: auth logs its new error 115 s before (the story's two
 * minutes, less the minute samples' rounding) and its error ratio rises a minute before; a
 * minute after, routing fails (and logs "call to auth failed") and storage loses traffic.
 */
export const demoStoryAnomalies = (t: number): AnomalyEvent[] => [
  logAnomalyEvent('auth', 'log_new_template', t - 115_000, {
    template: DEMO_AUTH_TEMPLATE,
    example: 'dependency check failed for tenant t-568: timeout after 4131ms',
  }),
  logAnomalyEvent('auth', 'log_error_ratio', t - 60_000, {
    value: 0.6,
    example: 'dependency check failed for tenant t-957: timeout after 2002ms',
  }),
  anomalyEvent('auth', 'http_latency_p99_seconds', t, 0.52, 0.18, 1),
  anomalyEvent('auth', 'http_error_ratio', t, 0.256, 0.005, 1),
  anomalyEvent('storage', 'http_requests_per_second', t + 60_000, 351, 880, 1),
  anomalyEvent('routing', 'http_error_ratio', t + 60_000, 0.128, 0.005, 1),
  anomalyEvent('routing', 'http_latency_p99_seconds', t + 60_000, 0.206, 0.1, 1),
  logAnomalyEvent('routing', 'log_new_template', t + 70_000, {
    template: 'call to auth failed: status=<*> after <*>',
    example: 'call to auth failed: status=503 after 76ms',
  }),
  logAnomalyEvent('routing', 'log_error_ratio', t + 120_000, { value: 0.444 }),
];

/** The story's anomalies, from `t` on, within about a second. */
export const storyAnomalies = (t: number): AnomalyEvent[] => [
  anomalyEvent('auth', 'http_error_ratio', t, 0.25, 0.005),
  anomalyEvent('auth', 'http_latency_p99_seconds', t + 100, 0.4, 0.12),
  anomalyEvent('routing', 'http_error_ratio', t + 800, 0.12, 0.005),
  anomalyEvent('storage', 'http_requests_per_second', t + 900, 400, 1000),
];

/** Adds anomalies to the anomalies queue under `prefix`, in the given order. */
export async function queueAnomalies(
  redis: Redis,
  prefix: string,
  anomalies: readonly AnomalyEvent[],
): Promise<void> {
  const queue = new Queue(QueueNames.anomalies, { connection: redis, prefix });
  for (const a of anomalies) await queue.add(JobNames.Anomaly, a, { jobId: a.id });
  await queue.close();
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  const addr = srv.address();
  await new Promise((done) => srv.close(done));
  return typeof addr === 'object' && addr ? addr.port : 0;
}

/**
 * The services of every incident a worker holds, once one is open and a second has passed: a
 * candidate due before the first open one has been decided by then (opened or not).
 */
export async function incidentServicesOnceOneOpens(url: string): Promise<string[][]> {
  const list = async (query: string): Promise<{ services: string[] }[]> => {
    const res = await fetch(`${url}/api/v1/incidents${query}`);
    return ((await res.json()) as { incidents: { services: string[] }[] }).incidents;
  };
  const deadline = Date.now() + 20_000;
  while ((await list('?status=open')).length === 0) {
    if (Date.now() > deadline) throw new Error('timed out waiting for an open incident');
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 1000));
  return (await list('')).map((i) => i.services);
}
