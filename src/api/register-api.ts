/**
 * The read side every process serves, whatever its roles: `/healthz`, `/readyz`, `/metrics`
 * (with the figures read from Redis at scrape time: scores, queue depths, log templates, open
 * incidents, so every process shows the same), the incidents and the dependency graph, and
 * the health of each service with its series' recent history (service-routes.ts), and the
 * notifications given up (notification-routes.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { registerIncidentMetrics } from '../correlate/incident-metrics.js';
import { IncidentStore } from '../correlate/incident-store.js';
import { registerLearningMetrics } from '../correlate/learning-metrics.js';
import { serviceGraph } from '../correlate/graph.js';
import { ScoreBoard } from '../detect/score-board.js';
import { registerScoreMetrics } from '../detect/score-metrics.js';
import { LogStateStore } from '../logs/log-state-store.js';
import { logSettingsFromConfig } from '../logs/log-settings.js';
import { registerLogMetrics } from '../logs/log-metrics.js';
import { EdgeRecorder } from '../queues/edge-recorder.js';
import { ServiceSince } from '../queues/service-since.js';
import { registerQueueMetrics } from '../queues/queue-metrics.js';
import type { Queues } from '../queues/queues.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { registerHealthRoutes, type ReadinessCheck } from './health-routes.js';
import { registerIncidentRoutes } from './incident-routes.js';
import { registerMetricsRoute } from './metrics-route.js';
import { registerNotificationRoutes } from './notification-routes.js';
import { DeadLetterStore } from '../queues/dead-letters.js';
import { registerRemediationRoutes } from './remediation-routes.js';
import { registerServiceRoutes } from './service-routes.js';
import { statusSource, type StatusSource } from './status-loader.js';
import { FeedbackMetrics } from './feedback-metrics.js';
import { registerFeedbackRoutes } from './feedback-routes.js';
import { FeedbackStore } from './feedback-store.js';
import { SuppressionStore } from '../detect/suppression-store.js';
import type { RemediationMetrics } from '../remediate/remediation-metrics.js';
import { RemediationStore } from '../remediate/remediation-store.js';
import { keyLayoutOf } from '../queues/key-layout.js';

export interface ApiDeps {
  readonly app: FastifyInstance;
  readonly config: Readonly<Config>;
  /** Reads of the score board (fails fast: a scrape leaves scores out rather than hang). */
  readonly producer: Redis;
  /** Reads of incidents, templates, edges and series history. */
  readonly connection: Redis;
  readonly queues: Pick<Queues, 'all' | 'anomalies' | 'remediate'>;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly serviceLabel: (service: string) => string;
  /** Approvals and rejections are counted with every other remediation decision. */
  readonly remediationMetrics?: RemediationMetrics;
  /**
   * What service health and series history read (status-loader.ts): the process's one source,
   * shared with the pages so they share its history cache. Built from `connection` when unset.
   */
  readonly status?: StatusSource;
}

/** Registers the scrape-time gauges on the metrics registry (before any stage's own). */
export function registerStoreMetrics(d: Omit<ApiDeps, 'app'>): void {
  const { config, metrics, log } = d;
  const layout = keyLayoutOf(config);
  const prefix = layout.main;
  registerScoreMetrics(
    metrics.registry,
    new ScoreBoard(d.producer, prefix),
    {
      topN: config.metrics.export_top_n,
      minScore: config.metrics.export_min_score,
      staleAfterMs: config.metrics.stale_after_ms,
      now: Date.now,
    },
    log,
  );
  registerQueueMetrics(metrics.registry, () => d.queues.all(), log);
  const templates = new LogStateStore(d.connection, layout, logSettingsFromConfig(config));
  registerLogMetrics(metrics.registry, () => templates.activeTemplates(), log, d.serviceLabel);
  const incidents = new IncidentStore(d.connection, prefix);
  registerIncidentMetrics(metrics.registry, incidents, log, d.serviceLabel);
  registerLearningMetrics(metrics.registry, new ServiceSince(d.connection, prefix), {
    learningMs: config.correlate.learning_ms,
    now: Date.now,
    log,
    serviceLabel: d.serviceLabel,
  });
}

/** Registers the routes; `checks` decide `/readyz`. */
export function registerApi(d: ApiDeps, checks: readonly ReadinessCheck[]): void {
  const { app, config } = d;
  const prefix = keyLayoutOf(config).main;
  const remediations = new RemediationStore(
    d.connection,
    prefix,
    config.remediation.audit_max_entries,
  );
  const adminToken = config.server.admin_token;
  registerIncidentRoutes(
    app,
    new IncidentStore(d.connection, prefix),
    {
      edges: new EdgeRecorder(d.connection, prefix),
      graphFor: (discovered) => serviceGraph(config.services, discovered),
    },
    d.queues.anomalies,
    { adminToken, remediations },
  );
  registerRemediationRoutes(app, {
    store: remediations,
    queue: d.queues.remediate,
    adminToken,
    configKillSwitch: config.remediation.kill_switch,
    metrics: d.remediationMetrics,
  });
  registerFeedbackRoutes(app, {
    incidents: new IncidentStore(d.connection, prefix),
    feedback: new FeedbackStore(d.connection, prefix),
    suppressions: new SuppressionStore(d.connection, prefix),
    adminToken,
    metrics: new FeedbackMetrics(d.metrics.registry),
  });
  registerNotificationRoutes(app, { deadLetters: new DeadLetterStore(d.connection, prefix) });
  registerServiceRoutes(app, d.status ?? statusSource(config, d.connection));
  registerHealthRoutes(app, checks);
  registerMetricsRoute(app, d.metrics.registry);
}
