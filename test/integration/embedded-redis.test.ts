/** The embedded Redis default of DESIGN.md: local 6379 when it answers, else a private server. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { LOCAL_REDIS_URL, resolveRedis, startPrivateRedis } from '../../src/redis/embedded.js';
import { redisAnswers } from '../../src/redis/probe.js';

describe('embedded Redis', () => {
  it('uses REDIS_URL / config as given, without probing', async () => {
    const r = await resolveRedis({
      configuredUrl: 'redis://example.invalid:6379',
      dataDir: 'unused',
    });
    expect(r).toMatchObject({ url: 'redis://example.invalid:6379', source: 'configured' });
  });

  it('uses the machine Redis on 127.0.0.1:6379 when it answers', async () => {
    if (!(await redisAnswers(LOCAL_REDIS_URL)))
      throw new Error('this test needs Redis on 127.0.0.1:6379 (CI starts it)');
    const r = await resolveRedis({ configuredUrl: undefined, dataDir: 'unused' });
    expect(r).toMatchObject({ url: LOCAL_REDIS_URL, source: 'local' });
  });

  it('starts a private redis-server with AOF in our folder, keeps data across restarts, stops it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'aiops-embedded-')), 'redis');
    const first = await startPrivateRedis(dir);
    expect(first.source).toBe('private');
    expect(await redisAnswers(first.url)).toBe(true);
    const client = new Redis(first.url);
    await client.set('kept', 'yes');
    client.disconnect();
    expect(existsSync(join(dir, 'appendonlydir'))).toBe(true);
    await first.stop();
    expect(await redisAnswers(first.url, 300)).toBe(false);

    const second = await startPrivateRedis(dir);
    const again = new Redis(second.url);
    expect(await again.get('kept')).toBe('yes');
    again.disconnect();
    await second.stop();
  });
});
