/**
 * The latest score of every series, kept in Redis so that every process's /metrics shows the
 * same bounded view whichever process scored the series: the top N by score plus every series
 * at or above a minimum score, and nothing not scored within `staleAfterMs`. Beside the
 * series, when each service was last scored (`<prefix>:scores:services`, service → ms): the
 * status side reads only the most anomalous series, and this says a service none of whose
 * series is among them is still scored. Reads need Redis 6.2+ (ZMSCORE).
 */
import type { ChainableCommander, Redis } from 'ioredis';
import type { LatestScore } from './score-batch.js';
import { scoredServicesKey } from '../queues/service-since.js';

export interface BoardEntry {
  readonly key: string;
  readonly service: string;
  readonly metric: string;
  readonly score: number;
  readonly value: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly learning: boolean;
  readonly ts: number;
}

/**
 * KEYS[1] seen, KEYS[2] scores, KEYS[3] meta; ARGV[1] before (ms), ARGV[2] limit.
 * Removes at most `limit` series last seen at or before `before`; returns how many. In one
 * script, so a series scored meanwhile is not removed with its fresh entry.
 */
const PRUNE_LUA = `
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, s in ipairs(stale) do
  redis.call('ZREM', KEYS[1], s)
  redis.call('ZREM', KEYS[2], s)
  redis.call('HDEL', KEYS[3], s)
end
return #stale
`;

/** Upper bound on series exported by the min-score rule, whatever the config says. */
const MAX_EXPORT = 10_000;
/** The most series `all` reads: the most anomalous this many. */
export const BOARD_READ_LIMIT = MAX_EXPORT;

/**
 * A board entry as stored (JSON without its key, which is the hash field; entries written by
 * earlier versions carry it too). A corrupt entry is skipped: it is rewritten the next time its
 * series is scored.
 */
function parseEntry(key: string, raw: string | null): BoardEntry | undefined {
  if (raw === null) return undefined;
  try {
    const parsed = JSON.parse(raw) as Omit<BoardEntry, 'key'>;
    return { ...parsed, key };
  } catch {
    return undefined;
  }
}

export class ScoreBoard {
  readonly #redis: Redis;
  readonly #scores: string;
  readonly #seen: string;
  readonly #meta: string;
  readonly #services: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#scores = `${prefix}:scores`;
    this.#seen = `${prefix}:scores:seen`;
    this.#meta = `${prefix}:scores:meta`;
    this.#services = scoredServicesKey(prefix);
  }

  /**
   * Adds the latest scores of a batch to a pipeline: four commands, whatever the series count
   * (the fourth records when each service of the batch was last scored, `services`).
   */
  record(pipe: ChainableCommander, latest: Iterable<LatestScore>, nowMs: number): void {
    const scores: (string | number)[] = [];
    const seen: (string | number)[] = [];
    const meta: string[] = [];
    const services = new Set<string>();
    for (const l of latest) {
      services.add(l.series.service);
      // The key is the hash field: not repeated in the entry (a series key is most of it).
      const entry: Omit<BoardEntry, 'key'> = {
        service: l.series.service,
        metric: l.series.metric,
        score: l.score,
        value: l.value,
        expected: l.expected,
        lower: l.lower,
        upper: l.upper,
        learning: l.learning,
        ts: l.ts,
      };
      scores.push(l.score, l.series.key);
      seen.push(nowMs, l.series.key);
      meta.push(l.series.key, JSON.stringify(entry));
    }
    if (meta.length === 0) return;
    pipe.zadd(this.#scores, ...scores);
    pipe.zadd(this.#seen, ...seen);
    pipe.hset(this.#meta, ...meta);
    pipe.hset(this.#services, ...[...services].flatMap((service) => [service, nowMs]));
  }

  /**
   * Each service scored within `staleAfterMs` of `nowMs` (wall clock), and when it last was:
   * whether or not any of its series is among the most anomalous that `all` reads.
   */
  async services(opts: { staleAfterMs: number; nowMs: number }): Promise<Map<string, number>> {
    const all = await this.#redis.hgetall(this.#services);
    const freshFrom = opts.nowMs - opts.staleAfterMs;
    const out = new Map<string, number>();
    for (const [service, at] of Object.entries(all)) {
      const ms = Number(at);
      if (ms > freshFrom) out.set(service, ms);
    }
    return out;
  }

  /** The latest entries of the given series (those still on the board). */
  async latest(keys: readonly string[]): Promise<BoardEntry[]> {
    if (keys.length === 0) return [];
    const metas = await this.#redis.hmget(this.#meta, ...keys);
    return metas.flatMap((m, i) => {
      const entry = parseEntry(keys[i] ?? '', m);
      return entry ? [entry] : [];
    });
  }

  /**
   * Every series scored within `staleAfterMs` of `nowMs` (wall clock), the highest scores first,
   * for the status page's health of each service. Bounded: at most `limit` series (default
   * 10,000), the highest-scoring ones, so a read costs the same past that many series however
   * large the board grows; a service none of whose series make the cut shows no signals
   * (`services` still says it was scored). It only reads: `read` removes the stale series.
   */
  async all(opts: {
    staleAfterMs: number;
    nowMs: number;
    limit?: number | undefined;
  }): Promise<BoardEntry[]> {
    const limit = Math.max(1, Math.min(opts.limit ?? BOARD_READ_LIMIT, BOARD_READ_LIMIT));
    const keys = await this.#redis.zrevrange(this.#scores, 0, limit - 1);
    if (keys.length === 0) return [];
    const [seenReply, metaReply] =
      (await this.#redis
        .pipeline()
        .zmscore(this.#seen, ...keys)
        .hmget(this.#meta, ...keys)
        .exec()) ?? [];
    if (seenReply?.[0]) throw seenReply[0];
    if (metaReply?.[0]) throw metaReply[0];
    const seen = (seenReply?.[1] ?? []) as (string | null)[];
    const metas = (metaReply?.[1] ?? []) as (string | null)[];
    const freshFrom = opts.nowMs - opts.staleAfterMs;
    const entries: BoardEntry[] = [];
    metas.forEach((m, i) => {
      const at = seen[i];
      if (at === null || at === undefined || Number(at) <= freshFrom) return;
      const entry = parseEntry(keys[i] ?? '', m);
      if (entry) entries.push(entry);
    });
    return entries;
  }

  /** Forgets the services not scored since `before` (one HSCAN pass, a page at a time). */
  async #dropStaleServices(before: number): Promise<void> {
    let cursor = '0';
    do {
      const [next, flat] = await this.#redis.hscan(this.#services, cursor, 'COUNT', 1000);
      cursor = next;
      const stale: string[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        if (Number(flat[i + 1]) <= before) stale.push(flat[i] ?? '');
      }
      if (stale.length > 0) await this.#redis.hdel(this.#services, ...stale);
    } while (cursor !== '0');
  }

  /**
   * Removes the series not scored since `before` (wall clock ms), at most `limit` of them, and
   * the services not scored since then: the periodic cleanup of `detect.state_ttl_ms`
   * (series-lifecycle.ts), for a board nobody reads. Returns the series removed.
   */
  async prune(before: number, limit: number): Promise<number> {
    let removed = 0;
    while (removed < limit) {
      const page = Math.min(1000, limit - removed);
      const n = (await this.#redis.eval(
        PRUNE_LUA,
        3,
        this.#seen,
        this.#scores,
        this.#meta,
        before,
        page,
      )) as number;
      removed += n;
      if (n < page) break;
    }
    await this.#dropStaleServices(before);
    return removed;
  }

  async #remove(series: readonly string[]): Promise<void> {
    await this.#redis
      .multi()
      .zrem(this.#scores, ...series)
      .zrem(this.#seen, ...series)
      .hdel(this.#meta, ...series)
      .exec();
  }

  /** The exported view; removes series (and services) that went stale. */
  async read(opts: {
    topN: number;
    minScore: number;
    staleAfterMs: number;
    nowMs: number;
  }): Promise<BoardEntry[]> {
    const stale = await this.#redis.zrangebyscore(
      this.#seen,
      '-inf',
      opts.nowMs - opts.staleAfterMs,
      'LIMIT',
      0,
      10_000,
    );
    if (stale.length > 0) await this.#remove(stale);
    await this.#dropStaleServices(opts.nowMs - opts.staleAfterMs);
    const [top, above] = await Promise.all([
      opts.topN > 0 ? this.#redis.zrevrange(this.#scores, 0, opts.topN - 1) : Promise.resolve([]),
      this.#redis.zrevrangebyscore(this.#scores, '+inf', opts.minScore, 'LIMIT', 0, MAX_EXPORT),
    ]);
    const keys = [...new Set([...top, ...above])];
    if (keys.length === 0) return [];
    const metas = await this.#redis.hmget(this.#meta, ...keys);
    const entries: BoardEntry[] = [];
    metas.forEach((m, i) => {
      const entry = parseEntry(keys[i] ?? '', m);
      if (entry) entries.push(entry);
    });
    return entries;
  }
}
