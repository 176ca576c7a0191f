/**
 * Real Redis, real HTTP: with no detector taking jobs, the ingest queues fill; past
 * `ingest.queue_high_water_jobs` ingest answers retry-later (429, remote_write 503) with
 * Retry-After instead of queuing without bound, and counts each refusal. The same when the
 * oldest waiting job is older than `ingest.queue_high_water_lag_ms`, however few jobs wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/service/service.js';
import { startTestService } from '../helpers/service.js';
import { deletePrefix, randomPrefix, waitFor } from '../helpers/redis.js';

const prefix = randomPrefix();
const lagPrefix = randomPrefix();
let service: RunningService;
let lagging: RunningService;

beforeAll(async () => {
  // No detect role: nothing drains the queues.
  [service, lagging] = await Promise.all([
    startTestService(
      {
        services: { auth: {} },
        redis: { prefix },
        ingest: { queue_high_water_jobs: 5, batch_linger_ms: 0 },
      },
      'ingest',
    ),
    startTestService(
      {
        services: { auth: {} },
        redis: { prefix: lagPrefix },
        ingest: { queue_high_water_jobs: 1000, queue_high_water_lag_ms: 1500, batch_linger_ms: 0 },
      },
      'ingest',
    ),
  ]);
});

afterAll(async () => {
  await Promise.all([service.close(5000), lagging.close(5000)]);
  await Promise.all([deletePrefix(prefix), deletePrefix(lagPrefix)]);
});

const post = (i: number, to = service, series = 1): Promise<Response> =>
  fetch(`${to.url}/api/v1/samples`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      Array.from({ length: series }, (_, k) => ({
        ts: 1_700_000_000_000 + i,
        metric: 'requests',
        labels: series === 1 ? { service: 'auth' } : { service: 'auth', pod: `p${k}` },
        value: i,
      })),
    ),
  });

const metricsText = async (): Promise<string> => (await fetch(`${service.url}/metrics`)).text();

describe('ingest backpressure', () => {
  it('answers 429 with Retry-After once the queues pass the high-water mark, and 503 to remote_write', async () => {
    // One job per request (one series, linger 0): 5 requests reach the mark.
    for (let i = 0; i < 5; i++) expect((await post(i)).status).toBe(202);
    await waitFor(
      'backpressure on',
      async () => /^aiops_ingest_backpressure\{stream="metrics"\} 1$/m.test(await metricsText()),
      10_000,
    );
    const refused = await post(99);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { code: string }).code).toBe('AIOPS_ERR_INGEST_OVERLOADED');
    const rw = await fetch(`${service.url}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body: new Uint8Array([0]),
    });
    expect(rw.status).toBe(503);
    expect(rw.headers.get('retry-after')).not.toBeNull();
    const text = await metricsText();
    expect(text).toMatch(/^aiops_ingest_queued_jobs\{stream="metrics"\} 5$/m);
    expect(text).toMatch(/aiops_ingest_rejected_total\{reason="backlog"\} 2/);
    // Only the metric queues are past the mark: logs are still taken.
    expect(text).toMatch(/^aiops_ingest_backpressure\{stream="logs"\} 0$/m);
    // Nothing more was queued while refusing.
    expect(text).toMatch(/aiops_samples_received_total\{kind="metric"\} 5/);
  });

  it('answers 429 once the oldest waiting batch is older than queue_high_water_lag_ms, far under the job mark', async () => {
    // 64 series: every one of the 16 partitions gets jobs, so the median partition lags.
    expect((await post(1, lagging, 64)).status).toBe(202);
    expect((await post(2, lagging, 64)).status).toBe(202);
    const lagText = async (): Promise<string> => (await fetch(`${lagging.url}/metrics`)).text();
    await waitFor(
      'backpressure on',
      async () => {
        // Each request renews a read older than a second: ask, then look at the gauge.
        await post(3, lagging, 64);
        return /^aiops_ingest_backpressure\{stream="metrics"\} 1$/m.test(await lagText());
      },
      10_000,
    );
    const refused = await post(99, lagging);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { code: string; message: string };
    expect(body.code).toBe('AIOPS_ERR_INGEST_OVERLOADED');
    expect(body.message).toMatch(
      /^scoring is \d+(\.\d)? s behind .*past ingest.queue_high_water_lag_ms \(1.5 s\)/,
    );
    const text = await lagText();
    const lag = /^aiops_ingest_queue_lag_seconds\{stream="metrics"\} (\S+)$/m.exec(text)?.[1];
    expect(Number(lag)).toBeGreaterThanOrEqual(1.5);
    const queued = Number(/^aiops_ingest_queued_jobs\{stream="metrics"\} (\d+)$/m.exec(text)?.[1]);
    expect(queued).toBeGreaterThanOrEqual(2);
    // Far under the job mark (1000): the age alone pushed back.
    expect(queued).toBeLessThan(1000);
  });
});
