/**
 * What the composition root knows of a running stage. Stages do not import this (nothing
 * imports service/): each `start<Stage>` returns an object of this shape, and the table in
 * service.ts checks it.
 */
import type { Worker } from 'bullmq';

export interface RunningStage {
  /** The stage's BullMQ workers: the process is ready while every one runs. */
  readonly workers: readonly Worker[];
  /**
   * Finishes what the stage holds before any worker stops (ingest: pull runs in progress and
   * buffered samples), by `deadline` (epoch ms).
   */
  drain?(deadline: number): Promise<void>;
  /**
   * Writes again, idempotently, what the stage wrote to Redis at start (global concurrency, job
   * schedulers, leases): called when Redis lost its data (`lostData`), after a restart that
   * kept it, and every few minutes regardless (redis/redis-run-watch.ts). Throws when Redis
   * does not take it; it is called again.
   */
  reassert?(o: { readonly lostData: boolean }): Promise<void>;
  /** Releases the stage's own handles (queues, timers) once every worker is closed. */
  close?(): Promise<void>;
  /**
   * What the stage found wrong that does not stop it (notify: a target that did not answer its
   * start-up probe): `/readyz` lists them under `warnings` and stays ready.
   */
  warnings?(): readonly string[];
}
