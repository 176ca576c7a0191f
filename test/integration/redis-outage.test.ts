/**
 * Redis down: ingest answers 503 with Retry-After (never 2xx for data it could not queue),
 * /readyz says not ready, and workers reconnect by themselves when Redis returns; nothing
 * accepted before the outage is lost (Redis keeps it in its AOF).
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseRoles } from '../../src/service/roles.js';
import { startService, type RunningService } from '../../src/service/service.js';
import { randomPrefix, waitFor } from '../helpers/redis.js';
import { TestRedisServer } from '../helpers/redis-server.js';

let server: TestRedisServer;
let service: RunningService;
const prefix = randomPrefix();

beforeAll(async () => {
  server = await TestRedisServer.start();
  const config = parseConfig({ services: { auth: {} }, redis: { prefix } });
  service = await startService({
    config,
    log: pino({ level: 'silent' }),
    redisUrl: server.url,
    roles: parseRoles('all'),
    version: 'test',
    port: 0,
    host: '127.0.0.1',
  });
});

afterAll(async () => {
  await service.close(3000);
  await server.down();
});

let t = Date.UTC(2026, 10, 25);
const post = (n: number): Promise<Response> => {
  const body = Array.from({ length: n }, () =>
    JSON.stringify({
      ts: (t += 1000),
      metric: 'latency_ms',
      labels: { service: 'auth' },
      value: 20,
    }),
  ).join('\n');
  return fetch(`${service.url}/api/v1/samples`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
};

describe('Redis outage', () => {
  it('answers 503 + Retry-After while Redis is down and recovers by itself when it returns', async () => {
    expect((await post(100)).status).toBe(202);
    const taken = async (): Promise<number> => {
      const r = new Redis(server.url, { maxRetriesPerRequest: 1 });
      try {
        return Number((await r.hget(`${prefix}:detect:stats`, 'taken')) ?? 0);
      } finally {
        r.disconnect();
      }
    };
    await waitFor('first batch scored', async () => (await taken()) === 100);

    await server.down();
    const during = await post(50);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    expect((await during.json()) as { code: string }).toMatchObject({
      code: 'AIOPS_ERR_INGEST_QUEUE_UNAVAILABLE',
    });
    expect((await fetch(`${service.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);

    await server.up();
    await waitFor(
      'ready again',
      async () => (await fetch(`${service.url}/readyz`)).status === 200,
      20_000,
    );
    await waitFor('ingest accepts again', async () => (await post(100)).status === 202, 20_000);
    await waitFor('workers scored the new batch', async () => (await taken()) >= 200, 30_000);
    expect(await taken()).toBeLessThanOrEqual(200 + 100 * 20);
  });
});
