/**
 * `GET /api/v1/notifications/dead-letters` on the real Redis: the deliveries given up, newest
 * first, `limit` checked, and behind `server.read_token` like every read.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterStore, type DeadLetter } from '../../src/queues/dead-letters.js';
import type { RunningService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from '../helpers/redis.js';
import { startTestService } from '../helpers/service.js';

const READ = 'dead-letters-read-token';
const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL);
let service: RunningService;

beforeAll(async () => {
  service = await startTestService({ redis: { prefix }, server: { read_token: READ } }, 'notify');
});

afterAll(async () => {
  await service.close(2000);
  await deletePrefix(prefix);
  redis.disconnect();
});

const letter = (i: number): DeadLetter => ({
  at: new Date(Date.UTC(2026, 11, 7, 6, i)).toISOString(),
  receiver: 'pagerduty-oncall',
  incident: `inc-${String(i).padStart(16, '0')}`,
  transition: 'opened',
  queued_at: new Date(Date.UTC(2026, 11, 6, 6, i)).toISOString(),
  attempts: 300 + i,
  reason: 'not delivered within notify.retry_for_ms (86400000 ms); last: 503 unavailable',
});

describe('dead letters over the API', () => {
  it('lists them newest first, honours limit, and answers 400 to a bad one', async () => {
    const store = new DeadLetterStore(redis, prefix);
    for (let i = 0; i < 3; i++) await store.add(letter(i));
    const get = (q: string) =>
      fetch(`${service.url}/api/v1/notifications/dead-letters${q}`, {
        headers: { authorization: `Bearer ${READ}` },
      });
    const all = (await (await get('')).json()) as { dead_letters: DeadLetter[] };
    expect(all.dead_letters.map((d) => d.attempts)).toEqual([302, 301, 300]);
    expect(all.dead_letters[0]).toEqual(letter(2));
    const one = (await (await get('?limit=1')).json()) as { dead_letters: DeadLetter[] };
    expect(one.dead_letters).toHaveLength(1);
    const bad = await get('?limit=0');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/limit must be an integer from 1 to 1000/);
  });

  it('is a read: it needs the read token when one is set', async () => {
    const res = await fetch(`${service.url}/api/v1/notifications/dead-letters`);
    expect(res.status).toBe(401);
  });
});
