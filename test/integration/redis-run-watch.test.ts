/**
 * The run watch's scripts on a real Redis: a sentinel swapped on every check, so a FLUSHALL-like
 * loss (the key gone) and a Redis that went back in time (the key holds an older value, as
 * after a failover to a replica that lagged) both read as lost data, while checks in a row
 * stay quiet.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisRunWatch } from '../../src/redis/redis-run-watch.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from '../helpers/redis.js';
import { logLines } from '../helpers/log-lines.js';

const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL);

afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

describe('RedisRunWatch on a real Redis', () => {
  it('is quiet while its sentinel advances, and tells a lost or an older sentinel as lost data', async () => {
    const key = `${prefix}:run:w1`;
    const { log, lines } = logLines();
    const lost: boolean[] = [];
    const watch = new RedisRunWatch({
      redis,
      sentinelKey: key,
      reassert: ({ lostData }) => {
        lost.push(lostData);
        return Promise.resolve();
      },
      log,
      checkMs: 60_000,
    });
    await watch.start();
    await watch.check();
    const older = await redis.get(key);
    await watch.check();
    await watch.check();
    expect(lost).toEqual([]);
    expect(Number(await redis.get(key))).toBeGreaterThan(Number(older));
    expect(await redis.pttl(key)).toBeGreaterThan(3_600_000);

    // Back in time: the value of two checks ago.
    await redis.set(key, older ?? '', 'PX', 60_000);
    await watch.check();
    expect(lost).toEqual([true]);
    expect(lines.find((l) => l.level === 40)?.msg).toMatch(/^Redis went back to older data/);

    // Gone.
    await redis.del(key);
    await watch.check();
    expect(lost).toEqual([true, true]);
    expect(lines.filter((l) => l.level === 40).at(-1)?.msg).toMatch(/^Redis lost its data/);

    await watch.check();
    expect(lost).toEqual([true, true]);
    await watch.stop();
  });
});
