/**
 * Redis connections per BullMQ's production guide: workers retry for ever (a worker must
 * survive a Redis restart), producers fail fast (ingest answers 503 instead of hanging).
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../telemetry/logger.js';

const retryStrategy = (times: number): number => Math.min(2 ** Math.min(times, 10) * 50, 5000);

export function workerConnection(url: string, log: Logger, name: string): Redis {
  return watch(
    new Redis(url, { maxRetriesPerRequest: null, retryStrategy, connectionName: name }),
    log,
    name,
  );
}

export function producerConnection(url: string, log: Logger, name: string): Redis {
  const opts: RedisOptions = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 3000,
    retryStrategy,
    connectionName: name,
  };
  return watch(new Redis(url, opts), log, name);
}

/** Logs connection loss and recovery once per transition, not per retry. */
function watch(redis: Redis, log: Logger, name: string): Redis {
  let down = false;
  redis.on('error', (err) => {
    if (!down) log.warn({ err, connection: name }, 'Redis connection lost; reconnecting');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info({ connection: name }, 'Redis connection restored');
    down = false;
  });
  return redis;
}
