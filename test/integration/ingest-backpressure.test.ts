/**
 * Real Redis, real HTTP: with no detector taking jobs, the ingest queues fill; past
 * `ingest.queue_high_water_jobs` ingest answers retry-later (429, remote_write 503) with
 * Retry-After instead of queuing without bound, and counts each refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/service/service.js';
import { startTestService } from '../helpers/service.js';
import { deletePrefix, randomPrefix, waitFor } from '../helpers/redis.js';

const prefix = randomPrefix();
let service: RunningService;

beforeAll(async () => {
  service = await startTestService(
    {
      services: { auth: {} },
      redis: { prefix },
      ingest: { queue_high_water_jobs: 5, batch_linger_ms: 0 },
    },
    'ingest', // no detect role: nothing drains the queues
  );
});

afterAll(async () => {
  await service.close(5000);
  await deletePrefix(prefix);
});

const post = (i: number): Promise<Response> =>
  fetch(`${service.url}/api/v1/samples`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      { ts: 1_700_000_000_000 + i, metric: 'requests', labels: { service: 'auth' }, value: i },
    ]),
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
});
