/**
 * Which receivers have had an incident's opening page, so its later transitions keep their
 * order: no receiver gets `acknowledged`, `resolved`, a reminder or an escalation for an
 * incident it never saw opened (or reopened). A delivered opening sets a key per (incident,
 * reopen count, receiver), kept LEDGER_TTL_MS (30 days): longer than incidents stay open.
 */
import type { Redis } from 'ioredis';

export const LEDGER_TTL_MS = 30 * 86_400_000;

export class DeliveryLedger {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #key(incident: string, reopened: number, receiver: string): string {
    return `${this.#prefix}:notify:opened:${incident}:${reopened}:${receiver}`;
  }

  async markOpened(incident: string, reopened: number, receiver: string): Promise<void> {
    await this.#redis.set(this.#key(incident, reopened, receiver), '1', 'PX', LEDGER_TTL_MS);
  }

  async opened(incident: string, reopened: number, receiver: string): Promise<boolean> {
    return (await this.#redis.exists(this.#key(incident, reopened, receiver))) === 1;
  }
}
