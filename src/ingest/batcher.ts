/**
 * Group commit per partition: items from concurrent requests are gathered for up to
 * `lingerMs` or `maxItems`, then written as one job. `add` resolves only once every item it
 * gave is durably queued (so an HTTP 2xx never covers data that was not written), and rejects
 * when the write failed.
 */

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

interface Pending<T> {
  items: T[];
  bytes: number;
  waiters: Waiter[];
  timer: NodeJS.Timeout | undefined;
}

export interface BatcherOptions<T> {
  readonly maxItems: number;
  /** With `sizeOf`: a batch is written once its items add up to this many bytes. */
  readonly maxBytes?: number;
  /** Approximate size of an item in bytes (log lines vary from 10 B to 64 KiB). */
  readonly sizeOf?: (item: T) => number;
  readonly lingerMs: number;
  readonly flush: (partition: number, items: T[]) => Promise<void>;
}

export class PartitionBatcher<T> {
  readonly #opts: BatcherOptions<T>;
  readonly #pending = new Map<number, Pending<T>>();
  readonly #inflight = new Set<Promise<void>>();

  constructor(opts: BatcherOptions<T>) {
    this.#opts = opts;
  }

  /** Queues `items` for `partition`; resolves when all are written. */
  add(partition: number, items: readonly T[]): Promise<void> {
    const done: Promise<void>[] = [];
    let offset = 0;
    while (offset < items.length) {
      const p = this.#bufferFor(partition);
      const { maxItems, maxBytes = Number.POSITIVE_INFINITY, sizeOf } = this.#opts;
      // Take items until the batch is full by count or (at least one item in) by bytes.
      while (offset < items.length && p.items.length < maxItems && p.bytes < maxBytes) {
        const item = items[offset] as T;
        p.items.push(item);
        if (sizeOf) p.bytes += sizeOf(item);
        offset += 1;
      }
      done.push(new Promise<void>((resolve, reject) => p.waiters.push({ resolve, reject })));
      if (p.items.length >= maxItems || p.bytes >= maxBytes) this.#flush(partition);
      else
        p.timer ??= setTimeout(() => {
          this.#flush(partition);
        }, this.#opts.lingerMs);
    }
    return Promise.all(done).then(() => undefined);
  }

  /** Writes everything buffered and waits for every write under way. */
  async drain(): Promise<void> {
    for (const partition of [...this.#pending.keys()]) this.#flush(partition);
    await Promise.allSettled([...this.#inflight]);
  }

  #bufferFor(partition: number): Pending<T> {
    let p = this.#pending.get(partition);
    if (!p) {
      p = { items: [], bytes: 0, waiters: [], timer: undefined };
      this.#pending.set(partition, p);
    }
    return p;
  }

  #flush(partition: number): void {
    const p = this.#pending.get(partition);
    if (!p) return;
    this.#pending.delete(partition);
    if (p.timer) clearTimeout(p.timer);
    const write = this.#opts.flush(partition, p.items).then(
      () => {
        for (const w of p.waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of p.waiters) w.reject(err);
      },
    );
    this.#inflight.add(write);
    void write.finally(() => this.#inflight.delete(write));
  }
}
