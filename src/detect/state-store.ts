/**
 * Detector state in Redis, one string key of compact binary state per series
 * (`<prefix>:detect:s:<partition>:<series>`, the prefix of the partition's slot on a Redis
 * Cluster, key-layout.ts), cached in the worker. A partition epoch, a new
 * random token at every commit, tells a worker whether its cache is still current; the commit
 * itself is fenced on the epoch the worker loaded, so a worker holding a stale view (a stalled
 * job taken over by another process) fails its commit and retries instead of overwriting newer
 * state.
 *
 * Lifecycle: each write sets the key's TTL (`ttlMs`, `detect.state_ttl_ms`) in the same script,
 * so the state of a series not scored for that long expires in Redis by itself, with no
 * sweeper; a series that comes back finds no state and learns afresh. The cache forgets a
 * series on the same clock, and holds at most `maxCachedPerPartition` series per partition
 * (least recently used first out).
 *
 * States written before this layout (one hash per partition, `<prefix>:detect:state:<p>`) are
 * still read, moved to their own key on their next write, and the old hash is given the TTL, so
 * it is gone once its series have moved or gone idle.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Detector } from '../../detectors/contract.js';
import type { SeriesMeta } from '../queues/contract.js';
import type { KeyLayout } from '../queues/key-layout.js';
import {
  createSeriesState,
  decodeSeriesState,
  encodeSeriesState,
  type SeriesState,
} from './series-state.js';

/**
 * KEYS[1] epoch, KEYS[2] stats hash, KEYS[3] the partition's legacy state hash, then one state
 *   key per state written
 * ARGV[1] expected epoch ('' when none), ARGV[2] new epoch, ARGV[3] TTL in ms (0: none),
 *   ARGV[4] number of legacy fields m, then the #KEYS - 3 states, then the m legacy fields to
 *   delete, then (stat name, increment) pairs
 * Returns 1, or -1 when the epoch moved (nothing written).
 */
const COMMIT_LUA = `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return -1 end
local ttl = tonumber(ARGV[3])
local i = 5
for k = 4, #KEYS do
  if ttl > 0 then
    redis.call('SET', KEYS[k], ARGV[i], 'PX', ttl)
  else
    redis.call('SET', KEYS[k], ARGV[i])
  end
  i = i + 1
end
for _ = 1, tonumber(ARGV[4]) do
  redis.call('HDEL', KEYS[3], ARGV[i])
  i = i + 1
end
if ttl > 0 and redis.call('PTTL', KEYS[3]) == -1 then redis.call('PEXPIRE', KEYS[3], ttl) end
while i <= #ARGV do
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

const statsKeyUnder = (prefix: string): string => `${prefix}:detect:stats`;

export class StaleEpochError extends Error {
  override name = 'StaleEpochError';
}

/**
 * Epochs are random tokens, not counters: after Redis lost its data a counter would restart and
 * could match a stale cache; a fresh random token cannot.
 */
export const newEpoch = (): string => randomBytes(8).toString('hex');

/** Default of `StateStoreOptions.maxCachedPerPartition`. */
const MAX_CACHED_PER_PARTITION = 50_000;

export interface StateStoreOptions {
  /** A state expires this long after its last write (ms, wall clock); 0 never (the default). */
  readonly ttlMs?: number;
  /** Series cached per partition at most; the least recently used go first (default 50,000). */
  readonly maxCachedPerPartition?: number;
  /** Wall clock (tests pass their own). */
  readonly now?: () => number;
}

/** A cached series: its state and the detector that owns it. */
export interface CachedSeries {
  readonly state: SeriesState<unknown>;
  readonly detector: Detector<unknown>;
}

interface CacheEntry extends CachedSeries {
  /** Wall clock of the last write (or of the load, for a series not yet written). */
  writtenAt: number;
  /** Loaded from the legacy hash: its field is deleted by the next commit. */
  legacy: boolean;
  /** The load that last used it: the current batch's entries are never evicted. */
  usedBy: number;
}

interface PartitionCache {
  epoch: string;
  /** In order of last use, least recent first. */
  readonly states: Map<string, CacheEntry>;
}

export class StateStore {
  readonly #redis: Redis;
  readonly #layout: KeyLayout;
  readonly #detectorOf: (meta: SeriesMeta) => Detector<unknown>;
  readonly #ttlMs: number;
  readonly #maxCached: number;
  readonly #now: () => number;
  readonly #cache = new Map<number, PartitionCache>();
  /** Partitions whose legacy hash is known to be gone (it is never written again). */
  readonly #legacyGone = new Set<number>();
  #loads = 0;
  #expired = 0;

  constructor(
    redis: Redis,
    layout: KeyLayout,
    detectorOf: (meta: SeriesMeta) => Detector<unknown>,
    opts: StateStoreOptions = {},
  ) {
    this.#redis = redis;
    this.#layout = layout;
    this.#detectorOf = detectorOf;
    this.#ttlMs = opts.ttlMs ?? 0;
    this.#maxCached = opts.maxCachedPerPartition ?? MAX_CACHED_PER_PARTITION;
    this.#now = opts.now ?? Date.now;
  }

  /** The Redis key of a series' state. */
  stateKey = (p: number, series: string): string =>
    `${this.#layout.samples(p)}:detect:s:${p}:${series}`;
  epochKey = (p: number): string => `${this.#layout.samples(p)}:detect:epoch:${p}`;
  /** The partition's state hash of the earlier layout (read, never written). */
  legacyStateKey = (p: number): string => `${this.#layout.samples(p)}:detect:state:${p}`;
  /**
   * The counters partition `p` adds to: one hash for all partitions on a single Redis, one per
   * partition on a cluster (the commit script touches it with the partition's keys).
   */
  statsKey = (p: number): string => statsKeyUnder(this.#layout.samples(p));

  /** Series states held in this process's cache. */
  get cached(): number {
    let n = 0;
    for (const c of this.#cache.values()) n += c.states.size;
    return n;
  }

  /** Cached series dropped because they were idle past the TTL, since the last call. */
  takeExpired(): number {
    const n = this.#expired;
    this.#expired = 0;
    return n;
  }

  /** States of `series` in partition `p`, from the cache when its epoch is current. */
  async load(
    p: number,
    series: readonly SeriesMeta[],
  ): Promise<{ epoch: string; states: Map<string, CachedSeries> }> {
    const epoch = (await this.#redis.get(this.epochKey(p))) ?? '';
    let cache = this.#cache.get(p);
    if (cache?.epoch !== epoch) {
      cache = { epoch, states: new Map() };
      this.#cache.set(p, cache);
    }
    const now = this.#now();
    const load = ++this.#loads;
    const missing: SeriesMeta[] = [];
    for (const meta of series) {
      const e = cache.states.get(meta.key);
      if (e === undefined) {
        missing.push(meta);
        continue;
      }
      cache.states.delete(meta.key);
      if (this.#idle(e, now)) {
        // Its Redis key has expired too (or soon will): read it again, and learn afresh.
        this.#expired += 1;
        missing.push(meta);
        continue;
      }
      e.usedBy = load;
      cache.states.set(meta.key, e);
    }
    if (missing.length > 0) await this.#read(p, cache, missing, now, load);
    this.#evict(cache, now, load);
    return { epoch, states: cache.states };
  }

  async #read(
    p: number,
    cache: PartitionCache,
    missing: readonly SeriesMeta[],
    now: number,
    load: number,
  ): Promise<void> {
    const legacy = !this.#legacyGone.has(p);
    const pipe = this.#redis.pipeline();
    pipe.mgetBuffer(...missing.map((m) => this.stateKey(p, m.key)));
    if (legacy) {
      pipe.exists(this.legacyStateKey(p));
      pipe.hmgetBuffer(this.legacyStateKey(p), ...missing.map((m) => m.key));
    }
    const replies = (await pipe.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const stored = (replies[0]?.[1] ?? []) as (Buffer | null)[];
    const old = (replies[2]?.[1] ?? []) as (Buffer | null)[];
    if (legacy && replies[1]?.[1] === 0) this.#legacyGone.add(p);
    missing.forEach((meta, i) => {
      const detector = this.#detectorOf(meta);
      const bytes = stored[i] ?? null;
      const oldBytes = bytes === null ? (old[i] ?? null) : null;
      const raw = bytes ?? oldBytes;
      const decoded = raw === null ? undefined : decodeSeriesState(detector, raw);
      cache.states.set(meta.key, {
        state: decoded ?? createSeriesState(detector),
        detector,
        writtenAt: now,
        legacy: oldBytes !== null,
        usedBy: load,
      });
    });
  }

  /** Drops the least recently used series past the size bound, and idle ones at the front. */
  #evict(cache: PartitionCache, now: number, load: number): void {
    for (const [key, e] of cache.states) {
      if (e.usedBy === load) return;
      const idle = this.#idle(e, now);
      if (!idle && cache.states.size <= this.#maxCached) return;
      cache.states.delete(key);
      if (idle) this.#expired += 1;
    }
  }

  #idle(e: CacheEntry, now: number): boolean {
    return this.#ttlMs > 0 && now - e.writtenAt > this.#ttlMs;
  }

  /** Drops idle cached series of every partition (a timer calls it, for partitions gone quiet). */
  sweep(): void {
    const now = this.#now();
    for (const cache of this.#cache.values()) this.#evict(cache, now, -1);
  }

  /** Writes the states of `touched` keys and adds `stats`, fenced on `epoch`. */
  async commit(
    p: number,
    epoch: string,
    states: Map<string, CachedSeries>,
    touched: Iterable<string>,
    stats: Readonly<Record<string, number>>,
  ): Promise<void> {
    const next = newEpoch();
    const keys = [this.epochKey(p), this.statsKey(p), this.legacyStateKey(p)];
    const values: Buffer[] = [];
    const legacyFields: string[] = [];
    const written: CacheEntry[] = [];
    for (const key of touched) {
      const s = states.get(key) as CacheEntry | undefined;
      if (!s) continue;
      keys.push(this.stateKey(p, key));
      values.push(encodeSeriesState(s.detector, s.state));
      if (s.legacy) legacyFields.push(key);
      written.push(s);
    }
    const args: (string | Buffer | number)[] = [epoch, next, this.#ttlMs, legacyFields.length];
    args.push(...values, ...legacyFields);
    for (const [name, inc] of Object.entries(stats)) if (inc !== 0) args.push(name, inc);
    const result = (await this.#redis.eval(COMMIT_LUA, keys.length, ...keys, ...args)) as number;
    if (result === -1) {
      this.#cache.delete(p);
      throw new StaleEpochError(`partition ${p} state moved on since it was loaded; retrying`);
    }
    const now = this.#now();
    for (const s of written) {
      s.writtenAt = now;
      s.legacy = false;
    }
    const cache = this.#cache.get(p);
    if (cache) cache.epoch = next;
  }

  /** Drops cached states whose commit did not happen (the job will be retried). */
  invalidate(p: number): void {
    this.#cache.delete(p);
  }

  /** Totals of the stats hashes (taken, not_newer, invalid, counter_primed). */
  async stats(): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    for (const prefix of this.#layout.allOf('samples')) {
      const raw = await this.#redis.hgetall(statsKeyUnder(prefix));
      for (const [k, v] of Object.entries(raw)) totals[k] = (totals[k] ?? 0) + Number(v);
    }
    return totals;
  }
}
