/**
 * Deliveries to direct receivers given up for good (a record of the notify queue), in Redis: one list, newest first, bounded to MAX_DEAD_LETTERS.
 * `GET /api/v1/notifications/dead-letters` lists them, `aiops_notifications_dead_lettered_total`
 * counts them, and the shipped rule `AiopsNotificationsDeadLettered` pages on one (through
 * Alertmanager, which does not depend on the receiver that failed).
 */
import type { Redis } from 'ioredis';
import type { Transition } from './contract.js';

export const MAX_DEAD_LETTERS = 1000;

export interface DeadLetter {
  /** RFC 3339: when it was given up. */
  readonly at: string;
  readonly receiver: string;
  readonly incident: string;
  readonly transition: Transition;
  /** RFC 3339: when it was queued. */
  readonly queued_at: string;
  readonly attempts: number;
  /** Why: the receiver's last answer, or the rule that stopped it. */
  readonly reason: string;
}

export class DeadLetterStore {
  readonly #redis: Redis;
  readonly #key: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#key = `${prefix}:notify:dead-letters`;
  }

  async add(d: DeadLetter): Promise<void> {
    await this.#redis
      .multi()
      .lpush(this.#key, JSON.stringify(d))
      .ltrim(this.#key, 0, MAX_DEAD_LETTERS - 1)
      .exec();
  }

  /** The newest first, at most `limit`. */
  async list(limit = MAX_DEAD_LETTERS): Promise<DeadLetter[]> {
    const raws = await this.#redis.lrange(this.#key, 0, Math.max(0, limit - 1));
    return raws.flatMap((raw) => {
      try {
        return [JSON.parse(raw) as DeadLetter];
      } catch {
        return [];
      }
    });
  }
}
