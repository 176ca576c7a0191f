import { Redis } from 'ioredis';
import { redactUrlText } from '../config/redact-url.js';

/**
 * Why a Redis at `url` did not answer PING within `timeoutMs`, or undefined when it did. With
 * `cluster` set, a node whose cluster mode differs is a {@link ClusterModeError}, and a cluster
 * whose state is not `ok` (slots unassigned, a shard down) is a problem like no answer is.
 * Never throws.
 */
export async function redisProblem(
  url: string,
  timeoutMs = 1000,
  cluster?: boolean,
): Promise<Error | undefined> {
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
    if (pong !== 'PONG') return new Error(`no answer to PING within ${timeoutMs} ms`);
    return cluster === undefined ? undefined : await clusterProblem(client, cluster);
  } catch (err) {
    // connect() rejects with "Connection is closed." when the socket failed: the socket's own
    // error (ECONNREFUSED, ENOTFOUND, WRONGPASS) says more.
    return lastError ?? (err as Error);
  } finally {
    client.disconnect();
  }
}

/** The node is a cluster node and `redis.cluster` is off, or the reverse: no retry mends it. */
export class ClusterModeError extends Error {
  override name = 'ClusterModeError';
}

async function clusterProblem(client: Redis, cluster: boolean): Promise<Error | undefined> {
  const enabled = /^cluster_enabled:1\s*$/m.test(await client.info('cluster'));
  if (enabled && !cluster)
    return new ClusterModeError(
      'it is a Redis Cluster node: set redis.cluster: true (keys then carry hash tags, docs/operations.md)',
    );
  if (!enabled && cluster)
    return new ClusterModeError(
      'redis.cluster is true but it is not a Redis Cluster node (cluster_enabled:0): unset redis.cluster, or point redis.url at a node of the cluster',
    );
  if (!cluster) return undefined;
  const state = /^cluster_state:(\w+)/m.exec(await client.cluster('INFO'))?.[1];
  return state === 'ok' ? undefined : new Error(`cluster_state is ${state ?? 'unknown'}, not ok`);
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
