/**
 * What a BullMQ worker's `error` events are logged as.
 *
 * A worker emits `error` when its own loop fails (fetching the next job, renewing a lock,
 * moving a job on), not when a job throws (that is `failed`, job-failures.ts). During and just
 * after a Redis outage every worker of the process does so, once per retry: the 16 partition
 * workers of one stage wrote 12-18 ERROR lines for one 10 s restart, after RedisHealth had
 * already logged the outage once (connections.ts). So:
 * - an error that only says the connection is down or just came back (ECONNREFUSED, "Connection
 *   is closed", a LOADING Redis, ...) is the outage's, logged at debug;
 * - a job whose lock was lost ("could not renew lock", "Missing lock": the worker stalled, or
 *   Redis lost the lock in an outage) is logged at warn: BullMQ runs the job again, and every
 *   job of the project is safe to run twice (epoch fences, idempotent job ids);
 * - a job whose record is gone when the worker finishes it ("Missing key for job": Redis came
 *   back without the last writes before a restart, or a scheduler's run was replaced when the
 *   schedulers were re-asserted) is logged at warn: its work is done, there is nothing left to
 *   mark done, and a scheduler's next run comes on its own;
 * - any other is logged at error.
 * Each kind at most one line per `everyMs` per stage, whichever of the stage's workers raised
 * it. The errors left out meanwhile are not lost: when the period ends, the first of them is
 * logged with the count of the others.
 */
import type { Logger } from '../telemetry/logger.js';

/** At most one `worker error` line per stage this often. */
export const WORKER_ERROR_EVERY_MS = 30_000;

const CONNECTION_ERROR =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|Connection is closed|Stream isn't writeable|Socket closed|connection lost|LOADING|MASTERDOWN|TRYAGAIN|Command timed out/i;

/** A BullMQ Worker, as far as its `error` events go. */
export interface ErrorSource {
  on(event: 'error', listener: (err: Error) => void): unknown;
}

const LOCK_LOST = /could not renew lock|Missing lock for job|Lock mismatch/i;
const JOB_GONE = /Missing key for job/i;

/** True when `err` says only that Redis cannot be reached (or is still loading). */
export function isConnectionError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return (
    CONNECTION_ERROR.test(message) || (typeof code === 'string' && CONNECTION_ERROR.test(code))
  );
}

/**
 * Logs the `error` events of a stage's workers as described above, with one limit for all of
 * them; `fieldsOf(i)` adds fields to the lines of `workers[i]` (its partition).
 */
export function logWorkerErrors(
  workers: readonly ErrorSource[],
  log: Logger,
  stage: string,
  fieldsOf: (i: number) => Record<string, unknown> = () => ({}),
  everyMs = WORKER_ERROR_EVERY_MS,
): void {
  const attach = workerErrorLog(log, stage, everyMs);
  workers.forEach((worker, i) => {
    attach(worker, fieldsOf(i));
  });
}

/**
 * The same, for workers started one by one (the detect stage's, as it takes partitions): the
 * returned function attaches a worker, and all it attaches share one rate limit per kind.
 */
export function workerErrorLog(
  log: Logger,
  stage: string,
  everyMs = WORKER_ERROR_EVERY_MS,
): (worker: ErrorSource, fields: Record<string, unknown>) => void {
  const slots = { lock: new Slot(), gone: new Slot(), other: new Slot() };
  const write = (
    kind: 'lock' | 'gone' | 'other',
    err: Error,
    fields: Record<string, unknown>,
    more: number,
  ): void => {
    const what =
      kind === 'lock'
        ? `${stage} worker lost a job's lock; the job runs again`
        : kind === 'gone'
          ? `${stage} worker finished a job whose record Redis no longer holds (lost in a restart, or replaced); nothing runs again`
          : `${stage} worker error`;
    const line = { err, ...fields, ...(more > 0 ? { more } : {}) };
    const msg = more > 0 ? `${what} (and ${more} more in the last ${everyMs / 1000} s)` : what;
    if (kind !== 'other') log.warn(line, msg);
    else log.error(line, msg);
  };
  return (worker, fields) => {
    worker.on('error', (err: Error) => {
      if (isConnectionError(err)) {
        log.debug({ err, ...fields }, `${stage} worker lost its Redis connection`);
        return;
      }
      const kind = LOCK_LOST.test(err.message)
        ? 'lock'
        : JOB_GONE.test(err.message)
          ? 'gone'
          : 'other';
      slots[kind].offer(err, fields, everyMs, (e, f, more) => {
        write(kind, e, f, more);
      });
    });
  };
}

/**
 * One kind of error of one stage: a line now, or the first of those held back, at the end of
 * the period.
 */
class Slot {
  #lastAt = Number.NEGATIVE_INFINITY;
  #held: { err: Error; fields: Record<string, unknown> } | undefined;
  #more = 0;
  #timer: NodeJS.Timeout | undefined;

  offer(
    err: Error,
    fields: Record<string, unknown>,
    everyMs: number,
    write: (err: Error, fields: Record<string, unknown>, more: number) => void,
  ): void {
    const now = Date.now();
    if (now - this.#lastAt >= everyMs && this.#timer === undefined) {
      this.#lastAt = now;
      write(err, fields, 0);
      return;
    }
    if (this.#held === undefined) this.#held = { err, fields };
    else this.#more++;
    this.#timer ??= setTimeout(
      () => {
        this.#timer = undefined;
        const held = this.#held;
        if (!held) return;
        this.#lastAt = Date.now();
        write(held.err, held.fields, this.#more);
        this.#held = undefined;
        this.#more = 0;
      },
      Math.max(0, this.#lastAt + everyMs - now),
    );
    this.#timer.unref();
  }
}
