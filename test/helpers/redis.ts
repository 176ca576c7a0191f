import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { KeyLayout } from '../../src/queues/key-layout.js';

/** The Redis the integration tests use (CI makes sure it answers). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix per test, so tests never see each other's keys or queues. */
export function randomPrefix(): string {
  return `aiops-test-${randomBytes(5).toString('hex')}`;
}

/** The single-Redis key layout of a test's prefix (every key and queue under `prefix`). */
export const singleLayout = (prefix: string, partitions = 16): KeyLayout =>
  new KeyLayout({ prefix, cluster: false, partitions });

/** Deletes every key under `prefix` (SCAN, not KEYS). */
export async function deletePrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Polls `fn` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(
  what: string,
  fn: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
