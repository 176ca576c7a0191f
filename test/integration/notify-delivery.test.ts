/**
 * Direct receivers through the notify queue (real Redis, random prefix): a receiver that fails
 * the first 3 attempts with 503 gets the notification exactly once; a 400 is not retried and is
 * dead-lettered; the same transition queued twice is delivered once; a signed webhook verifies
 * with its secret. Time-compressed outages: a receiver down for a while (2 min in life, 1.5 s
 * here, within notify.retry_for_ms) gets the page once when it is back, its acknowledged and
 * resolved only after it, and nothing after the resolve; a receiver down past retry_for_ms (an hour in life, for good here)
 * gets nothing, and every delivery to it is dead-lettered, listed and counted.
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
  queueReminders,
  startDeliveryWorker,
  type RoutedReceiver,
} from '../../src/notify/deliver.js';
import { QueueNames } from '../../src/queues/contract.js';
import { DeadLetterStore } from '../../src/queues/dead-letters.js';
import { DeliveryLedger } from '../../src/notify/delivery-ledger.js';
import { DELIVERY_ATTEMPTS, type DeliveryPolicy } from '../../src/notify/delivery-policy.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { incidentJsonOf } from '../helpers/incident-json.js';

const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
let server: Server | undefined;
let worker: Worker | undefined;
let queue: Queue | undefined;
const workers: Worker[] = [];
const queues: Queue[] = [];
const servers: Server[] = [];

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  for (const w of workers) await w.close();
  for (const q of queues) await q.close();
  server?.close();
  for (const s of servers) s.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

/** Listens on a free loopback port; its number. */
const listen = (srv: Server): Promise<number> =>
  new Promise((done) =>
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      done(typeof a === 'object' && a ? a.port : 0);
    }),
  );

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
    const port = await listen(server);
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
    queue = new Queue(QueueNames.notify, { connection: redis, prefix });
    const deadLetters = new DeadLetterStore(redis, prefix);
    worker = startDeliveryWorker({
      connection: redis,
      prefix,
      receivers,
      externalUrl: 'http://worker:9470',
      policy: { backoffMs: 20, maxBackoffMs: 200, retryForMs: 60_000 },
      queue,
      ledger: new DeliveryLedger(redis, prefix),
      deadLetters,
      log: pino({ level: 'silent' }),
      metrics: createMetrics('test'),
    });
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
    // The 400 is given up at once, and listed.
    await waitFor('the 400 dead-lettered', async () => (await deadLetters.list()).length === 1);
    expect(await deadLetters.list()).toMatchObject([
      { receiver: 'bad', incident: inc.id, transition: 'opened', attempts: 1 },
    ]);
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

  it('outages: pages outlive a receiver down for a while, in order; past retry_for_ms they are dead-lettered', async () => {
    const prefix2 = `${prefix}-outage`;
    const started = Date.now();
    const DOWN_MS = 1500;
    const got: { path: string; type: string; at: number }[] = [];
    const srv = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const path = req.url ?? '';
        const up = path === '/comes-back' && Date.now() - started >= DOWN_MS;
        if (up) {
          const type = (JSON.parse(body) as { type: string }).type.split('.').pop() ?? '';
          got.push({ path, type, at: Date.now() - started });
        }
        res.writeHead(up ? 200 : 503).end(up ? 'ok' : 'down');
      });
    });
    servers.push(srv);
    const port = await listen(srv);
    const receivers: RoutedReceiver[] = [
      {
        name: 'comes-back',
        type: 'webhook',
        url: `http://127.0.0.1:${port}/comes-back`,
        severities: [],
        services: [],
      },
      {
        name: 'gone',
        type: 'webhook',
        url: `http://127.0.0.1:${port}/gone`,
        severities: [],
        services: [],
      },
    ];
    const q = new Queue(QueueNames.notify, { connection: redis, prefix: prefix2 });
    queues.push(q);
    const deadLetters = new DeadLetterStore(redis, prefix2);
    const metrics = createMetrics('test');
    const policy: DeliveryPolicy = { backoffMs: 50, maxBackoffMs: 250, retryForMs: 4000 };
    workers.push(
      startDeliveryWorker({
        connection: redis,
        prefix: prefix2,
        receivers,
        externalUrl: 'http://worker:9470',
        policy,
        queue: q,
        ledger: new DeliveryLedger(redis, prefix2),
        deadLetters,
        log: pino({ level: 'silent' }),
        metrics,
      }),
    );
    const inc = incident('inc-00000000feedbeef');
    // Opened, then at once acknowledged and resolved: all three queued while both are down.
    await queueDeliveries(q, receivers, inc, 'opened', DELIVERY_ATTEMPTS);
    await queueDeliveries(q, receivers, inc, 'acknowledged', DELIVERY_ATTEMPTS);
    await queueDeliveries(q, receivers, inc, 'resolved', DELIVERY_ATTEMPTS);
    await waitFor(
      'opened and resolved delivered once it is back',
      () => got.some((g) => g.type === 'resolved'),
      20_000,
    );
    await waitFor(
      'the opening and the resolve to the gone receiver dead-lettered',
      async () => (await deadLetters.list()).length === 2,
      20_000,
    );
    await new Promise((r) => setTimeout(r, 500)); // nothing else may come
    // The opening first, then the resolve, each once, all after it came back. The
    // acknowledgement waited for the opening, and by then the resolve had made it moot: it is
    // skipped (for both receivers), not sent after the resolve nor dead-lettered.
    expect(got.map((g) => g.type)).toEqual(['opened', 'resolved']);
    expect(got.every((g) => g.at >= DOWN_MS)).toBe(true);
    const dead = await deadLetters.list();
    expect(dead.every((d) => d.receiver === 'gone' && d.incident === inc.id)).toBe(true);
    expect(dead.map((d) => d.transition).sort()).toEqual(['opened', 'resolved']);
    expect(dead.find((d) => d.transition === 'opened')?.reason).toMatch(/not delivered within/);
    const counted =
      (await metrics.registry.getSingleMetric('aiops_notifications_dead_lettered_total')?.get())
        ?.values ?? [];
    expect(counted.reduce((n, v) => n + v.value, 0)).toBe(2);
    const outcomes =
      (await metrics.registry.getSingleMetric('aiops_notifications_total')?.get())?.values ?? [];
    expect(
      outcomes.filter((v) => v.labels.outcome === 'skipped').reduce((n, v) => n + v.value, 0),
    ).toBe(2);
    await deletePrefix(prefix2);
  }, 60_000);

  it('order at the edges: muted openings, nothing after the resolve, incidents older than the job records, removed receivers, a missed opening', async () => {
    const prefix3 = `${prefix}-edges`;
    const got: { id: string; type: string }[] = [];
    let down = false;
    const srv = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (down) {
          res.writeHead(503).end('down');
          return;
        }
        const e = JSON.parse(body) as { type: string; subject: string };
        got.push({ id: e.subject, type: e.type.split('.').pop() ?? '' });
        res.writeHead(200).end('ok');
      });
    });
    servers.push(srv);
    const port = await listen(srv);
    const receivers: RoutedReceiver[] = [
      {
        name: 'late',
        type: 'webhook',
        url: `http://127.0.0.1:${port}/late`,
        severities: [],
        services: [],
      },
    ];
    const q = new Queue(QueueNames.notify, { connection: redis, prefix: prefix3 });
    queues.push(q);
    const metrics = createMetrics('test');
    workers.push(
      startDeliveryWorker({
        connection: redis,
        prefix: prefix3,
        receivers,
        externalUrl: 'http://worker:9470',
        policy: { backoffMs: 50, maxBackoffMs: 250, retryForMs: 4000 },
        queue: q,
        ledger: new DeliveryLedger(redis, prefix3),
        deadLetters: new DeadLetterStore(redis, prefix3),
        log: pino({ level: 'silent' }),
        metrics,
      }),
    );
    const recent = (id: string): IncidentJson => ({
      ...incident(id),
      opened_at: new Date(Date.now() - 60_000).toISOString(),
    });
    const sentFor = (id: string) => got.filter((g) => g.id === id).map((g) => g.type);
    const skipped = async (): Promise<number> => {
      const v =
        (await metrics.registry.getSingleMetric('aiops_notifications_total')?.get())?.values ?? [];
      return v.find((x) => x.labels.outcome === 'skipped')?.value ?? 0;
    };
    // 1. Opened during maintenance (no opening queued): its resolve is not news to this
    //    receiver and is skipped, but an escalation pages: it is the opening.
    const muted = recent('inc-000000000000a001');
    await queueDeliveries(q, receivers, muted, 'resolved', DELIVERY_ATTEMPTS);
    await waitFor('the resolve skipped', async () => (await skipped()) === 1);
    const escalated = recent('inc-000000000000a002');
    await queueDeliveries(q, receivers, escalated, 'escalated', DELIVERY_ATTEMPTS, {
      note: 'the hook ran and the incident did not clear',
      key: 'rem-1',
    });
    await waitFor('the escalation sent', () => sentFor(escalated.id).length === 1);
    // 2. Nothing after the resolve: a reminder that comes late is skipped.
    const done = recent('inc-000000000000a003');
    await queueDeliveries(q, receivers, done, 'opened', DELIVERY_ATTEMPTS);
    await waitFor('opened sent', () => sentFor(done.id).length === 1);
    await queueDeliveries(q, receivers, done, 'resolved', DELIVERY_ATTEMPTS);
    await waitFor('resolved sent', () => sentFor(done.id).length === 2);
    await queueReminders(
      q,
      [{ ...receivers[0], repeat_interval_ms: 60_000 } as RoutedReceiver],
      [{ ...done, status: 'open' }],
      Date.now(),
      DELIVERY_ATTEMPTS,
    );
    await waitFor('the late reminder skipped', async () => (await skipped()) === 2);
    // 3. Opened longer ago than job records are kept (or before this version): its resolve is
    //    sent rather than lost.
    const old = incident('inc-000000000000a004');
    await queueDeliveries(q, receivers, old, 'resolved', DELIVERY_ATTEMPTS);
    await waitFor('the old resolve sent', () => sentFor(old.id).length === 1);
    // 4. A reopening supersedes the old opening's resolve: sent after it, the resolve would
    //    close the live page (PagerDuty's dedup key is the incident id).
    const flap = recent('inc-000000000000a006');
    await queueDeliveries(q, receivers, flap, 'opened', DELIVERY_ATTEMPTS);
    await waitFor('the flap opened', () => sentFor(flap.id).length === 1);
    await queueDeliveries(q, receivers, { ...flap, reopened: 1 }, 'reopened', DELIVERY_ATTEMPTS);
    await waitFor('the flap reopened', () => sentFor(flap.id).length === 2);
    const skippedBefore = await skipped();
    await queueDeliveries(q, receivers, flap, 'resolved', DELIVERY_ATTEMPTS);
    await waitFor('the old resolve skipped', async () => (await skipped()) === skippedBefore + 1);
    // 5. A delivery whose receiver left the config before it ran is dead-lettered, not lost.
    const orphan = recent('inc-000000000000a005');
    const deadLetters = new DeadLetterStore(redis, prefix3);
    await queueDeliveries(
      q,
      [{ ...(receivers[0] as RoutedReceiver), name: 'removed' }],
      orphan,
      'opened',
      DELIVERY_ATTEMPTS,
    );
    // Retried until retry_for_ms (4 s here) in case another process has the receiver.
    await waitFor(
      'the orphan dead-lettered',
      async () => (await deadLetters.list()).length === 1,
      15_000,
    );
    expect(await deadLetters.list()).toMatchObject([
      {
        receiver: 'removed',
        incident: orphan.id,
        transition: 'opened',
        reason: 'the receiver is no longer configured',
      },
    ]);
    const dead =
      (await metrics.registry.getSingleMetric('aiops_notifications_dead_lettered_total')?.get())
        ?.values ?? [];
    expect(dead).toMatchObject([
      { labels: { receiver: 'unknown', reason: 'unconfigured' }, value: 1 },
    ]);
    // 6. The receiver was down past retry_for_ms when the incident opened: the opening is
    //    dead-lettered, and once it is back the incident's reminder is its page; what follows
    //    goes out in order.
    const missed = recent('inc-000000000000a007');
    down = true;
    await queueDeliveries(q, receivers, missed, 'opened', DELIVERY_ATTEMPTS);
    await waitFor(
      'the opening dead-lettered',
      async () => (await deadLetters.list()).some((l) => l.incident === missed.id),
      15_000,
    );
    down = false;
    await queueReminders(
      q,
      [{ ...receivers[0], repeat_interval_ms: 60_000 } as RoutedReceiver],
      [{ ...missed, status: 'open' }],
      Date.now(),
      DELIVERY_ATTEMPTS,
    );
    await waitFor('the reminder sent', () => sentFor(missed.id).length === 1);
    await queueDeliveries(q, receivers, missed, 'acknowledged', DELIVERY_ATTEMPTS);
    await waitFor('the ack sent', () => sentFor(missed.id).length === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(sentFor(muted.id)).toEqual([]);
    expect(sentFor(escalated.id)).toEqual(['escalated']);
    expect(sentFor(done.id)).toEqual(['opened', 'resolved']);
    expect(sentFor(old.id)).toEqual(['resolved']);
    expect(sentFor(orphan.id)).toEqual([]);
    expect(sentFor(flap.id)).toEqual(['opened', 'reopened']);
    expect(sentFor(missed.id)).toEqual(['reminder', 'acknowledged']);
    await deletePrefix(prefix3);
  }, 30_000);
});
