/**
 * The suppressions as the detect and log workers see them: read from Redis every few seconds
 * in the background, never per sample. `check` is a stable function over the latest list, so it
 * can sit in the scoring options the workers were built with. A failed read keeps the last list
 * and is logged once, until a read succeeds again.
 */
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';
import type { SuppressionStore } from './suppression-store.js';
import { suppressionCheck, type SuppressedCheck, type Suppression } from './suppressions.js';

/** How often the list is read again. */
export const SUPPRESSION_REFRESH_MS = 5_000;

export class SuppressionCache {
  readonly #store: Pick<SuppressionStore, 'list'>;
  readonly #log: Logger;
  readonly #refreshMs: number;
  #current: SuppressedCheck | undefined;
  #list: readonly Suppression[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #failing = false;

  constructor(
    store: Pick<SuppressionStore, 'list'>,
    log: Logger,
    refreshMs = SUPPRESSION_REFRESH_MS,
  ) {
    this.#store = store;
    this.#log = log;
    this.#refreshMs = refreshMs;
  }

  /** True when a suppression in force matches (detect/suppressions.ts). */
  readonly check: SuppressedCheck = (service, signal, seriesKey, ts) =>
    this.#current?.(service, signal, seriesKey, ts) ?? false;

  /** The list the workers match against now. */
  get list(): readonly Suppression[] {
    return this.#list;
  }

  /** Reads the list once (errors are logged, not thrown), then every `refreshMs`. */
  async start(): Promise<void> {
    await this.refresh();
    this.#timer ??= setInterval(() => void this.refresh(), this.#refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One read; a read already in flight is joined rather than doubled. */
  refresh(): Promise<void> {
    this.#inFlight ??= this.#read().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #read(): Promise<void> {
    try {
      const list = await withTimeout(this.#store.list(), this.#refreshMs, 'reading suppressions');
      this.#list = list;
      this.#current = suppressionCheck(list);
      if (this.#failing) this.#log.info({ suppressions: list.length }, 'suppressions read again');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) {
        this.#log.warn({ err }, 'suppressions could not be read; keeping the last list');
      }
      this.#failing = true;
    }
  }
}
