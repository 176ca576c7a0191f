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
