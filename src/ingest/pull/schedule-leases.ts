/**
 * Which pull schedules some running process still has configured. Every process renews a lease
 * (`<prefix>:pull:leases`, a hash of scheduler id → Redis time in ms) on each schedule of its
 * own configuration, at start and then periodically. A schedule outside a process's own
 * configuration is removed only once nobody has renewed it for the lease time. During a rolling
 * deploy that changes the pull configuration, old and new processes therefore keep each other's
 * schedules until the old ones stop, instead of removing them at every start.
 *
 * A schedule with no lease at all (created before leases existed, or its lease was pruned)
 * gets one when it is first seen, so it is removed one lease time later unless a process
 * renews it. Redis' clock is the only clock, so clock skew between hosts does not matter.
 */
import type { Redis } from 'ioredis';

/**
 * KEYS[1] the lease hash; ARGV[1] lease ms; ARGV[2] how many own ids follow; then the own ids,
 * then the ids of the other schedulers that exist. Renews the own ones, gives a lease to others
 * seen for the first time, drops fields of schedulers that no longer exist, and returns (and
 * forgets) the other ids whose lease ran out.
 */
const SWEEP = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local own = tonumber(ARGV[2])
local live = {}
for i = 3, 2 + own do
  redis.call('HSET', KEYS[1], ARGV[i], now)
  live[ARGV[i]] = true
end
local expired = {}
for i = 3 + own, #ARGV do
  local seen = tonumber(redis.call('HGET', KEYS[1], ARGV[i]))
  if seen == nil then
    redis.call('HSET', KEYS[1], ARGV[i], now)
    live[ARGV[i]] = true
  elseif now - seen > ttl then
    redis.call('HDEL', KEYS[1], ARGV[i])
    table.insert(expired, ARGV[i])
  else
    live[ARGV[i]] = true
  end
end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if not live[field] then redis.call('HDEL', KEYS[1], field) end
end
return expired`;

/** KEYS[1] the lease hash; ARGV the ids to renew at Redis' time now. */
const RENEW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], now) end
return #ARGV`;

export class ScheduleLeases {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #leaseMs: number;

  constructor(redis: Redis, prefix: string, leaseMs: number) {
    this.#redis = redis;
    this.#key = `${prefix}:pull:leases`;
    this.#leaseMs = leaseMs;
  }

  /** Renews the leases of `ids` (before they are scheduled at start). */
  async renew(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#redis.eval(RENEW, 1, this.#key, ...ids);
  }

  /**
   * Renews the leases of `own` and returns those of `existing` (every scheduler now in Redis)
   * that are not ours and whose lease ran out: no running process has them configured.
   */
  async sweep(own: readonly string[], existing: readonly string[]): Promise<string[]> {
    const mine = new Set(own);
    const others = existing.filter((id) => !mine.has(id));
    const expired = (await this.#redis.eval(
      SWEEP,
      1,
      this.#key,
      String(this.#leaseMs),
      String(own.length),
      ...own,
      ...others,
    )) as string[];
    return expired;
  }
}
