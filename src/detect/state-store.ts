/**
 * Detector state in Redis, one string key of compact binary state per series
 * (`<prefix>:detect:s:<partition>:<series>`, the prefix of the partition's slot on a Redis
 * Cluster, key-layout.ts), cached in the worker. A partition epoch, a new
 * random token at every commit, tells a worker whether its cache is still current; the commit
 * itself is fenced on the epoch the worker loaded, so a worker holding a stale view (a stalled
 * job taken over by another process) fails its commit and retries instead of overwriting newer
 * state.
 *
 * Write-behind (`checkpointMs`, `detect.checkpoint_ms`): a batch's commit always adds its
 * counters and moves the epoch, but writes a series' state only when its last write is at least
 * `checkpointMs` old; the rest stay dirty in the cache, and `checkpoint()` (a timer, the handover
 * of a partition, the shutdown) writes them. This is safe because a partition is scored by the
 * process that leases it (partition-leases.ts): the cache is the truth, Redis its checkpoint. A
 * process that dies loses at most `checkpointMs` of its series' learning, never a count: the
 * commit records the job's id, so a batch run again after its commit is not counted twice. Every
 * write, checkpoints included, is fenced on the epoch, so a process that lost its lease (frozen,
 * cut off) cannot overwrite what the new holder wrote; its dirty states are then dropped
 * (`aiops_series_state_dropped_total`). `checkpointMs` 0 writes every touched state each batch.
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
 * KEYS[1] epoch, KEYS[2] stats hash, KEYS[3] the partition's legacy state hash, KEYS[4] the
 *   partition's committed job ids (sorted set, by time), then one state key per state written
 * ARGV[1] expected epoch ('' when none), ARGV[2] new epoch, ARGV[3] TTL in ms (0: none),
 *   ARGV[4] number of legacy fields m, ARGV[5] the job id ('' for a checkpoint), ARGV[6]
 *   unused, ARGV[7] how long job ids are remembered (ms, on Redis's clock), then the #KEYS - 4 states, then the m
 *   legacy fields to delete, then (stat name, increment) pairs
 * Returns 1, 2 when the job had committed before (states written, counters not added again),
 * or -1 when the epoch moved (nothing written).
 */
const COMMIT_LUA = `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return -1 end
local counted = true
if ARGV[5] ~= '' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local keep = tonumber(ARGV[7])
  if redis.call('ZSCORE', KEYS[4], ARGV[5]) then
    counted = false
  else
    redis.call('ZADD', KEYS[4], now, ARGV[5])
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - keep)
  redis.call('PEXPIRE', KEYS[4], keep)
end
local ttl = tonumber(ARGV[3])
local i = 8
for k = 5, #KEYS do
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
if counted then
  while i <= #ARGV do
    redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
    i = i + 2
  end
end
redis.call('SET', KEYS[1], ARGV[2])
if counted then return 1 end
return 2
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
/**
 * How long a committed job's id is remembered: longer than a dead process's batch waits to be
 * run again (its lock, 30 s, plus a stalled check, every 30 s), so its counts are not added twice.
 */
const COMMITTED_KEEP_MS = 10 * 60_000;
/** States written by one checkpoint script at most (a few MB: Redis stays responsive). */
const CHECKPOINT_CHUNK = 1000;

export interface StateStoreOptions {
  /** A state expires this long after its last write (ms, wall clock); 0 never (the default). */
  readonly ttlMs?: number;
  /** Series cached per partition at most; the least recently used go first (default 50,000). */
  readonly maxCachedPerPartition?: number;
  /**
   * A series' state is written at most this often (ms, `detect.checkpoint_ms`); in between it
   * changes in the cache only, and `checkpoint()` writes it. 0 (the default) writes every
   * touched state with its batch.
   */
  readonly checkpointMs?: number;
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
  /** Changed since its last write: only a checkpoint may drop it from the cache. */
  dirty: boolean;
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
  readonly #checkpointMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<number, PartitionCache>();
  /** Per partition, the tail of the chain of work that must not interleave (exclusive()). */
  readonly #turns = new Map<number, Promise<unknown>>();
  /** Partitions whose legacy hash is known to be gone (it is never written again). */
  readonly #legacyGone = new Set<number>();
  #loads = 0;
  #expired = 0;
  #dropped = 0;

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
    // A dirty state must be written before its key's TTL runs out.
    const checkpointMs = opts.checkpointMs ?? 0;
    this.#checkpointMs = this.#ttlMs > 0 ? Math.min(checkpointMs, this.#ttlMs / 2) : checkpointMs;
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
  /** The ids of partition `p`'s jobs committed in the last minutes (counted once). */
  committedKey = (p: number): string => `${this.#layout.samples(p)}:detect:committed:${p}`;

  /** States written at most this often (ms); 0: every batch. */
  get checkpointMs(): number {
    return this.#checkpointMs;
  }

  /**
   * Runs `fn` once the partition's earlier exclusive work is done: a batch (load, score, commit)
   * and a checkpoint of the same partition must not interleave, or the checkpoint would move
   * the epoch under the batch.
   */
  exclusive<T>(p: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.#turns.get(p) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#turns.set(p, tail);
    void tail.then(() => {
      if (this.#turns.get(p) === tail) this.#turns.delete(p);
    });
    return run;
  }

  /** Series states held in this process's cache. */
  get cached(): number {
    let n = 0;
    for (const c of this.#cache.values()) n += c.states.size;
    return n;
  }

  /** Cached states changed since their last write (what a crash would lose). */
  get unsaved(): number {
    let n = 0;
    for (const c of this.#cache.values()) for (const e of c.states.values()) if (e.dirty) n += 1;
    return n;
  }

  /**
   * Series whose unsaved learning was dropped, since the last call: another writer moved the
   * partition on (this process had lost its lease), or a batch failed after scoring.
   */
  takeDropped(): number {
    const n = this.#dropped;
    this.#dropped = 0;
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
      if (cache) this.#drop(cache);
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
        dirty: false,
      });
    });
  }

  /** Drops the least recently used series past the size bound, and idle ones at the front. */
  #evict(cache: PartitionCache, now: number, load: number): void {
    for (const [key, e] of cache.states) {
      if (e.usedBy === load) return;
      // Written by the next checkpoint, then evictable.
      if (e.dirty) continue;
      const idle = this.#idle(e, now);
      if (!idle && cache.states.size <= this.#maxCached) return;
      cache.states.delete(key);
      if (idle) this.#expired += 1;
    }
  }

  /** Not written for the TTL and nothing unsaved (a dirty state is in use: it is written). */
  #idle(e: CacheEntry, now: number): boolean {
    return !e.dirty && this.#ttlMs > 0 && now - e.writtenAt > this.#ttlMs;
  }

  /** Drops idle cached series of every partition (a timer calls it, for partitions gone quiet). */
  sweep(): void {
    const now = this.#now();
    for (const cache of this.#cache.values()) this.#evict(cache, now, -1);
  }

  /**
   * Adds `stats` (once per `jobId`) and writes the states of `touched` keys that are due (all of
   * them without write-behind), fenced on `epoch`; the others stay dirty in the cache.
   */
  async commit(
    p: number,
    epoch: string,
    states: Map<string, CachedSeries>,
    touched: Iterable<string>,
    stats: Readonly<Record<string, number>>,
    jobId = '',
  ): Promise<void> {
    const now = this.#now();
    const due: CacheEntry[] = [];
    const keyOf = new Map<CacheEntry, string>();
    for (const key of touched) {
      const s = states.get(key) as CacheEntry | undefined;
      if (!s) continue;
      s.dirty = true;
      if (now - s.writtenAt >= this.#checkpointMs) {
        due.push(s);
        keyOf.set(s, key);
      }
    }
    // Written through, a batch run again finds its samples not newer than the states: only
    // write-behind needs the job's id to count it once.
    await this.#write(p, epoch, due, keyOf, stats, this.#checkpointMs > 0 ? jobId : '', now);
  }

  /**
   * Forgets a job's id once the job is finished (it cannot run again), so the set holds only
   * the jobs between their commit and their end, and those a crash left (for 10 minutes).
   */
  async forgetCommitted(p: number, jobId: string): Promise<void> {
    if (this.#checkpointMs > 0) await this.#redis.zrem(this.committedKey(p), jobId);
  }

  /**
   * Writes partition `p`'s dirty states whose last write is at least `checkpointMs` old (all of
   * them with `all`), fenced on the cached epoch. Runs in the partition's turn (exclusive()).
   * Returns the states written; when the epoch moved (another writer), drops the cache instead.
   */
  checkpoint(p: number, all = false): Promise<number> {
    return this.exclusive(p, async () => {
      const cache = this.#cache.get(p);
      if (!cache) return 0;
      const now = this.#now();
      const due = new Map<CacheEntry, string>();
      for (const [key, e] of cache.states) {
        if (e.dirty && (all || now - e.writtenAt >= this.#checkpointMs)) due.set(e, key);
      }
      let written = 0;
      const entries = [...due.keys()];
      for (let i = 0; i < entries.length; i += CHECKPOINT_CHUNK) {
        const chunk = entries.slice(i, i + CHECKPOINT_CHUNK);
        try {
          await this.#write(p, cache.epoch, chunk, due, {}, '', now);
        } catch (err) {
          if (err instanceof StaleEpochError) return written;
          throw err;
        }
        written += chunk.length;
      }
      return written;
    });
  }

  /** Writes every dirty state of `p`, then forgets the partition (it is handed over). */
  async release(p: number): Promise<void> {
    try {
      await this.checkpoint(p, true);
    } finally {
      await this.exclusive(p, () => {
        this.invalidate(p);
        return Promise.resolve();
      });
    }
  }

  async #write(
    p: number,
    epoch: string,
    entries: readonly CacheEntry[],
    keyOf: ReadonlyMap<CacheEntry, string>,
    stats: Readonly<Record<string, number>>,
    jobId: string,
    now: number,
  ): Promise<void> {
    const next = newEpoch();
    const keys = [this.epochKey(p), this.statsKey(p), this.legacyStateKey(p), this.committedKey(p)];
    const values: Buffer[] = [];
    const legacyFields: string[] = [];
    for (const s of entries) {
      const key = keyOf.get(s);
      if (key === undefined) continue;
      keys.push(this.stateKey(p, key));
      values.push(encodeSeriesState(s.detector, s.state));
      if (s.legacy) legacyFields.push(key);
    }
    const args: (string | Buffer | number)[] = [
      epoch,
      next,
      this.#ttlMs,
      legacyFields.length,
      jobId,
      now,
      COMMITTED_KEEP_MS,
    ];
    args.push(...values, ...legacyFields);
    for (const [name, inc] of Object.entries(stats)) if (inc !== 0) args.push(name, inc);
    const result = (await this.#redis.eval(COMMIT_LUA, keys.length, ...keys, ...args)) as number;
    if (result === -1) {
      this.invalidate(p);
      throw new StaleEpochError(`partition ${p} state moved on since it was loaded; retrying`);
    }
    for (const s of entries) {
      if (!keyOf.has(s)) continue;
      s.writtenAt = now;
      s.legacy = false;
      s.dirty = false;
    }
    const cache = this.#cache.get(p);
    if (cache) cache.epoch = next;
  }

  /**
   * Drops the cached states of these series of `p` (a batch that changed them did not commit):
   * the next load reads them again; the partition's other states stay.
   */
  forget(p: number, keys: readonly string[]): void {
    const cache = this.#cache.get(p);
    if (!cache) return;
    for (const k of keys) {
      const e = cache.states.get(k);
      if (!e) continue;
      if (e.dirty) this.#dropped += 1;
      cache.states.delete(k);
    }
  }

  /** Drops every cached state of `p` (another writer moved it on, or it is handed over). */
  invalidate(p: number): void {
    const cache = this.#cache.get(p);
    if (cache) this.#drop(cache);
    this.#cache.delete(p);
  }

  #drop(cache: PartitionCache): void {
    for (const e of cache.states.values()) if (e.dirty) this.#dropped += 1;
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
