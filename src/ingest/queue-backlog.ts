/**
 * Watches how many jobs wait in the ingest queues (samples and logs, every partition), and how
 * far behind the partitions are, and says when either passes its high-water mark, so ingest can
 * answer "retry later" instead of queuing without bound while the detectors fall behind. The
 * job count alone missed it: jobs hold from one sample to thousands, and 2,000 jobs of large
 * remote_write requests were a million samples and a minute of scoring.
 *
 * How far behind: the age of each partition's oldest waiting job, and of those the median.
 * Series hash evenly over the partitions, so when scoring lacks capacity they all fall behind
 * together and the median shows it; one partition stuck alone (its batch held by a process
 * that died, until BullMQ takes it back; a fault, not a lack of capacity) does not refuse the
 * senders of every other partition. It reads the queues on demand, at most once
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
  /** The median partition's lag (ms) at which ingest pushes back; 0: not watched. */
  readonly highWaterLagMs?: number;
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
  #lagMs = 0;
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

  /**
   * How far behind the median partition is (ms) at the last poll: the age of its oldest
   * waiting job, 0 for a partition with none; 0 when the lag mark is 0 (not read).
   */
  get lagMs(): number {
    return this.#lagMs;
  }

  /** How far past their marks the job count and the lag are: 1 at the mark. */
  get #fills(): { jobs: number; lag: number } {
    const lagMark = this.#o.highWaterLagMs ?? 0;
    return {
      jobs: this.#waiting / this.#o.highWater,
      lag: lagMark > 0 ? this.#lagMs / lagMark : 0,
    };
  }

  /** The larger of the two. */
  get #fill(): number {
    const f = this.#fills;
    return Math.max(f.jobs, f.lag);
  }

  /** Seconds a sender should wait: longer the further past the mark. */
  get retryAfterSeconds(): number {
    return Math.min(60, Math.max(1, Math.round(5 * this.#fill)));
  }

  /** Why ingest pushes back, for the error a sender gets. */
  get reason(): string {
    const lagMark = this.#o.highWaterLagMs ?? 0;
    const f = this.#fills;
    if (f.lag > f.jobs)
      return `scoring is ${seconds(this.#lagMs)} behind (the median partition's oldest waiting batch), past ingest.queue_high_water_lag_ms (${seconds(lagMark)})`;
    return `the ingest queues hold ${this.#waiting} waiting jobs, past ingest.queue_high_water_jobs (${this.#o.highWater})`;
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
      const watchLag = (this.#o.highWaterLagMs ?? 0) > 0;
      const [counts, oldest] = await Promise.all([
        Promise.all(this.#o.queues.map((q) => q.getJobCounts('wait', 'prioritized', 'delayed'))),
        watchLag ? Promise.all(this.#o.queues.map(oldestWaitingAt)) : Promise.resolve([]),
      ]);
      let waiting = 0;
      for (const c of counts) for (const n of Object.values(c)) waiting += n;
      this.#failing = false;
      this.#set(waiting, watchLag ? medianLag(oldest, Date.now()) : 0);
    } catch (err) {
      if (!this.#failing) this.#o.log.warn({ err }, 'cannot read the ingest queue backlog');
      this.#failing = true;
    }
  }

  #set(waiting: number, lagMs: number): void {
    this.#waiting = waiting;
    this.#lagMs = lagMs;
    this.#o.onPoll?.(waiting);
    const { highWater } = this.#o;
    const fill = this.#fill;
    if (!this.#over && fill >= 1) {
      this.#over = true;
      this.#o.log.warn(
        { waiting, lagMs, high_water: highWater, high_water_lag_ms: this.#o.highWaterLagMs },
        `ingest pushes back: ${this.reason}; answering retry-later until the queues drain`,
      );
    } else if (this.#over && fill < (this.#o.resumeRatio ?? 0.8)) {
      this.#over = false;
      this.#o.log.info(
        { waiting, lagMs, high_water: highWater, high_water_lag_ms: this.#o.highWaterLagMs },
        'ingest queues drained: accepting again',
      );
    }
  }
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/** The median of the partitions' lags (ms): how long ago each oldest job was queued, 0 if none. */
export function medianLag(oldest: readonly (number | undefined)[], now: number): number {
  const lags = oldest
    .map((t) => (t !== undefined && Number.isFinite(t) ? Math.max(0, now - t) : 0))
    .sort((a, b) => a - b);
  return lags[Math.floor((lags.length - 1) / 2)] ?? 0;
}

/**
 * When the oldest job waiting in `q` was queued (ms), or undefined when none waits: its id
 * from the tail of the wait list, then its `timestamp` field (two commands, not its payload).
 */
async function oldestWaitingAt(q: Queue): Promise<number | undefined> {
  const [id] = await q.getRanges(['wait'], 0, 0, true);
  if (id === undefined) return undefined;
  const backend = q.getBackend();
  const at = await (await backend.client).hget(backend.toKey(id), 'timestamp');
  return at === null ? undefined : Number(at);
}
