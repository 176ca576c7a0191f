/**
 * Logs a failure that repeats for as long as its cause lasts (Redis away: every ingest request
 * answered 503) as one episode rather than one line per failure: the first failure at once,
 * with what it affects; then at most one summary line per interval with the count; and the end
 * once, at info, with the total and how long it lasted. Without it a 10 s outage under load
 * wrote a line per refused request (about 900).
 */
import type { Logger } from '../telemetry/logger.js';

/** While the failures go on, one summary line this often. */
export const EPISODE_SUMMARY_MS = 30_000;

export interface EpisodeMessages {
  /** The first failure of an episode (its error goes in the line's `err`). */
  readonly started: string;
  /** The summary of `n` more failures in the last interval. */
  readonly repeated: (n: number, forMs: number) => string;
  /** The end: `n` failures in all over `forMs`. */
  readonly ended: (n: number, forMs: number) => string;
}

export const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

export class FailureEpisodeLog {
  readonly #log: Logger;
  readonly #messages: EpisodeMessages;
  readonly #level: 'warn' | 'error';
  readonly #intervalMs: number;
  #since: number | undefined;
  #total = 0;
  #pending = 0;
  #lastError: unknown;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    log: Logger,
    messages: EpisodeMessages,
    o: { readonly level?: 'warn' | 'error'; readonly intervalMs?: number } = {},
  ) {
    this.#log = log;
    this.#messages = messages;
    this.#level = o.level ?? 'warn';
    this.#intervalMs = o.intervalMs ?? EPISODE_SUMMARY_MS;
  }

  /** True while an episode is open. */
  get failing(): boolean {
    return this.#since !== undefined;
  }

  /** One failure: logged when it opens an episode, counted otherwise. */
  failed(err: unknown, fields: Record<string, unknown> = {}): void {
    this.#total += 1;
    this.#lastError = err;
    if (this.#since !== undefined) {
      this.#pending += 1;
      return;
    }
    this.#since = Date.now();
    this.#total = 1;
    this.#pending = 0;
    this.#log[this.#level]({ err, ...fields }, this.#messages.started);
    this.#timer = setInterval(() => {
      this.#summarise();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** A success: ends the episode in progress, if any, with one info line. */
  succeeded(): void {
    if (this.#since === undefined) return;
    const forMs = Date.now() - this.#since;
    this.#log.info(
      { failures: this.#total, downForMs: forMs },
      this.#messages.ended(this.#total, forMs),
    );
    this.stop();
  }

  /** Forgets the episode in progress (the process is stopping). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#since = undefined;
    this.#pending = 0;
  }

  #summarise(): void {
    if (this.#since === undefined || this.#pending === 0) return;
    const forMs = Date.now() - this.#since;
    this.#log[this.#level](
      { err: this.#lastError, failures: this.#pending, total: this.#total, downForMs: forMs },
      this.#messages.repeated(this.#pending, forMs),
    );
    this.#pending = 0;
  }
}
