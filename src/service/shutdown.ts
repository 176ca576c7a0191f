/**
 * Readiness and the orderly stop of a running service: stop accepting, let each stage finish
 * what it holds, drain the workers' jobs by the deadline (then force them: their jobs are
 * retried), release the stages' handles and the queues, and disconnect from Redis.
 */
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { ReadinessCheck } from '../api/health-routes.js';
import type { Queues } from '../queues/queues.js';
import { pingAll } from '../redis/connections.js';
import type { Logger } from '../telemetry/logger.js';
import { withTimeout } from '../util/with-timeout.js';
import type { RunningStage } from './stage.js';

/** Readiness: Redis answers a PING within this, and every stage's workers run. */
const PING_TIMEOUT_MS = 1000;
/** Workers cut at the deadline get this long to let go of their jobs. */
const FORCE_CLOSE_MS = 2000;
/** Queue handles hold nothing to flush: a connection stuck reconnecting gets this long. */
const HANDLES_CLOSE_MS = 2000;
/** How often connections that turned idle during the close are dropped. */
const REAP_IDLE_MS = 100;

export function readinessChecks(
  producer: Redis,
  stages: readonly RunningStage[],
  /** The stages by role, for the checks of those with warnings (`notify`). */
  named: Readonly<Record<string, RunningStage>> = {},
  /** Why Redis is not ready though it answers: its data was lost and is being re-asserted. */
  run?: { pending(): string | undefined },
): ReadinessCheck[] {
  // Read at each check: the detect stage starts and stops workers as it takes partitions.
  const workers = (): Worker[] => stages.flatMap((s) => s.workers);
  const checks: ReadinessCheck[] = [
    {
      name: 'redis',
      check: async () => {
        await withTimeout(pingAll(producer), PING_TIMEOUT_MS, 'Redis PING');
        return run?.pending() === undefined;
      },
      reason: () => run?.pending(),
    },
  ];
  if (stages.some((s) => s.workers.length > 0)) {
    checks.push({
      name: 'workers',
      check: () => Promise.resolve(workers().every((w) => w.isRunning())),
    });
  }
  // A stage's warnings never make the process unready: a notify target that is down must not
  // take ingest out of a load balancer. They show as the stage's check, `warning`.
  for (const [name, stage] of Object.entries(named)) {
    const warnings = stage.warnings?.bind(stage);
    if (warnings) checks.push({ name, check: () => Promise.resolve(true), warnings });
  }
  return checks;
}

export interface Stoppable {
  readonly app: FastifyInstance;
  readonly stages: readonly RunningStage[];
  readonly queues: Pick<Queues, 'close'>;
  readonly connections: readonly Redis[];
  readonly log: Logger;
}

/** Resolves `true` when everything drained by the deadline, `false` when it had to force. */
export async function stopAll(s: Stoppable, deadlineMs: number): Promise<boolean> {
  const { app, log } = s;
  const deadline = Date.now() + deadlineMs;
  // Stop accepting; requests in flight finish (their samples are queued before they answer).
  // Keep-alive connections that turn idle after close() began are closed as they do, so
  // clients cannot hold the server open; at the deadline every connection is cut.
  const reaper = setInterval(() => {
    app.server.closeIdleConnections();
  }, REAP_IDLE_MS);
  const httpClosed = await withTimeout(
    app.close().then(() => true),
    deadlineMs,
    'HTTP close',
  ).catch(() => false);
  clearInterval(reaper);
  if (!httpClosed) app.server.closeAllConnections();
  for (const stage of s.stages) await stage.drain?.(deadline);
  const workers = s.stages.flatMap((stage) => stage.workers);
  const drained = await withTimeout(
    Promise.all(workers.map((w) => w.close())).then(() => true),
    Math.max(0, deadline - Date.now()),
  ).catch(() => false);
  if (!drained) {
    log.warn(
      { deadlineMs },
      'drain deadline passed; forcing workers closed (their jobs will be retried)',
    );
    await withTimeout(
      Promise.allSettled(workers.map((w) => w.close(true))),
      FORCE_CLOSE_MS,
      'force close',
    ).catch(() => undefined);
  }
  await withTimeout(
    Promise.allSettled([...s.stages.map((stage) => stage.close?.()), s.queues.close()]),
    HANDLES_CLOSE_MS,
    'queue close',
  ).catch(() => {
    log.warn('queue handles did not close in time; disconnecting');
  });
  for (const c of s.connections) c.disconnect();
  return drained;
}
