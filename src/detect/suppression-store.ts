/**
 * Suppressions in Redis: one hash, id → JSON (detect/suppressions.ts). The API adds, lists and
 * removes them; the detect and log workers read them through `SuppressionCache`. At most
 * `max` are kept (expired ones are dropped first), so the matcher stays cheap: a full store
 * refuses the next one with AIOPS_ERR_SUPPRESSION_LIMIT.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AiopsError } from '../errors.js';
import { isActive, type Suppression } from './suppressions.js';

/** The most suppressions kept at once. */
export const MAX_SUPPRESSIONS = 1000;

/** HSET only while the hash holds fewer than ARGV[3] fields: the count check and the write in one step. */
const ADD_BOUNDED = `
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** A random, URL-safe id: `sup-` and 16 base64url characters. */
export const newSuppressionId = (): string => `sup-${randomBytes(12).toString('base64url')}`;

function parse(raw: string): Suppression | undefined {
  try {
    const s = JSON.parse(raw) as Partial<Suppression> | null;
    if (typeof s?.id !== 'string' || typeof s.pattern !== 'string') return undefined;
    if (s.service !== null && typeof s.service !== 'string') return undefined;
    if (s.expires_at !== null && typeof s.expires_at !== 'number') return undefined;
    return s as Suppression;
  } catch {
    return undefined;
  }
}

export class SuppressionStore {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #max: number;

  constructor(redis: Redis, prefix: string, max = MAX_SUPPRESSIONS) {
    this.#redis = redis;
    this.#key = `${prefix}:suppressions`;
    this.#max = max;
  }

  /** Stores `s`; throws AIOPS_ERR_SUPPRESSION_LIMIT when `max` active ones are kept already. */
  async add(s: Suppression, now = Date.now()): Promise<Suppression> {
    await this.list(now); // drops the expired ones, so they do not count
    const added = await this.#redis.eval(
      ADD_BOUNDED,
      1,
      this.#key,
      s.id,
      JSON.stringify(s),
      this.#max,
    );
    if (added !== 1) {
      throw new AiopsError(
        'AIOPS_ERR_SUPPRESSION_LIMIT',
        `${this.#max} suppressions are kept already: remove one (DELETE /api/v1/suppressions/ID) first`,
      );
    }
    return s;
  }

  /** Every suppression still in force at `now` (wall clock), oldest first; expired ones are dropped. */
  async list(now = Date.now()): Promise<Suppression[]> {
    const all = await this.#redis.hgetall(this.#key);
    const active: Suppression[] = [];
    const gone: string[] = [];
    for (const [id, raw] of Object.entries(all)) {
      const s = parse(raw);
      if (s && isActive(s, now)) active.push(s);
      else gone.push(id);
    }
    if (gone.length > 0) await this.#redis.hdel(this.#key, ...gone);
    return active.sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
  }

  /** The suppression, if it exists and has not expired. */
  async get(id: string, now = Date.now()): Promise<Suppression | undefined> {
    const raw = await this.#redis.hget(this.#key, id);
    const s = raw === null ? undefined : parse(raw);
    return s && isActive(s, now) ? s : undefined;
  }

  /** Removes it; false when there was none in force (an expired one is dropped all the same). */
  async remove(id: string, now = Date.now()): Promise<boolean> {
    const active = (await this.get(id, now)) !== undefined;
    await this.#redis.hdel(this.#key, id);
    return active;
  }
}
