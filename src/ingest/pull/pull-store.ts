/**
 * What pull runs keep in Redis, under the deployment's prefix:
 * - `<prefix>:pull:watermark:<id>`: the end (ms) of the last range a query_range reader
 *   queued, so each run continues where the last stopped, whichever process ran it;
 * - `<prefix>:pull:lock:<id>`: held while a run of that query or target is going, so a run
 *   that finds the previous one still going skips instead of overlapping (any process).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { PullError } from './pull-error.js';

/** Deletes the lock only if it is still ours. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;
/**
 * Moves the watermark forward (never back) only while the lock is still ours: a run whose lock
 * expired cannot overwrite the progress of the run that took it over. 1 when written or
 * already past, 0 when the lock is lost.
 */
const ADVANCE = `if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local cur = tonumber(redis.call('get', KEYS[2]))
if cur == nil or tonumber(ARGV[2]) > cur then redis.call('set', KEYS[2], ARGV[2]) end
return 1`;
/** Extends the lock only if it is still ours. */
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;

export interface RunLock {
  /** Keeps the lock for another `ttlMs` (call before each long step); throws when it was lost. */
  extend(): Promise<void>;
  /** Moves `id`'s watermark forward to `ms` under this lock; throws when the lock was lost. */
  advance(id: string, ms: number): Promise<void>;
  release(): Promise<void>;
}

const lockLost = (key: string): PullError =>
  new PullError('lock_lost', `the run lock ${key} expired mid-run; another run may hold it`);

export class PullStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #key(kind: 'watermark' | 'lock', id: string): string {
    return `${this.#prefix}:pull:${kind}:${id}`;
  }

  async watermark(id: string): Promise<number | undefined> {
    const raw = await this.#redis.get(this.#key('watermark', id));
    const ms = raw === null ? Number.NaN : Number(raw);
    return Number.isFinite(ms) ? ms : undefined;
  }

  /** The run lock of `id`, or undefined when another run holds it. It expires after `ttlMs`. */
  async lock(id: string, ttlMs: number): Promise<RunLock | undefined> {
    const key = this.#key('lock', id);
    const token = randomUUID();
    const got = await this.#redis.set(key, token, 'PX', ttlMs, 'NX');
    if (got !== 'OK') return undefined;
    const redis = this.#redis;
    const watermarkKey = (source: string): string => this.#key('watermark', source);
    return {
      async extend() {
        if (Number(await redis.eval(EXTEND, 1, key, token, String(ttlMs))) === 0) {
          throw lockLost(key);
        }
      },
      async advance(source, ms) {
        const ok = await redis.eval(ADVANCE, 2, key, watermarkKey(source), token, String(ms));
        if (Number(ok) === 0) throw lockLost(key);
      },
      async release() {
        await redis.eval(RELEASE, 1, key, token);
      },
    };
  }
}
