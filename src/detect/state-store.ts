/**
 * Detector state per partition in Redis (one hash of compact binary states), cached in the
 * worker. A partition epoch, a new random token at every commit, tells a worker whether its cache is still
 * current; the commit itself is fenced on the epoch the worker loaded, so a worker holding a
 * stale view (a stalled job taken over by another process) fails its commit and retries
 * instead of overwriting newer state.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Detector } from '../../detectors/contract.js';
import type { SeriesMeta } from '../queues/contract.js';
import {
  createSeriesState,
  decodeSeriesState,
  encodeSeriesState,
  type SeriesState,
} from './series-state.js';

/**
 * KEYS[1] epoch, KEYS[2] state hash, KEYS[3] stats hash
 * ARGV[1] expected epoch ('' when none), ARGV[2] new epoch, ARGV[3] number of states n,
 *   then n (field, value) pairs, then (stat name, increment) pairs
 * Returns 1, or -1 when the epoch moved (nothing written).
 */
const COMMIT_LUA = `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return -1 end
local n = tonumber(ARGV[3])
local i = 4
for _ = 1, n do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

export class StaleEpochError extends Error {
  override name = 'StaleEpochError';
}

/**
 * Epochs are random tokens, not counters: after Redis lost its data a counter would restart and
 * could match a stale cache; a fresh random token cannot.
 */
export const newEpoch = (): string => randomBytes(8).toString('hex');

/** Cached series states per partition at most; past it the partition's cache starts afresh. */
const MAX_CACHED_PER_PARTITION = 50_000;

interface PartitionCache {
  epoch: string;
  readonly states: Map<string, CachedSeries>;
}

/** A cached series: its state and the detector that owns it. */
export interface CachedSeries {
  readonly state: SeriesState<unknown>;
  readonly detector: Detector<unknown>;
}

export class StateStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #detectorOf: (meta: SeriesMeta) => Detector<unknown>;
  readonly #cache = new Map<number, PartitionCache>();

  constructor(redis: Redis, prefix: string, detectorOf: (meta: SeriesMeta) => Detector<unknown>) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#detectorOf = detectorOf;
  }

  stateKey = (p: number): string => `${this.#prefix}:detect:state:${p}`;
  epochKey = (p: number): string => `${this.#prefix}:detect:epoch:${p}`;
  get statsKey(): string {
    return `${this.#prefix}:detect:stats`;
  }

  /** States of `series` in partition `p`, from the cache when its epoch is current. */
  async load(
    p: number,
    series: readonly SeriesMeta[],
  ): Promise<{ epoch: string; states: Map<string, CachedSeries> }> {
    const epoch = (await this.#redis.get(this.epochKey(p))) ?? '';
    let cache = this.#cache.get(p);
    if (cache?.epoch !== epoch || cache.states.size > MAX_CACHED_PER_PARTITION) {
      cache = { epoch, states: new Map() };
      this.#cache.set(p, cache);
    }
    const missing = series.filter((m) => !cache.states.has(m.key));
    if (missing.length > 0) {
      const stored = await this.#redis.hmgetBuffer(this.stateKey(p), ...missing.map((m) => m.key));
      missing.forEach((meta, i) => {
        const bytes = stored[i];
        const detector = this.#detectorOf(meta);
        const state = (bytes && decodeSeriesState(detector, bytes)) ?? createSeriesState(detector);
        cache.states.set(meta.key, { state, detector });
      });
    }
    return { epoch, states: cache.states };
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
    const args: (string | Buffer | number)[] = [epoch, next, 0];
    let n = 0;
    for (const key of touched) {
      const s = states.get(key);
      if (!s) continue;
      args.push(key, encodeSeriesState(s.detector, s.state));
      n += 1;
    }
    args[2] = n;
    for (const [name, inc] of Object.entries(stats)) if (inc !== 0) args.push(name, inc);
    const result = (await this.#redis.eval(
      COMMIT_LUA,
      3,
      this.epochKey(p),
      this.stateKey(p),
      this.statsKey,
      ...args,
    )) as number;
    if (result === -1) {
      this.#cache.delete(p);
      throw new StaleEpochError(`partition ${p} state moved on since it was loaded; retrying`);
    }
    const cache = this.#cache.get(p);
    if (cache) cache.epoch = next;
  }

  /** Drops cached states whose commit did not happen (the job will be retried). */
  invalidate(p: number): void {
    this.#cache.delete(p);
  }

  /** Totals of the stats hash (taken, not_newer, invalid, counter_primed). */
  async stats(): Promise<Record<string, number>> {
    const raw = await this.#redis.hgetall(this.statsKey);
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }
}
