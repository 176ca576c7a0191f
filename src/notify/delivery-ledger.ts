/**
 * Which receivers have had an incident's opening page, and its `resolved`, so its transitions
 * keep their order: no receiver gets `acknowledged`, `resolved`, a reminder or an escalation for
 * an incident it never saw opened (or reopened), nor anything after its `resolved`. A delivered
 * opening or resolve sets a key per (incident, reopen count, receiver), kept LEDGER_TTL_MS (30
 * days): longer than incidents stay open.
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

  #resolvedKey(incident: string, reopened: number, receiver: string): string {
    return `${this.#prefix}:notify:resolved:${incident}:${reopened}:${receiver}`;
  }

  async markResolved(incident: string, reopened: number, receiver: string): Promise<void> {
    await this.#redis.set(
      this.#resolvedKey(incident, reopened, receiver),
      '1',
      'PX',
      LEDGER_TTL_MS,
    );
  }

  /** The receiver had this opening's `resolved`: nothing more goes to it for that opening. */
  async resolved(incident: string, reopened: number, receiver: string): Promise<boolean> {
    return (await this.#redis.exists(this.#resolvedKey(incident, reopened, receiver))) === 1;
  }
}
