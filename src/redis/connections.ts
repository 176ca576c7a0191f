/**
 * Redis connections per BullMQ's production guide: workers retry for ever (a worker must
 * survive a Redis restart), producers fail fast (ingest answers 503 instead of hanging).
 *
 * Every connection made here, and every copy BullMQ makes of one (`duplicate()`, for its
 * blocking reads), hands its `error` events to one `RedisHealth` instead of to its listeners.
 * ioredis emits one per reconnect attempt and BullMQ passes each on to every queue and worker,
 * so a 10 s outage used to log hundreds of ERROR lines and print raw stack traces (a Queue
 * with no listener). The health logs the outage instead: once when it starts, a reminder while
 * it lasts, once when it ends.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../telemetry/logger.js';
import { redactUrl } from './probe.js';

const retryStrategy = (times: number): number => Math.min(2 ** Math.min(times, 10) * 50, 5000);

/** While Redis stays unreachable, a reminder this often. */
export const OUTAGE_REMINDER_MS = 30_000;

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/**
 * Whether the process reaches Redis, from the events of all its connections: it is down from
 * the first connection error until every connection that failed is ready again (or closed).
 */
export class RedisHealth {
  readonly #log: Logger;
  readonly #redis: string;
  readonly #reminderMs: number;
  readonly #down = new Set<Redis>();
  #since: number | undefined;
  #errors = 0;
  #lastError = '';
  #reminder: NodeJS.Timeout | undefined;

  constructor(log: Logger, url: string, reminderMs = OUTAGE_REMINDER_MS) {
    this.#log = log.child({ component: 'redis' });
    this.#redis = redactUrl(url);
    this.#reminderMs = reminderMs;
  }

  /** True while some connection cannot reach Redis. */
  get down(): boolean {
    return this.#since !== undefined;
  }

  /** Follows `client`: its errors count here, its recovery ends the outage. */
  watch(client: Redis, name: string): void {
    WATCHED.set(client, { health: this, name });
    client.on('ready', () => {
      this.#recovered(client);
    });
    client.on('end', () => {
      this.#recovered(client);
    });
  }

  /** A connection's error event. */
  failed(client: Redis, name: string, err: unknown): void {
    const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    this.#errors++;
    this.#lastError = message;
    this.#down.add(client);
    if (this.#since !== undefined) return;
    this.#since = Date.now();
    this.#errors = 1;
    this.#log.error(
      { redis: this.#redis, connection: name, err: message },
      `Redis unreachable (${message}); reconnecting. Ingest answers 503 and jobs wait until it is back`,
    );
    this.#reminder = setInterval(() => {
      const forMs = Date.now() - (this.#since ?? Date.now());
      this.#log.error(
        { redis: this.#redis, downForMs: forMs, errors: this.#errors, err: this.#lastError },
        `Redis still unreachable after ${seconds(forMs)} (${this.#lastError}); reconnecting`,
      );
    }, this.#reminderMs);
    this.#reminder.unref();
  }

  #recovered(client: Redis): void {
    if (!this.#down.delete(client) || this.#down.size > 0 || this.#since === undefined) return;
    const forMs = Date.now() - this.#since;
    this.#log.info(
      { redis: this.#redis, downForMs: forMs, errors: this.#errors },
      `Redis reachable again after ${seconds(forMs)}`,
    );
    this.stop();
  }

  /** Forgets the outage in progress (the process is stopping). */
  stop(): void {
    clearInterval(this.#reminder);
    this.#reminder = undefined;
    this.#since = undefined;
    this.#down.clear();
  }
}

const WATCHED = new WeakMap<Redis, { health: RedisHealth; name: string }>();

/** A client whose `error` events go to its RedisHealth, and whose copies do the same. */
class WatchedRedis extends Redis {
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const watched = event === 'error' ? WATCHED.get(this) : undefined;
    if (!watched) return super.emit(event, ...args);
    watched.health.failed(this, watched.name, args[0]);
    return true;
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    const watched = WATCHED.get(this);
    if (!watched) return super.duplicate(override);
    return watchedBy(
      new WatchedRedis({ ...this.options, ...override }),
      watched.health,
      watched.name,
    );
  }
}

function watchedBy(client: WatchedRedis, health: RedisHealth, name: string): Redis {
  health.watch(client, name);
  // ioredis emits `error` only when some listener is there; with none it prints the stack.
  client.on('error', () => undefined);
  return client;
}

export function workerConnection(url: string, health: RedisHealth, name: string): Redis {
  return watchedBy(
    new WatchedRedis(url, { maxRetriesPerRequest: null, retryStrategy, connectionName: name }),
    health,
    name,
  );
}

export function producerConnection(url: string, health: RedisHealth, name: string): Redis {
  return watchedBy(
    new WatchedRedis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 3000,
      retryStrategy,
      connectionName: name,
    }),
    health,
    name,
  );
}
