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
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
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
  readonly #down = new Set<Client>();
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
  watch(client: Client, name: string): void {
    WATCHED.set(client, { health: this, name });
    client.on('ready', () => {
      this.#recovered(client);
    });
    client.on('end', () => {
      this.#recovered(client);
    });
  }

  /** A connection's error event. */
  failed(client: Client, name: string, err: unknown): void {
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

  #recovered(client: Client): void {
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

/** A single-node client or a cluster client: both emit `error`, `ready` and `end`. */
type Client = Redis | Cluster;

const WATCHED = new WeakMap<Client, { health: RedisHealth; name: string }>();

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

type StartupNodes = ConstructorParameters<typeof Cluster>[0];

/** The same for a Redis Cluster client (BullMQ duplicates it for its blocking reads). */
class WatchedCluster extends Cluster {
  readonly #nodes: StartupNodes;

  constructor(nodes: StartupNodes, options: ClusterOptions) {
    super(nodes, options);
    this.#nodes = nodes;
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const watched = event === 'error' ? WATCHED.get(this) : undefined;
    if (!watched) return super.emit(event, ...args);
    watched.health.failed(this, watched.name, args[0]);
    return true;
  }

  override duplicate(
    overrideStartupNodes: StartupNodes = [],
    overrideOptions: ClusterOptions = {},
  ): Cluster {
    const watched = WATCHED.get(this);
    if (!watched) return super.duplicate(overrideStartupNodes, overrideOptions);
    const nodes = overrideStartupNodes.length > 0 ? overrideStartupNodes : this.#nodes;
    return watchedBy(
      new WatchedCluster(nodes, { ...this.options, ...overrideOptions }),
      watched.health,
      watched.name,
    );
  }
}

function watchedBy<C extends Client>(client: C, health: RedisHealth, name: string): C {
  health.watch(client, name);
  // ioredis emits `error` only when some listener is there; with none it prints the stack.
  client.on('error', () => undefined);
  return client;
}

/**
 * PING, on every master of a Redis Cluster (a cluster client's own PING goes to any one node,
 * so a shard that is down would make readiness flip with the node drawn).
 */
export async function pingAll(client: Redis): Promise<void> {
  const cluster = client as unknown as Cluster;
  const masters = client.isCluster ? cluster.nodes('master') : [];
  if (masters.length === 0) {
    await client.ping();
    return;
  }
  await Promise.all(masters.map((node) => node.ping()));
}

/** Where to connect: one Redis, or a Redis Cluster found from one of its nodes. */
export interface RedisTarget {
  readonly url: string;
  /** `redis.cluster`: `url` names one node of a Redis Cluster. */
  readonly cluster?: boolean;
}

/**
 * A cluster client from one node's URL: its address is the startup node, its user, password,
 * TLS and database-less options apply to every node the cluster names.
 */
function clusterClient(url: string, cluster: ClusterOptions, node: RedisOptions): Cluster {
  const u = new URL(url);
  const redisOptions: RedisOptions = {
    ...node,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return new WatchedCluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
    ...cluster,
    redisOptions,
    // Nodes are reached by the names the cluster gives, not resolved first: with TLS the
    // certificate is checked against that name (ioredis' advice for ElastiCache).
    dnsLookup: (address, callback) => {
      callback(null, address);
    },
  });
}

/**
 * The connection a worker uses: every command waits for Redis for ever. A cluster client is
 * returned as `Redis`: ioredis' Cluster answers the same commands, and BullMQ takes either.
 */
export function workerConnection(target: RedisTarget, health: RedisHealth, name: string): Redis {
  const node: RedisOptions = { maxRetriesPerRequest: null, connectionName: name };
  if (target.cluster)
    return watchedBy(
      clusterClient(
        target.url,
        {
          clusterRetryStrategy: retryStrategy,
          // A command waits out a failover: ioredis gives up after maxRedirections retries
          // retryDelayOnFailover apart (1.6 s by default), and a failover takes at least
          // cluster-node-timeout (15 s by default). 500 ms × 64 = 32 s.
          retryDelayOnFailover: 500,
          retryDelayOnClusterDown: 500,
          retryDelayOnTryAgain: 500,
          maxRedirections: 64,
        },
        node,
      ),
      health,
      name,
    ) as unknown as Redis;
  return watchedBy(new WatchedRedis(target.url, { ...node, retryStrategy }), health, name);
}

/** The connection producers use: a command fails at once while Redis is away (ingest's 503). */
export function producerConnection(target: RedisTarget, health: RedisHealth, name: string): Redis {
  const node: RedisOptions = {
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    connectionName: name,
  };
  if (target.cluster)
    return watchedBy(
      clusterClient(
        target.url,
        { clusterRetryStrategy: retryStrategy, enableOfflineQueue: false },
        node,
      ),
      health,
      name,
    ) as unknown as Redis;
  return watchedBy(
    new WatchedRedis(target.url, { ...node, enableOfflineQueue: false, retryStrategy }),
    health,
    name,
  );
}
