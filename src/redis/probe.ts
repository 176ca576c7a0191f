import { Redis } from 'ioredis';
import { redactUrlText } from '../config/redact-url.js';

/** Why a Redis at `url` did not answer PING within `timeoutMs`, or undefined when it did. Never throws. */
export async function redisProblem(url: string, timeoutMs = 1000): Promise<Error | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => {
    lastError = err;
  });
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
    if (pong === 'PONG') return undefined;
    return new Error(`no answer to PING within ${timeoutMs} ms`);
  } catch (err) {
    // connect() rejects with "Connection is closed." when the socket failed: the socket's own
    // error (ECONNREFUSED, ENOTFOUND, WRONGPASS) says more.
    return lastError ?? (err as Error);
  } finally {
    client.disconnect();
  }
}

/** True when a Redis at `url` answers PING within `timeoutMs`. Never throws. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  return (await redisProblem(url, timeoutMs)) === undefined;
}

/** The URL with any password replaced, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return redactUrlText(url);
  }
}
