/**
 * Direct receivers through the notify queue (real Redis, random prefix): a receiver that fails
 * the first 3 attempts with 503 gets the notification exactly once; a 400 is not retried; the
 * same transition queued twice is delivered once; a signed webhook verifies with its secret.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Queue, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { IncidentJson } from '../../src/queues/contract.js';
import {
  queueDeliveries,
  startDeliveryWorker,
  type RoutedReceiver,
} from '../../src/notify/deliver.js';
import { QueueNames } from '../../src/queues/contract.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { incidentJsonOf } from '../helpers/incident-json.js';

const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
let server: Server | undefined;
let worker: Worker | undefined;
let queue: Queue | undefined;

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  server?.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

const SECRET = `whsec_${Buffer.from('a test signing secret').toString('base64')}`;

const incident = (id: string): IncidentJson =>
  incidentJsonOf({
    id,
    candidates: [
      {
        service: 'auth',
        signal: 'http_error_ratio',
        confidence: 0.9,
        reasons: ['first to turn anomalous'],
      },
    ],
    anomaly_count: 2,
  });

describe('direct receivers', () => {
  it('retries 503 until delivered once, never retries a 400, delivers a repeated transition once, signs webhooks', async () => {
    const hits = new Map<
      string,
      { status: number; headers: IncomingHttpHeaders; body: string }[]
    >();
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const path = req.url ?? '';
        const list = hits.get(path) ?? [];
        // /flaky fails its first 3 requests with 503; /bad always answers 400.
        const status = path === '/bad' ? 400 : path === '/flaky' && list.length < 3 ? 503 : 200;
        list.push({ status, headers: req.headers, body });
        hits.set(path, list);
        res.writeHead(status).end(status === 200 ? 'ok' : 'no');
      });
    });
    const port = await new Promise<number>((done) =>
      server?.listen(0, '127.0.0.1', () => {
        const a = server?.address();
        done(typeof a === 'object' && a ? a.port : 0);
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    const receivers: RoutedReceiver[] = [
      {
        name: 'flaky',
        type: 'webhook',
        url: `${base}/flaky`,
        secret: SECRET,
        severities: [],
        services: [],
      },
      { name: 'bad', type: 'webhook', url: `${base}/bad`, severities: [], services: [] },
      {
        name: 'pd',
        type: 'pagerduty',
        url: `${base}/pd`,
        routing_key: 'k'.repeat(32),
        severities: ['critical'],
        services: [],
      },
      {
        name: 'storage-only',
        type: 'slack',
        url: `${base}/slack`,
        severities: [],
        services: ['storage'],
      },
    ];
    worker = startDeliveryWorker({
      connection: redis,
      prefix,
      receivers,
      externalUrl: 'http://worker:9470',
      backoffMs: 20,
      log: pino({ level: 'silent' }),
      metrics: createMetrics('test'),
    });
    queue = new Queue(QueueNames.notify, { connection: redis, prefix });
    const inc = incident('inc-0123456789abcdef');
    await queueDeliveries(queue, receivers, inc, 'opened', 8);
    await queueDeliveries(queue, receivers, inc, 'opened', 8); // a retried correlator job
    await waitFor(
      'the flaky receiver served',
      () => (hits.get('/flaky') ?? []).some((h) => h.status === 200),
      20_000,
    );
    await waitFor('pagerduty served', () => (hits.get('/pd') ?? []).length > 0);
    await new Promise((r) => setTimeout(r, 1000)); // nothing else may come

    const flaky = hits.get('/flaky') ?? [];
    expect(flaky.map((h) => h.status)).toEqual([503, 503, 503, 200]);
    expect(hits.get('/bad')?.map((h) => h.status)).toEqual([400]);
    expect(hits.get('/slack')).toBeUndefined(); // routed to storage incidents only

    // The webhook is a CloudEvent, signed per Standard Webhooks; the same id on every attempt.
    const ok = flaky[3];
    const event = JSON.parse(ok?.body ?? '{}') as {
      specversion: string;
      type: string;
      subject: string;
    };
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'io.aiops-worker.incident.opened',
      subject: inc.id,
    });
    const id = String(ok?.headers['webhook-id']);
    const ts = String(ok?.headers['webhook-timestamp']);
    const expected = createHmac('sha256', Buffer.from(SECRET.slice(6), 'base64'))
      .update(`${id}.${ts}.${ok?.body ?? ''}`)
      .digest('base64');
    expect(ok?.headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(new Set(flaky.map((h) => h.headers['webhook-id'])).size).toBe(1);

    const pd = JSON.parse(hits.get('/pd')?.[0]?.body ?? '{}') as Record<string, unknown>;
    expect(pd).toMatchObject({
      event_action: 'trigger',
      dedup_key: inc.id,
      routing_key: 'k'.repeat(32),
    });
  }, 60_000);
});
