/**
 * Learning is visible and quiet (issue 16): ingest notes each service's first record in Redis,
 * a service seen for less than `correlate.learning_ms` opens no incident (its anomalies are
 * shown and would join one), and `/api/v1/services` and `/metrics` say which services are
 * learning and until when. A service first seen long enough ago (here by a backfilled sample)
 * pages as before. Against the real Redis, one worker with every role.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceSince } from '../../src/queues/service-since.js';
import type { RunningService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { startLedgerAndBilling } from '../helpers/service.js';
import { anomalyEvent, incidentServicesOnceOneOpens, queueAnomalies } from '../helpers/story.js';

const DAY = 86_400_000;
const redis = new Redis(TEST_REDIS_URL);
const prefixes: string[] = [];
const services: RunningService[] = [];

afterAll(async () => {
  await Promise.all(services.map((s) => s.close()));
  redis.disconnect();
  await Promise.all(prefixes.map((p) => deletePrefix(p)));
});

const ndjson = (records: readonly object[]): string =>
  records.map((r) => JSON.stringify(r)).join('\n');

interface ServiceBody {
  service: string;
  state: string;
  learning_until?: string;
}
describe('services learning (correlate.learning_ms)', () => {
  it('the store keeps the earliest time per service, and writes it again after Redis lost it', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const since = new ServiceSince(redis, prefix);
    await since.record(
      new Map([
        ['auth', 2000],
        ['routing', 5000],
      ]),
    );
    await since.record(
      new Map([
        ['auth', 3000],
        ['routing', 4000],
      ]),
    ); // a backfill lowers routing
    expect(await since.all()).toEqual(
      new Map([
        ['auth', 2000],
        ['routing', 4000],
      ]),
    );
    // Another process reads what this one wrote.
    expect(await new ServiceSince(redis, prefix).of('routing')).toBe(4000);
    expect(await new ServiceSince(redis, prefix).of('mailbox')).toBeUndefined();
    await redis.del(`${prefix}:services:since`);
    await since.reassert();
    expect(await since.all()).toEqual(
      new Map([
        ['auth', 2000],
        ['routing', 4000],
      ]),
    );
  });

  it('the first write to a deployment without the hash enters the services already scored, learned', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    // A deployment that ran before first-seen times were kept: its score board knows auth.
    await redis.hset(`${prefix}:scores:services`, 'auth', String(Date.now()));
    const since = new ServiceSince(redis, prefix);
    await since.record(
      new Map([
        ['auth', 9000],
        ['mailbox', 9000],
      ]),
    );
    expect(await since.all()).toEqual(
      new Map([
        ['auth', 0],
        ['mailbox', 9000],
      ]),
    );
  });

  it('a new service opens nothing and says until when; one seen two days ago pages', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const svc = await startLedgerAndBilling(prefix);
    services.push(svc);
    const now = Date.now();
    // ledger is new; billing sent a sample two days ago (a backfill), so it has learned.
    const body = ndjson([
      {
        ts: now - 2 * DAY,
        metric: 'http_requests_total',
        labels: { service: 'billing' },
        value: 1,
      },
      { ts: now - 1000, metric: 'http_requests_total', labels: { service: 'billing' }, value: 9 },
      { ts: now - 1000, metric: 'http_requests_total', labels: { service: 'ledger' }, value: 9 },
    ]);
    const posted = await fetch(`${svc.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(posted.status).toBe(202);

    // billing shows once its second sample (its first rate) is scored.
    let health: ServiceBody[] = [];
    await waitFor('billing scored', async () => {
      const res = await fetch(`${svc.url}/api/v1/services`);
      health = ((await res.json()) as { services: ServiceBody[] }).services;
      return health.some((s) => s.service === 'billing');
    });
    const ledger = health.find((s) => s.service === 'ledger');
    expect(Date.parse(ledger?.learning_until ?? '')).toBe(now - 1000 + DAY);
    expect(ledger?.state).toBe('learning');
    expect(health.find((s) => s.service === 'billing')).not.toHaveProperty('learning_until');
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toContain(
      `aiops_service_learning_until_timestamp_seconds{service="ledger"} ${(now - 1000 + DAY) / 1000}`,
    );
    expect(metrics).not.toMatch(
      /aiops_service_learning_until_timestamp_seconds\{service="billing"/,
    );

    // The same failure on each (two series, two sample times): ledger's first, billing's after.
    const t = Date.now() - 500;
    const failure = (service: string, at: number) => [
      anomalyEvent(service, 'http_error_ratio', at, 0.3, 0.01, 0.999),
      anomalyEvent(service, 'http_latency_p99_seconds', at + 200, 2, 0.2, 0.999),
    ];
    await queueAnomalies(redis, prefix, failure('ledger', t));
    await queueAnomalies(redis, prefix, failure('billing', t + 300));
    // ledger's candidate was due first (same settle time, earlier anomalies): it did not open.
    const all = await incidentServicesOnceOneOpens(svc.url);
    expect(all).toEqual([['billing']]);
  });
});
