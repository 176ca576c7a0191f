/**
 * Feedback in Redis: every entry on one list, newest first and bounded (the labelled set:
 * `GET /api/v1/feedback`), and each incident's entries on a list of its own, oldest first and
 * bounded (`GET /api/v1/incidents/ID/feedback`, the incident page). Both are written in one
 * MULTI. An incident's list expires `FEEDBACK_INCIDENT_TTL_MS` (90 days) after its latest entry
 * (each write sets the expiry again), so incidents long trimmed from the incident store leave no
 * list behind; their entries stay on the global list until it is trimmed.
 */
import type { Redis } from 'ioredis';
import type { FeedbackEntry } from './feedback.js';

/** Entries kept over all incidents (the oldest go first). */
export const MAX_FEEDBACK = 10_000;
/** Entries kept per incident. */
export const MAX_FEEDBACK_PER_INCIDENT = 100;
/** An incident's feedback list expires this long (90 days) after its latest entry. */
export const FEEDBACK_INCIDENT_TTL_MS = 90 * 86_400_000;

const parse = (raw: string): FeedbackEntry[] => {
  try {
    return [JSON.parse(raw) as FeedbackEntry];
  } catch {
    return [];
  }
};

export class FeedbackStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #incidentTtlMs: number;

  constructor(redis: Redis, prefix: string, incidentTtlMs = FEEDBACK_INCIDENT_TTL_MS) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#incidentTtlMs = incidentTtlMs;
  }

  #allKey(): string {
    return `${this.#prefix}:feedback`;
  }

  #incidentKey(incident: string): string {
    return `${this.#prefix}:feedback:incident:${incident}`;
  }

  async add(e: FeedbackEntry): Promise<void> {
    const json = JSON.stringify(e);
    await this.#redis
      .multi()
      .lpush(this.#allKey(), json)
      .ltrim(this.#allKey(), 0, MAX_FEEDBACK - 1)
      .rpush(this.#incidentKey(e.incident), json)
      .ltrim(this.#incidentKey(e.incident), -MAX_FEEDBACK_PER_INCIDENT, -1)
      .pexpire(this.#incidentKey(e.incident), this.#incidentTtlMs)
      .exec();
  }

  /** An incident's feedback, oldest first. */
  async ofIncident(incident: string): Promise<FeedbackEntry[]> {
    const raws = await this.#redis.lrange(this.#incidentKey(incident), 0, -1);
    return raws.flatMap(parse);
  }

  /** The newest `limit` entries over all incidents, newest first. */
  async list(limit: number): Promise<FeedbackEntry[]> {
    const raws = await this.#redis.lrange(this.#allKey(), 0, limit - 1);
    return raws.flatMap(parse);
  }
}
