/**
 * Log state per partition in Redis: one hash of service states (the miner, the open bucket),
 * one hash of the detector states of the log series, the active-template count per service,
 * and a done-marker per job. Cached in the worker under a partition epoch that every commit
 * replaces; a commit is fenced on the epoch the worker loaded (as the detect stage's store),
 * so a worker with a stale view fails its commit instead of overwriting newer state.
 */
import type { Redis } from 'ioredis';
import type { LogOutcome } from './log-outcome.js';
import {
  createServiceLogState,
  type LogAnalysisSettings,
  type ServiceLogState,
} from './log-service-state.js';
import {
  encodeLogSeries,
  encodeServiceLogState,
  parseServiceLogState,
  restoreServiceLogState,
  seriesKeys,
} from './log-state-codec.js';
import { newEpoch, StaleEpochError } from '../detect/state-store.js';
import type { KeyLayout } from '../queues/key-layout.js';

/**
 * KEYS: epoch, service hash, series hash, active-templates hash, done marker
 * ARGV: expected epoch, new epoch, done ttl ms, n services, n series, n dropped, then
 *   n (service, state) pairs, n (series key, state) pairs, n dropped keys,
 *   n (service, active templates) pairs
 */
const COMMIT_LUA = `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return -1 end
local ns, nx, nd = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local i = 7
for _ = 1, ns do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for _ = 1, nx do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for _ = 1, nd do
  redis.call('HDEL', KEYS[3], ARGV[i])
  i = i + 1
end
for _ = 1, ns do
  redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[5], '1', 'PX', ARGV[3])
return 1
`;

/**
 * A job marked done is skipped when it runs again (a redelivery after its commit: a stalled
 * job, a retry). Those come within minutes; an hour bounds the markers kept.
 */
const activeKeyUnder = (prefix: string): string => `${prefix}:logs:templates_active`;

const DONE_TTL_MS = 3_600_000;
const MAX_CACHED_SERVICES = 10_000;

interface PartitionCache {
  epoch: string;
  readonly services: Map<string, ServiceLogState>;
}

export class LogStateStore {
  readonly #redis: Redis;
  readonly #layout: KeyLayout;
  readonly settings: LogAnalysisSettings;
  readonly #cache = new Map<number, PartitionCache>();

  constructor(redis: Redis, layout: KeyLayout, settings: LogAnalysisSettings) {
    this.#redis = redis;
    this.#layout = layout;
    this.settings = settings;
  }

  epochKey = (p: number): string => `${this.#layout.logs(p)}:logs:epoch:${p}`;
  stateKey = (p: number): string => `${this.#layout.logs(p)}:logs:state:${p}`;
  seriesKey = (p: number): string => `${this.#layout.logs(p)}:logs:series:${p}`;
  /** Job ids are unique per queue only: the marker names the partition too. */
  doneKey = (p: number, jobId: string): string => `${this.#layout.logs(p)}:logs:done:${p}:${jobId}`;
  /**
   * Active templates per service, written by partition `p`'s commits: one hash for all
   * partitions on a single Redis, one per partition on a cluster (a service has one partition).
   */
  activeKey = (p: number): string => activeKeyUnder(this.#layout.logs(p));

  /** True when the job with this id on partition `p`'s queue already committed. */
  async done(p: number, jobId: string): Promise<boolean> {
    return (await this.#redis.exists(this.doneKey(p, jobId))) === 1;
  }

  /** The states of `services` in partition `p`, from the cache when its epoch is current. */
  async load(
    p: number,
    services: readonly string[],
  ): Promise<{ epoch: string; states: Map<string, ServiceLogState> }> {
    const epoch = (await this.#redis.get(this.epochKey(p))) ?? '';
    let cache = this.#cache.get(p);
    if (cache?.epoch !== epoch || cache.services.size > MAX_CACHED_SERVICES) {
      cache = { epoch, services: new Map() };
      this.#cache.set(p, cache);
    }
    const missing = services.filter((s) => !cache.services.has(s));
    if (missing.length > 0) {
      const stored = await this.#redis.hmgetBuffer(this.stateKey(p), ...missing);
      for (const [i, service] of missing.entries()) {
        const bytes = stored[i];
        const raw = bytes ? parseServiceLogState(bytes) : undefined;
        let state: ServiceLogState | undefined;
        if (raw?.service === service) {
          const keys = seriesKeys(raw);
          const series =
            keys.length > 0 ? await this.#redis.hmgetBuffer(this.seriesKey(p), ...keys) : [];
          state = restoreServiceLogState(raw, series, this.settings);
        }
        cache.services.set(service, state ?? createServiceLogState(service, this.settings));
      }
    }
    return { epoch, states: cache.services };
  }

  /** Writes what `out` touched, fenced on `epoch`, and marks the job done. */
  async commit(
    p: number,
    epoch: string,
    states: Map<string, ServiceLogState>,
    out: LogOutcome,
    jobId: string,
  ): Promise<void> {
    const next = newEpoch();
    const services: [string, Buffer][] = [];
    const active: [string, number][] = [];
    for (const service of out.touched) {
      const s = states.get(service);
      if (!s) continue;
      services.push([service, encodeServiceLogState(s)]);
      active.push([service, s.miner.size]);
    }
    const series: [string, Buffer][] = [];
    for (const [service, ids] of out.touchedSeries) {
      const s = states.get(service);
      if (s) series.push(...encodeLogSeries(s, ids));
    }
    const args: (string | Buffer | number)[] = [
      epoch,
      next,
      DONE_TTL_MS,
      services.length,
      series.length,
      out.droppedSeries.length,
      ...services.flat(),
      ...series.flat(),
      ...out.droppedSeries,
      ...active.flat(),
    ];
    const result = (await this.#redis.eval(
      COMMIT_LUA,
      5,
      this.epochKey(p),
      this.stateKey(p),
      this.seriesKey(p),
      this.activeKey(p),
      this.doneKey(p, jobId),
      ...args,
    )) as number;
    if (result === -1) {
      this.#cache.delete(p);
      throw new StaleEpochError(`log partition ${p} state moved on since it was loaded; retrying`);
    }
    const cache = this.#cache.get(p);
    if (cache) cache.epoch = next;
  }

  /** Drops a partition's cached states (its job failed before committing). */
  invalidate(p: number): void {
    this.#cache.delete(p);
  }

  /** Active templates per service (for /metrics). */
  async activeTemplates(): Promise<Map<string, number>> {
    const active = new Map<string, number>();
    for (const prefix of this.#layout.allOf('logs')) {
      const raw = await this.#redis.hgetall(activeKeyUnder(prefix));
      for (const [k, v] of Object.entries(raw)) active.set(k, Number(v));
    }
    return active;
  }
}
