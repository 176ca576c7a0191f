/**
 * Real Redis: a pull run whose lock expired mid-run can neither extend it nor move the
 * watermark, so the run that took the lock over keeps its progress; the watermark only moves
 * forward.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { PullError } from '../../src/ingest/pull/pull-error.js';
import { PullStore } from '../../src/ingest/pull/pull-store.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from '../helpers/redis.js';

const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL);

afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

describe('pull run locks and watermarks', () => {
  it('a run that lost its lock stops; the watermark never goes back', async () => {
    const store = new PullStore(redis, prefix);
    const a = await store.lock('q', 100);
    expect(a).toBeDefined();
    expect(await store.lock('q', 100)).toBeUndefined(); // held: a second run skips
    await a?.advance('q', 1000);
    expect(await store.watermark('q')).toBe(1000);

    await new Promise((r) => setTimeout(r, 200)); // a stalls past its lock's life
    const b = await store.lock('q', 10_000);
    expect(b).toBeDefined();
    await b?.advance('q', 2000);

    await expect(a?.extend()).rejects.toMatchObject({ reason: 'lock_lost' });
    await expect(a?.advance('q', 1500)).rejects.toBeInstanceOf(PullError);
    expect(await store.watermark('q')).toBe(2000);

    await b?.advance('q', 1800); // an older window never moves it back
    expect(await store.watermark('q')).toBe(2000);
    await a?.release(); // not a's to release any more: b keeps it
    expect(await store.lock('q', 100)).toBeUndefined();
    await b?.release();
  });
});
