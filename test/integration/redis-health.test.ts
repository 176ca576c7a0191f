/**
 * A Redis outage is logged by the outage, not by the reconnect attempt: one ERROR line when
 * it starts, a reminder while it lasts, one line when it ends, for every connection and every
 * copy BullMQ makes of one, and nothing on stderr (no `[ioredis] Unhandled error event`).
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { producerConnection, RedisHealth, workerConnection } from '../../src/redis/connections.js';
import { waitFor } from '../helpers/redis.js';
import { TestRedisServer } from '../helpers/redis-server.js';

let server: TestRedisServer;
beforeAll(async () => {
  server = await TestRedisServer.start();
});
afterAll(async () => {
  await server.down();
});

describe('RedisHealth', () => {
  it('logs an outage once when it starts, reminds while it lasts, and once when it ends', async () => {
    const lines: { level: number; msg: string; component?: string }[] = [];
    const log = pino(
      { level: 'info' },
      {
        write: (s: string) => {
          lines.push(JSON.parse(s) as { level: number; msg: string });
        },
      },
    );
    const stderr = vi.spyOn(console, 'error');
    const health = new RedisHealth(log, server.url, 500);
    const worker = workerConnection({ url: server.url }, health, 'worker');
    const producer = producerConnection({ url: server.url }, health, 'producer');
    const copies = [worker.duplicate(), worker.duplicate({ connectionName: 'blocking' })];
    const all = [worker, producer, ...copies];
    try {
      await waitFor('connected', () => all.every((c) => c.status === 'ready'));
      await server.down();
      await waitFor('outage noticed', () => health.down);
      await new Promise((r) => setTimeout(r, 1800));
      expect(health.down).toBe(true);
      await server.up();
      await waitFor('outage over', () => !health.down, 20_000);

      const msgs = lines.map((l) => l.msg);
      expect(lines[0]).toMatchObject({ level: 50, component: 'redis' });
      expect(msgs[0]).toMatch(/^Redis unreachable \(.+\); reconnecting\./);
      const reminders = msgs.filter((m) => m.startsWith('Redis still unreachable after'));
      expect(reminders.length).toBeGreaterThanOrEqual(2);
      expect(reminders.length).toBeLessThanOrEqual(8);
      expect(msgs.at(-1)).toMatch(/^Redis reachable again after \d+(\.\d)? s$/);
      expect(lines).toHaveLength(1 + reminders.length + 1);
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
      for (const c of all) c.disconnect();
      health.stop();
    }
  });
});
