/**
 * When each service was first seen (event time of its earliest record, metric or log), in one
 * Redis hash per deployment: ingest records it before it queues a service's first batch, the
 * correlator reads it to know which services are still learning (`correlate.learning_ms`: their
 * anomalies cannot open an incident), and the API and /metrics say until when.
 *
 * Each process remembers what it recorded, so a known service costs no Redis call; an earlier
 * time than the one known (a backfill) lowers it. The first write to a deployment without the
 * hash (an upgrade to a release that keeps it) enters every service the score board saw scored
 * as seen at time 0, so a running deployment does not start a learning day when it upgrades.
 * After Redis lost its data, `reassert` writes what this process knows again.
 */
import type { Redis } from 'ioredis';

/** More distinct services than this are not recorded (a mislabelled flood must not grow Redis). */
const MAX_SERVICES = 10_000;

/** The score board's hash of when each service was last scored (detect/score-board.ts). */
export const scoredServicesKey = (prefix: string): string => `${prefix}:scores:services`;

/**
 * KEYS[1] the hash, KEYS[2] the score board's services (one slot: the same prefix); ARGV
 * service, ts pairs: each field set unless it holds an earlier time (a field that is not a
 * number is replaced). When the hash does not exist, every service the score board holds is
 * entered first at 0: it was running before first-seen times were kept.
 */
const LOWER_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  for _, service in ipairs(redis.call('HKEYS', KEYS[2])) do
    redis.call('HSET', KEYS[1], service, '0')
  end
end
for i = 1, #ARGV, 2 do
  local held = tonumber(redis.call('HGET', KEYS[1], ARGV[i]))
  if not held or held > tonumber(ARGV[i + 1]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 0
`;

/** Keeps in `into` the earliest event time seen of `service`. */
export function noteEarliest(into: Map<string, number>, service: string, ts: number): void {
  if (!Number.isFinite(ts)) return;
  const held = into.get(service);
  if (held === undefined || ts < held) into.set(service, ts);
}

/** The earliest event time of each service among records, for `ServiceSince.record`. */
export function earliestByService(
  records: Iterable<{ readonly service: string; readonly ts: number }>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records) noteEarliest(out, r.service, r.ts);
  return out;
}

/**
 * Until when (event time, ms) a service first seen at `since` is learning, or undefined when it
 * is not learning at `at`: no record of it (it was seen before this was recorded, or Redis lost
 * it), or learning is off (`learningMs` 0).
 */
export function learningUntil(
  since: number | undefined,
  learningMs: number,
  at: number,
): number | undefined {
  if (since === undefined || learningMs <= 0) return undefined;
  const until = since + learningMs;
  return at < until ? until : undefined;
}

/** The services of `since` still learning at `at`, and until when. */
export function stillLearning(
  since: ReadonlyMap<string, number>,
  learningMs: number,
  at: number,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [service, ts] of since) {
    const until = learningUntil(ts, learningMs, at);
    if (until !== undefined) out.set(service, until);
  }
  return out;
}

export class ServiceSince {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #seedKey: string;
  /** What this process recorded (or read): service → earliest event time. */
  readonly #known = new Map<string, number>();

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#key = `${prefix}:services:since`;
    this.#seedKey = scoredServicesKey(prefix);
  }

  /** True when recording (`service`, `ts`) would change what this process knows. */
  isNew(service: string, ts: number): boolean {
    const held = this.#known.get(service);
    return held === undefined ? this.#known.size < MAX_SERVICES : ts < held;
  }

  /** Records each service's earliest time unless this process knows one as early. */
  async record(earliest: ReadonlyMap<string, number>): Promise<void> {
    const fresh = new Map<string, number>();
    for (const [service, ts] of earliest) if (this.isNew(service, ts)) fresh.set(service, ts);
    await this.#write(fresh);
  }

  /** Writes what this process knows again (Redis lost its data); it forgets nothing. */
  async reassert(): Promise<void> {
    await this.#write(this.#known);
  }

  async #write(entries: ReadonlyMap<string, number>): Promise<void> {
    if (entries.size === 0) return;
    const args: string[] = [];
    for (const [service, ts] of entries) args.push(service, String(ts));
    await this.#redis.eval(LOWER_LUA, 2, this.#key, this.#seedKey, ...args);
    // Only once written: a failed write is tried again with the next record.
    for (const [service, ts] of [...entries]) this.#remember(service, ts);
  }

  #remember(service: string, ts: number): void {
    const held = this.#known.get(service);
    if (held === undefined ? this.#known.size < MAX_SERVICES : ts < held) {
      this.#known.set(service, ts);
    }
  }

  /**
   * The first-seen time of `service`: from this process's memory once known (first-seen times
   * only go back, by a backfill, which changes nothing that matters a day later), otherwise one
   * HGET. A service not in the hash is read again each time: ingest records a new service
   * before it queues the service's first batch, so its anomalies always find it.
   */
  async of(service: string): Promise<number | undefined> {
    const held = this.#known.get(service);
    if (held !== undefined) return held;
    const raw = await this.#redis.hget(this.#key, service);
    const ts = raw === null ? Number.NaN : Number(raw);
    if (!Number.isFinite(ts)) return undefined;
    this.#remember(service, ts);
    return ts;
  }

  /** Every recorded service and its first-seen time (one HGETALL). */
  async all(): Promise<Map<string, number>> {
    const raw = await this.#redis.hgetall(this.#key);
    const out = new Map<string, number>();
    for (const [service, v] of Object.entries(raw)) {
      const ts = Number(v);
      if (!Number.isFinite(ts)) continue;
      out.set(service, ts);
    }
    return out;
  }
}
