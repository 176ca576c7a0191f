/**
 * The composition root of the running service: creates what stages share (metrics registry,
 * Redis connections, queues, the HTTP server), starts the stage of each role asked, serves the
 * read side on every process, and closes all of it in order. Policy lives in the stages; this
 * file only wires them. Receives config, logger and Redis URL from src/main.ts.
 */
import { randomUUID } from 'node:crypto';
import { registerApi, registerStoreMetrics } from '../api/register-api.js';
import { statusSource } from '../api/status-loader.js';
import { guardReads } from '../http/read-auth.js';
import { registerWeb } from '../web/register-web.js';
import type { Config } from '../config/schema.js';
import { startCorrelate } from '../correlate/start-correlate.js';
import { startDetect } from '../detect/start-detect.js';
import { createHttpServer } from '../http/server.js';
import { resolveTokens, type BearerAuth } from '../ingest/bearer-auth.js';
import { startIngest } from '../ingest/start-ingest.js';
import { startLogs } from '../logs/start-logs.js';
import { notifyTransitions } from '../notify/incident-routing.js';
import { startNotify } from '../notify/start-notify.js';
import { signalPatternsOf } from '../correlate/signal-kind.js';
import { remediateTransitions } from '../remediate/propose.js';
import { RemediationMetrics } from '../remediate/remediation-metrics.js';
import { RemediationStore } from '../remediate/remediation-store.js';
import { startRemediate } from '../remediate/start-remediate.js';
import { createQueues, type Queues } from '../queues/queues.js';
import { keyLayoutOf } from '../queues/key-layout.js';
import { producerConnection, RedisHealth, workerConnection } from '../redis/connections.js';
import { redactUrl } from '../redis/probe.js';
import { RedisRunWatch } from '../redis/redis-run-watch.js';
import type { Logger } from '../telemetry/logger.js';
import { createMetrics, serviceLabeller, type Metrics } from '../telemetry/metrics.js';
import { listenProblem, PortUnavailableError, type ReservedPort } from './listen.js';
import type { Role } from './roles.js';
import { readinessChecks, stopAll } from './shutdown.js';
import type { RunningStage } from './stage.js';

export interface ServiceOptions {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly redisUrl: string;
  readonly roles: ReadonlySet<Role>;
  readonly version: string;
  /** Overrides config.server.port (0 = any free port). */
  readonly port?: number;
  readonly host?: string;
  /**
   * The port main took before it reached Redis (listen.ts): the server listens there, on its
   * host, once the reservation is let go. Overrides `port` and `host`.
   */
  readonly reservedPort?: ReservedPort;
  /** Follows the connections and logs outages (made here when unset). */
  readonly redisHealth?: RedisHealth;
  readonly workerId?: string;
  /** Ingest's bearer tokens, resolved by the caller (main reports a missing one as a config error); resolved here when unset. */
  readonly ingestAuth?: BearerAuth | undefined;
  /** The environment (main's): a remediation command sees only the names its hook lists. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface RunningService {
  /** `http://host:port` the server listens on. */
  readonly url: string;
  readonly metrics: Metrics;
  readonly queues: Queues;
  readonly workerId: string;
  /**
   * Stops accepting, drains buffered ingest and in-flight jobs within `deadlineMs`, then
   * closes everything. Resolves `true` when all drained in time, `false` when it had to force.
   */
  close(deadlineMs?: number): Promise<boolean>;
}

export async function startService(o: ServiceOptions): Promise<RunningService> {
  const { config, log } = o;
  const workerId = o.workerId ?? `${process.pid}-${randomUUID().slice(0, 8)}`;
  const metrics = createMetrics(o.version);
  const health = o.redisHealth ?? new RedisHealth(log, o.redisUrl);
  const target = { url: o.redisUrl, cluster: config.redis.cluster };
  const producer = producerConnection(target, health, 'producer');
  const connection = workerConnection(target, health, 'worker');
  const layout = keyLayoutOf(config);
  const queueSettings = {
    layout,
    partitions: config.queues.partitions,
    attempts: config.queues.attempts,
    backoffMs: config.queues.backoff_ms,
  };
  const queues = createQueues(producer, queueSettings);
  // A queue with no listener prints an `error` event's stack on stderr. Connection errors go to
  // `health` (connections.ts); anything else is logged here.
  for (const q of queues.all()) {
    q.on('error', (err) => {
      if (!health.down) log.warn({ err, queue: q.name }, 'queue error');
    });
  }
  const serviceLabel = serviceLabeller(Object.keys(config.services));
  const app = createHttpServer({ bodyLimit: config.server.body_limit_bytes, log });
  guardReads(app, config.server.read_token, config.server.admin_token);
  const shared = { config, log, metrics, producer, connection, queues, queueSettings, layout, app };
  registerStoreMetrics({ ...shared, serviceLabel });
  const remediationMetrics = new RemediationMetrics(metrics.registry);
  const proposeRemediations = remediateTransitions({
    settings: config.remediation,
    patterns: signalPatternsOf(config.correlate.signals),
    store: new RemediationStore(connection, layout.main, config.remediation.audit_max_entries),
    queue: queues.remediate,
    metrics: remediationMetrics,
  });
  const notifyOf = notifyTransitions(config, queues.notify);

  /** Each role's stage, in the order they start. */
  const stages: Record<Role, () => Promise<RunningStage>> = {
    detect: () => startDetect({ ...shared, workerId, serviceLabel }),
    // The logs stage's one write at start is the partition queues' order, re-asserted here.
    logs: async () => ({
      ...(await startLogs({ ...shared, serviceLabel })),
      reassert: () => queues.enforcePartitionOrder(),
    }),
    correlate: () =>
      startCorrelate({
        ...shared,
        onTransition: async (events) => notifyOf(events, await proposeRemediations(events)),
      }),
    notify: () => startNotify(shared),
    remediate: () =>
      Promise.resolve(startRemediate({ ...shared, remediationMetrics, env: o.env ?? {} })),
    ingest: () =>
      startIngest({
        ...shared,
        auth: 'ingestAuth' in o ? o.ingestAuth : resolveTokens(config.ingest.auth.tokens),
      }),
  };
  const running: RunningStage[] = [];
  const byRole: Partial<Record<Role, RunningStage>> = {};
  for (const [role, start] of Object.entries(stages) as [Role, () => Promise<RunningStage>][]) {
    if (!o.roles.has(role)) continue;
    const stage = await start();
    running.push(stage);
    byRole[role] = stage;
  }
  // Writes the stages' start-time invariants again when Redis lost them (and every few minutes).
  const runWatch = new RedisRunWatch({
    redis: producer,
    sentinelKey: `${layout.main}:run:${workerId}`,
    reassert: async (how) => {
      for (const stage of running) await stage.reassert?.(how);
    },
    log: log.child({ component: 'redis' }),
  });
  await runWatch.start();
  // One status source (and so one history cache) for the API and the pages.
  const status = statusSource(config, connection);
  registerApi(
    { ...shared, serviceLabel, remediationMetrics, status },
    readinessChecks(producer, running, byRole, runWatch),
  );
  registerWeb(app, config, connection, status);

  const host = o.reservedPort?.host ?? o.host ?? config.server.host;
  const port = o.reservedPort?.port ?? o.port ?? config.server.port;
  await o.reservedPort?.release();
  let address: string;
  try {
    address = await app.listen({ host, port });
  } catch (err) {
    // Taken between the reservation and now (or not reserved): the same line as at start.
    const problem = listenProblem(err, host, port);
    if (problem === undefined) throw err;
    await runWatch.stop();
    await stopAll({ app, stages: running, queues, connections: [producer, connection], log }, 0);
    health.stop();
    metrics.eventLoop.stop();
    throw new PortUnavailableError(problem, { cause: err });
  }
  log.info(
    {
      address,
      roles: [...o.roles],
      workerId,
      version: o.version,
      redis: redactUrl(o.redisUrl),
      prefix: config.redis.prefix,
    },
    'aiops-worker listening',
  );

  let closing: Promise<boolean> | undefined;
  const close = (deadlineMs = config.shutdown.drain_timeout_ms): Promise<boolean> => {
    closing ??= runWatch
      .stop()
      .then(() =>
        stopAll(
          { app, stages: running, queues, connections: [producer, connection], log },
          deadlineMs,
        ),
      )
      .finally(() => {
        health.stop();
        metrics.eventLoop.stop();
      });
    return closing;
  };
  return { url: address, metrics, queues, workerId, close };
}
