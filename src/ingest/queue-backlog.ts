/**
 * Watches how many jobs wait in the ingest queues (samples and logs, every partition) and says
 * when they pass the high-water mark, so ingest can answer "retry later" instead of queuing
 * without bound while the detectors fall behind. It reads the queues on demand, at most once
 * per `pollMs`: when a request or a scrape asks (`overloaded`), a read older than that starts
 * a new one in the background and the answer is the last read's. Ingest thus never asks Redis
 * on every request, and an idle worker does not ask at all (three commands per partition
 * queue a second, polled on a timer, were most of an idle worker's Redis traffic). It has
 * hysteresis: once over the mark it stays over until the backlog falls under `resumeRatio` of
 * it, so senders are not switched on and off at every read.
 */
import type { Queue } from 'bullmq';
import type { Logger } from '../telemetry/logger.js';

export interface BacklogOptions {
  readonly queues: readonly Queue[];
  /** Waiting jobs across all the queues at which ingest pushes back. */
  readonly highWater: number;
  readonly resumeRatio?: number;
  readonly pollMs: number;
  readonly log: Logger;
  /** Told of each poll's figure (a gauge). */
  readonly onPoll?: (waiting: number) => void;
}

/** Nobody asked for this many `pollMs`: the last read is stale (see `refreshIfStale`). */
export const STALE_POLLS = 10;
/** How long a request waits for a fresh read after a stale one. */
export const STALE_WAIT_MS = 250;

export class QueueBacklog {
  readonly #o: BacklogOptions;
  #waiting = 0;
  #over = false;
  #started = false;
  #lastPoll = Number.NEGATIVE_INFINITY;
  #polling: Promise<void> | undefined;
  #failing = false;

  constructor(o: BacklogOptions) {
    this.#o = o;
  }

  /**
   * True while the backlog is past the high-water mark, as last read; a read older than
   * `pollMs` is renewed in the background.
   */
  get overloaded(): boolean {
    if (this.#started && Date.now() - this.#lastPoll >= this.#o.pollMs) void this.poll();
    return this.#over;
  }

  /**
   * Reads the queues afresh, waiting at most `maxWaitMs`, when nobody asked for STALE_POLLS ×
   * `pollMs` (an idle spell, or a sender that posts every 15 s): the last read may be far from
   * the truth either way, so the request waits for a new one rather than being refused, or let
   * through, on an old figure. Under steady traffic the reads are recent and this returns at
   * once; a read that fails keeps the last state.
   */
  async refreshIfStale(maxWaitMs = STALE_WAIT_MS): Promise<void> {
    if (!this.#started || Date.now() - this.#lastPoll < STALE_POLLS * this.#o.pollMs) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.poll(),
      new Promise<void>((done) => {
        timer = setTimeout(done, maxWaitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  get waiting(): number {
    return this.#waiting;
  }

  /** Seconds a sender should wait: longer the further past the mark. */
  get retryAfterSeconds(): number {
    return Math.min(60, Math.max(1, Math.round((5 * this.#waiting) / this.#o.highWater)));
  }

  /** Reads once now; later reads come on demand (`overloaded`). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.poll();
  }

  async stop(): Promise<void> {
    this.#started = false;
    await this.#polling;
  }

  /** One poll (tests call it directly). A poll that fails keeps the last state. */
  poll(): Promise<void> {
    this.#lastPoll = Date.now();
    this.#polling ??= this.#poll().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  async #poll(): Promise<void> {
    try {
      const counts = await Promise.all(
        this.#o.queues.map((q) => q.getJobCounts('wait', 'prioritized', 'delayed')),
      );
      let waiting = 0;
      for (const c of counts) for (const n of Object.values(c)) waiting += n;
      this.#failing = false;
      this.#set(waiting);
    } catch (err) {
      if (!this.#failing) this.#o.log.warn({ err }, 'cannot read the ingest queue backlog');
      this.#failing = true;
    }
  }

  #set(waiting: number): void {
    this.#waiting = waiting;
    this.#o.onPoll?.(waiting);
    const { highWater } = this.#o;
    const resumeAt = highWater * (this.#o.resumeRatio ?? 0.8);
    if (!this.#over && waiting >= highWater) {
      this.#over = true;
      this.#o.log.warn(
        { waiting, high_water: highWater },
        'ingest queues past their high-water mark: answering retry-later until they drain',
      );
    } else if (this.#over && waiting < resumeAt) {
      this.#over = false;
      this.#o.log.info(
        { waiting, high_water: highWater },
        'ingest queues drained: accepting again',
      );
    }
  }
}
