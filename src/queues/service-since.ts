/**
 * When each service was first seen (event time of its earliest record, metric or log), in one
 * Redis hash per deployment: ingest records it before it queues a service's first batch, the
 * correlator reads it to know which services are still learning (`correlate.learning_ms`: their
 * anomalies cannot open an incident), and the API and /metrics say until when.
 *
 * Each process remembers what it recorded, so a known service costs no Redis call; an earlier
 * time than the one known (a backfill) lowers it. After Redis lost its data, `reassert` writes
 * what this process knows again, so a running deployment does not start learning afresh.
 */
import type { Redis } from 'ioredis';

/** More distinct services than this are not recorded (a mislabelled flood must not grow Redis). */
const MAX_SERVICES = 10_000;

/** KEYS[1] the hash; ARGV service, ts pairs: each field set unless it holds an earlier time. */
const LOWER_LUA = `
for i = 1, #ARGV, 2 do
  local held = redis.call('HGET', KEYS[1], ARGV[i])
  if not held or tonumber(held) > tonumber(ARGV[i + 1]) then
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
  /** What this process recorded (or read): service → earliest event time. */
  readonly #known = new Map<string, number>();

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#key = `${prefix}:services:since`;
  }

  /** Records each service's earliest time unless this process knows one as early. */
  async record(earliest: ReadonlyMap<string, number>): Promise<void> {
    const args: string[] = [];
    for (const [service, ts] of earliest) {
      const held = this.#known.get(service);
      if (held !== undefined && held <= ts) continue;
      if (held === undefined && this.#known.size >= MAX_SERVICES) continue;
      args.push(service, String(ts));
    }
    if (args.length === 0) return;
    await this.#redis.eval(LOWER_LUA, 1, this.#key, ...args);
    // Only once written: a failed write is tried again with the next record.
    for (let i = 0; i < args.length; i += 2) {
      this.#known.set(args[i] as string, Number(args[i + 1]));
    }
  }

  /** Writes what this process knows again (Redis lost its data). */
  async reassert(): Promise<void> {
    const all = new Map(this.#known);
    this.#known.clear();
    await this.record(all);
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
    if (this.#known.size < MAX_SERVICES) this.#known.set(service, ts);
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
