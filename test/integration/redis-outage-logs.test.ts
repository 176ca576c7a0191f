/**
 * A 10 s Redis outage under ingest load is a handful of log lines, not one per refused request
 * (issue 21, item 6: ~900 lines): the outage once at error with what it affects, its end once at
 * info, and ingest's 503s as one warn line when they start and one info line with the count when
 * they stop. A worker in the test process, on a Redis of its own that the test stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseRoles } from '../../src/service/roles.js';
import { startService, type RunningService } from '../../src/service/service.js';
import { randomPrefix, waitFor } from '../helpers/redis.js';
import { LEVEL, logLines } from '../helpers/log-lines.js';
import { TestRedisServer } from '../helpers/redis-server.js';

const { log, lines } = logLines();

let server: TestRedisServer;
let service: RunningService;

beforeAll(async () => {
  server = await TestRedisServer.start();
  service = await startService({
    config: parseConfig({ services: { auth: {} }, redis: { prefix: randomPrefix() } }),
    log,
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a 10 s Redis outage under load', () => {
  it('logs the outage and the refused requests once each, not a line per request', async () => {
    let running = true;
    const statuses = new Map<number, number>();
    let n = 0;
    const sender = async (): Promise<void> => {
      while (running) {
        const body = Array.from({ length: 100 }, (_, i) =>
          JSON.stringify({
            ts: Date.now() - 1000 + (n++ % 1000),
            metric: `m${i % 20}`,
            labels: { service: 'auth' },
            value: Math.random(),
          }),
        ).join('\n');
        const res = await fetch(`${service.url}/api/v1/samples`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body,
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        await sleep(20);
      }
    };
    const senders = [sender(), sender(), sender(), sender()];
    await waitFor('samples accepted', () => Promise.resolve((statuses.get(202) ?? 0) > 10));
    const from = lines.length;

    await server.down();
    await sleep(10_000);
    const refused = statuses.get(503) ?? 0;
    await server.up();
    const accepted = statuses.get(202) ?? 0;
    await waitFor(
      'ingest accepts again',
      () => Promise.resolve((statuses.get(202) ?? 0) > accepted + 10),
      20_000,
    );
    running = false;
    await Promise.all(senders);

    const during = lines.slice(from);
    const loud = during.filter((l) => l.level >= LEVEL.warn);
    // Hundreds of requests were refused, each with a 503 ...
    expect(refused).toBeGreaterThan(100);
    // ... and the log says so in a few lines.
    expect(loud.length, loud.map((l) => l.msg).join('\n')).toBeLessThanOrEqual(8);
    const errors = during.filter((l) => l.level >= LEVEL.error);
    expect(errors.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^Redis unreachable .*Ingest answers 503 and jobs wait/) as unknown,
    ]);
    expect(during.filter((l) => l.msg.startsWith('Redis reachable again'))).toHaveLength(1);
    const ingest = during.filter((l) => l.msg.startsWith('ingest'));
    expect(ingest.filter((l) => l.level === LEVEL.warn)).toHaveLength(1);
    const end = ingest.find((l) => l.msg.startsWith('ingest queues records again'));
    expect(end?.level).toBe(30);
    expect(end?.failures).toBeGreaterThanOrEqual(refused);
  });
});
