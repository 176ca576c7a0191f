/**
 * Incidents in Redis. The correlator's working state (candidates, open incidents, incidents in
 * their flap hold, the event-time watermark) is one JSON value; every incident that opened is
 * also kept under its id, with an index by opening time, for the API and /metrics. Writes are
 * optimistic (WATCH on the state): if another process changed the state meanwhile, the write
 * fails and the job is retried on the fresh state, so two workers never lose each other's work.
 */
import type { Redis } from 'ioredis';
import { emptyCorrelatorState, type CorrelatorState, type Incident } from './incidents.js';

/** Resolved incidents kept for the API (the newest first), beyond which the oldest go. */
const KEEP_INCIDENTS = 1000;

export class StateConflictError extends Error {
  constructor() {
    super('the correlator state changed during the job; retrying on the fresh state');
    this.name = 'StateConflictError';
  }
}

export class IncidentStore {
  private readonly stateKey: string;
  private readonly byIdKey: string;
  private readonly indexKey: string;
  private readonly openKey: string;

  private readonly redis: Redis;

  /** `redis`: a connection of its own (WATCH is per connection). */
  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.stateKey = `${prefix}:correlate:state`;
    this.byIdKey = `${prefix}:incidents`;
    this.indexKey = `${prefix}:incidents:by-open`;
    this.openKey = `${prefix}:incidents:open`;
  }

  /**
   * Loads the working state and starts watching it (call `save` or `unwatch` next). A state that
   * does not parse is moved aside (`<key>:corrupt:<time>`) and the correlator starts afresh:
   * better than failing every anomaly after it. `onCorrupt` is told.
   */
  async load(onCorrupt: (movedTo: string) => void): Promise<CorrelatorState> {
    await this.redis.watch(this.stateKey);
    const raw = await this.redis.get(this.stateKey);
    if (raw === null) return emptyCorrelatorState();
    try {
      const parsed = JSON.parse(raw) as Partial<CorrelatorState>;
      if (!Array.isArray(parsed.incidents)) throw new Error('no incidents array');
      // States written before `now` and `seen` existed.
      return { ...emptyCorrelatorState(), ...parsed };
    } catch {
      const aside = `${this.stateKey}:corrupt:${Date.now()}`;
      await this.unwatch();
      await this.redis.rename(this.stateKey, aside).catch(() => undefined);
      onCorrupt(aside);
      await this.redis.watch(this.stateKey);
      return emptyCorrelatorState();
    }
  }

  /** Saves the state and the incidents that changed; throws StateConflictError on a race. */
  async save(state: CorrelatorState, changed: readonly Incident[]): Promise<void> {
    const tx = this.redis.multi().set(this.stateKey, JSON.stringify(state));
    for (const inc of changed) {
      if (inc.opened_at === null) continue;
      tx.hset(this.byIdKey, inc.id, JSON.stringify(inc));
      tx.zadd(this.indexKey, inc.opened_at, inc.id);
      if (inc.status === 'open') tx.sadd(this.openKey, inc.id);
      else tx.srem(this.openKey, inc.id);
    }
    const result = await tx.exec();
    if (result === null) throw new StateConflictError();
  }

  /** Drops the oldest resolved incidents beyond the kept number (best effort). */
  async trimOld(): Promise<void> {
    await this.trim();
  }

  /**
   * Ends the watch `load` started. Not with UNWATCH: it names no key, so on a Redis Cluster it
   * goes to any node and the watch stays set where it was (the next save then fails as if
   * another process had written). An EXEC on the state's own slot ends it there, on either.
   */
  async unwatch(): Promise<void> {
    await this.redis.multi().exists(this.stateKey).exec();
  }

  private async trim(): Promise<void> {
    const excess = (await this.redis.zcard(this.indexKey)) - KEEP_INCIDENTS;
    if (excess <= 0) return;
    const old = await this.redis.zrange(this.indexKey, 0, excess - 1);
    const open = new Set(await this.redis.smembers(this.openKey));
    const drop = old.filter((id) => !open.has(id));
    if (drop.length === 0) return;
    await this.redis
      .multi()
      .hdel(this.byIdKey, ...drop)
      .zrem(this.indexKey, ...drop)
      .exec();
  }

  /** Incidents, the newest opened first. */
  async list(limit = 100): Promise<Incident[]> {
    const ids = await this.redis.zrevrange(this.indexKey, 0, limit - 1);
    if (ids.length === 0) return [];
    const raws = await this.redis.hmget(this.byIdKey, ...ids);
    return raws.flatMap((r) => (r === null ? [] : [JSON.parse(r) as Incident]));
  }

  /** Open incidents, the newest opened first. */
  async open(limit = 1000): Promise<Incident[]> {
    const ids = await this.redis.smembers(this.openKey);
    if (ids.length === 0) return [];
    const raws = await this.redis.hmget(this.byIdKey, ...ids);
    return raws
      .flatMap((r) => (r === null ? [] : [JSON.parse(r) as Incident]))
      .sort((a, b) => (b.opened_at ?? 0) - (a.opened_at ?? 0) || a.id.localeCompare(b.id))
      .slice(0, limit);
  }

  async get(id: string): Promise<Incident | undefined> {
    const raw = await this.redis.hget(this.byIdKey, id);
    return raw === null ? undefined : (JSON.parse(raw) as Incident);
  }
}
