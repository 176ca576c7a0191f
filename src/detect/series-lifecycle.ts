/**
 * The periodic, bounded part of `detect.state_ttl_ms`. Keys that can expire (each series'
 * detector state and history list) get their TTL on every write and need nothing here; what
 * cannot expire member by member is trimmed on a timer:
 * - the score board's entries (sorted-set and hash members) of series not scored within the
 *   TTL, at most `maxPerRun` per run;
 * - the detector states this process caches, for partitions that have gone quiet.
 * Both are counted on /metrics (`aiops_series_expired_total`). Several processes may run it at
 * once: removing a member twice is harmless. A failed run is logged, never thrown.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../telemetry/logger.js';
import type { ScoreBoard } from './score-board.js';
import type { StateStore } from './state-store.js';

/** Board entries removed per run at most (a run is a few Lua calls of 1,000). */
const MAX_PER_RUN = 10_000;

export interface SeriesLifecycleOptions {
  /** `detect.state_ttl_ms`: 0 turns the cleanup off (state is kept for ever). */
  readonly ttlMs: number;
  /** How often it runs (default a tenth of the TTL, between 1 s and 1 min). */
  readonly intervalMs?: number;
  readonly maxPerRun?: number;
  /** Wall clock (tests pass their own). */
  readonly now?: () => number;
}

export interface SeriesLifecycleMetrics {
  readonly expired: Counter<'where'>;
}

/** Registers the lifecycle metrics once per registry. */
export function seriesLifecycleMetrics(
  registry: Registry,
  store: StateStore,
): SeriesLifecycleMetrics {
  const name = 'aiops_series_expired_total';
  const existing = registry.getSingleMetric(name) as Counter<'where'> | undefined;
  if (existing) return { expired: existing };
  new Gauge({
    name: 'aiops_series_state_cached',
    help: 'Series whose detector state this process holds in memory (bounded by detect.state_ttl_ms and a size limit).',
    registers: [registry],
    collect() {
      this.set(store.cached);
    },
  });
  return {
    expired: new Counter({
      name,
      help: 'Series forgotten after detect.state_ttl_ms without a sample, by where (state_cache: this process dropped its cached state; score_board: its board entry was removed). State keys and history lists expire in Redis by TTL.',
      labelNames: ['where'] as const,
      registers: [registry],
    }),
  };
}

export class SeriesLifecycle {
  readonly #store: StateStore;
  readonly #board: ScoreBoard;
  readonly #metrics: SeriesLifecycleMetrics;
  readonly #log: Logger;
  readonly #ttlMs: number;
  readonly #intervalMs: number;
  readonly #maxPerRun: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    deps: { store: StateStore; board: ScoreBoard; metrics: SeriesLifecycleMetrics; log: Logger },
    opts: SeriesLifecycleOptions,
  ) {
    this.#store = deps.store;
    this.#board = deps.board;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
    this.#ttlMs = opts.ttlMs;
    this.#intervalMs = opts.intervalMs ?? Math.min(60_000, Math.max(1000, opts.ttlMs / 10));
    this.#maxPerRun = opts.maxPerRun ?? MAX_PER_RUN;
    this.#now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.#ttlMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.runOnce()
        .then(() => undefined)
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One bounded pass; returns the board entries removed. */
  async runOnce(): Promise<number> {
    if (this.#ttlMs <= 0) return 0;
    this.#store.sweep();
    const cached = this.#store.takeExpired();
    if (cached > 0) this.#metrics.expired.inc({ where: 'state_cache' }, cached);
    try {
      const removed = await this.#board.prune(this.#now() - this.#ttlMs, this.#maxPerRun);
      if (removed > 0) this.#metrics.expired.inc({ where: 'score_board' }, removed);
      return removed;
    } catch (err) {
      this.#log.warn({ err }, 'score board cleanup failed; the next run tries again');
      return 0;
    }
  }
}
