import { Redis } from 'ioredis';

/** True when a Redis at `url` answers PING within `timeoutMs`. Never throws. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const pong = await Promise.race([
      client.ping(),
      new Promise<string>((resolve) =>
        setTimeout(() => {
          resolve('timeout');
        }, timeoutMs).unref(),
      ),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** The URL with any password replaced, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
