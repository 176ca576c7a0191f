/**
 * The `queue` action: adds one BullMQ job named `remediation` to a queue a team's own worker
 * consumes (under the worker's Redis prefix). The job id is the run's idempotency key, so a
 * run retried after a crash adds nothing: BullMQ ignores a job id it already holds.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { HookAction } from '../../config/schema-remediation.js';
import { JobNames, jobIdOf, type TeamRemediationJob } from '../../queues/contract.js';
import type { Action } from './action.js';

type QueueActionConfig = Extract<HookAction, { type: 'queue' }>;

export interface QueueActionDeps {
  /** Shared: closing the action leaves it open. */
  readonly connection: Redis;
  readonly prefix: string;
}

/** Finished jobs are kept a day, so a repeat of the key within it stays a no-op. */
const KEEP_S = 24 * 3600;

/**
 * A `queue` action. Queued is ok; a Redis error may pass later (retryable). `close()` closes
 * the Queue handle (not the shared connection).
 */
export function queueAction(
  cfg: QueueActionConfig,
  deps: QueueActionDeps,
): { readonly run: Action; close(): Promise<void> } {
  const queue = new Queue<TeamRemediationJob>(cfg.queue, {
    connection: deps.connection,
    prefix: deps.prefix,
  });
  const run: Action = async (r) => {
    const jobId = jobIdOf(r.idempotencyKey);
    const data: TeamRemediationJob = {
      hook: r.hook,
      target: r.target,
      idempotency_key: r.idempotencyKey,
      incident: r.incident,
    };
    try {
      await queue.add(JobNames.TeamRemediation, data, {
        jobId,
        removeOnComplete: { age: KEEP_S },
      });
    } catch (err) {
      return { ok: false, retryable: true, detail: String(err).slice(0, 300) };
    }
    return { ok: true, detail: `queued ${cfg.queue}/${jobId}` };
  };
  return { run, close: () => queue.close() };
}
