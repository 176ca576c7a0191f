/**
 * The one configuration schema. Every key but `services` has a default, so a file holding only
 * a `services:` map is a complete configuration. Keys are snake_case as in the YAML file.
 */
import { z } from 'zod';
import { DEFAULT_LOG_TEMPLATE_OPTIONS } from '../../detectors/log-template-options.js';
import { IngestSources } from '../ingest/bearer-auth.js';

const serviceName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,127}$/, 'service names are 1-128 of [a-zA-Z0-9_.:-]');

const service = z.strictObject({
  /** Services this one calls: when they fail, this one shows symptoms. */
  depends_on: z.array(z.string()).default([]),
  /** Free text shown in incidents. */
  description: z.string().optional(),
});

const durationMs = z.number().int().min(0);

/** Names of pull sources: they appear in Redis keys and metric labels. */
const pullName = z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'names are 1-64 of [a-zA-Z0-9_.-]');

/** A list whose items' `name`s must differ (they key schedules and watermarks). */
function uniqueNames(items: readonly { readonly name: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name)) {
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name "${item.name}"` });
    }
    seen.add(item.name);
  });
}

export const configSchema = z.strictObject({
  /** The services and their dependency graph. */
  services: z.record(serviceName, service.default({ depends_on: [] })).default({}),
  server: z
    .strictObject({
      /** Address to listen on. */
      host: z.string().min(1).default('127.0.0.1'),
      /** Port for every HTTP endpoint (ingest, /metrics, /healthz, /readyz, the API). */
      port: z.number().int().min(0).max(65535).default(9470),
      /** Largest accepted request body in bytes; larger ones get 413. */
      body_limit_bytes: z
        .number()
        .int()
        .min(1024)
        .default(8 * 1024 * 1024),
    })
    .prefault({}),
  redis: z
    .strictObject({
      /** Redis URL (`redis://user:pass@host:port/db`). Unset: the embedded default. */
      url: z.string().min(1).optional(),
      /** Key prefix of every key and queue, so several deployments can share one Redis. */
      prefix: z
        .string()
        .regex(/^[a-zA-Z0-9_.-]+$/)
        .default('aiops'),
      /** Folder of the private redis-server started when no Redis answers. */
      data_dir: z.string().min(1).default('.aiops/redis'),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /** Labels that name a series' service, first present wins. */
      service_labels: z.array(z.string().min(1)).min(1).default(['service']),
      max_labels_per_series: z.number().int().min(1).default(30),
      max_label_name_length: z.number().int().min(1).default(128),
      max_label_value_length: z.number().int().min(1).default(1024),
      /** A compressed body (remote_write, Loki, OTLP) may inflate to this many bytes; more gets 413. */
      max_decompressed_bytes: z
        .number()
        .int()
        .min(1024)
        .default(64 * 1024 * 1024),
      /** Records in one request at most; a larger request gets 413 and should be split. */
      max_records_per_request: z.number().int().min(1).default(100_000),
      /** Samples per queued job at most. */
      batch_max_samples: z.number().int().min(1).max(100_000).default(1000),
      /** How long ingest waits to fill a batch before queuing it. */
      batch_linger_ms: durationMs.max(10_000).default(20),
      /** Active series at most, overall; samples of further new series are refused. */
      max_active_series: z.number().int().min(1).default(200_000),
      /** Active series at most per service. */
      max_active_series_per_service: z.number().int().min(1).default(50_000),
      /** New series admitted per minute at most (burst: one minute's worth). */
      max_new_series_per_minute: z.number().int().min(1).default(50_000),
      /** A series not seen for this long stops counting as active. */
      series_idle_ms: durationMs.min(1000).default(60 * 60_000),
      /** After start, the new-series rate waits this long (every series is new after a restart). */
      new_series_warmup_ms: durationMs.default(10 * 60_000),
      /**
       * Jobs waiting in the ingest queues (all partitions) at which ingest answers
       * "retry later" (429, or 503 for remote_write) with Retry-After, until they drain to 80%.
       */
      queue_high_water_jobs: z.number().int().min(1).default(2000),
      /** Rejections are logged as one summary line per this interval. */
      rejection_log_interval_ms: durationMs.min(1000).default(60_000),
      /** Bearer tokens the ingest endpoints ask for; none configured: no auth. */
      auth: z
        .strictObject({
          tokens: z
            .array(
              z
                .strictObject({
                  /** Names the sender in logs and errors. */
                  name: z.string().min(1),
                  /** The token itself (prefer token_env or token_file: configs get shared). */
                  token: z.string().min(16).optional(),
                  /** Environment variable that holds the token. */
                  token_env: z.string().min(1).optional(),
                  /** File that holds the token (a mounted secret); read at start. */
                  token_file: z.string().min(1).optional(),
                  /** Endpoints this token may send to; all when unset. */
                  sources: z.array(z.enum(IngestSources)).min(1).optional(),
                })
                .refine(
                  (t) =>
                    [t.token, t.token_env, t.token_file].filter((v) => v !== undefined).length ===
                    1,
                  { message: 'give exactly one of token, token_env, token_file' },
                ),
            )
            .default([])
            .refine((ts) => new Set(ts.map((t) => t.name)).size === ts.length, {
              message: 'token names must be unique',
            }),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * Pull ingest: samples read from a Prometheus HTTP API (query_range) or scraped from
   * `/metrics` targets, on schedules kept in Redis (BullMQ job schedulers), queued like pushed
   * ones. Each query and each target runs one run at a time, across every process.
   */
  pull: z
    .strictObject({
      /** Prometheus servers (or anything serving its HTTP API) to read series from. */
      prometheus: z
        .array(
          z.strictObject({
            name: pullName,
            /** Base URL; queries go to `<url>/api/v1/query_range`. */
            url: z.url(),
            queries: z
              .array(
                z.strictObject({
                  /** Names the query; the metric name of result series without `__name__`. */
                  name: z
                    .string()
                    .regex(
                      /^[a-zA-Z_:][a-zA-Z0-9_:]{0,127}$/,
                      'a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*',
                    ),
                  /** PromQL expression, evaluated at every step. */
                  query: z.string().min(1),
                  /** Resolution of the range read. */
                  step_ms: durationMs.min(1000).default(15_000),
                  /** How often a run reads what is new since the last one. */
                  interval_ms: durationMs.min(1000).default(60_000),
                  /** The service of result series that carry none of `ingest.service_labels`. */
                  service: serviceName.optional(),
                }),
              )
              .min(1)
              .superRefine(uniqueNames),
            /** A run reads up to now minus this: the newest data in Prometheus is incomplete. */
            latency_offset_ms: durationMs.default(60_000),
            // Small by default: a call's answer is decoded in one go, which holds the event loop
            // (about 2.5 s for 1M points); 1000 points of 100 series stay near a quarter second.
            /** Points per series per call at most; a longer range is split (Prometheus allows 11,000). */
            max_points_per_query: z.number().int().min(2).max(11_000).default(1000),
            /** How far back the first run (or a run after a long outage) reads at most. */
            catch_up_ms: durationMs.default(3_600_000),
            /** Per query_range call. */
            timeout_ms: durationMs.min(100).default(10_000),
            /** Sent as `Authorization: Bearer`; `bearer_token_file: PATH` reads it from a file. */
            bearer_token: z.string().min(1).optional(),
          }),
        )
        .superRefine(uniqueNames)
        .default([]),
      /** `/metrics` endpoints scraped directly (Prometheus text format or OpenMetrics). */
      scrape: z
        .array(
          z.strictObject({
            name: pullName,
            /** The full URL, `http://host:port/metrics`. */
            url: z.url(),
            interval_ms: durationMs.min(1000).default(15_000),
            timeout_ms: durationMs.min(100).default(10_000),
            /** The service of series that carry none of `ingest.service_labels`. */
            service: serviceName.optional(),
            /** Added to every series of the target (they win over exposed labels). */
            labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string()).default({}),
          }),
        )
        .superRefine(uniqueNames)
        .default([]),
      /** A scrape body (or a query_range answer) larger than this fails that scrape (or call). */
      max_scrape_bytes: z
        .number()
        .int()
        .min(1024)
        .default(16 * 1024 * 1024),
      /** A scrape with more samples than this fails. */
      max_scrape_samples: z.number().int().min(1).default(200_000),
    })
    .prefault({}),
  queues: z
    .strictObject({
      /** Partition queues per stream: a series always hashes to the same one. */
      partitions: z.number().int().min(1).max(1024).default(16),
      /** Attempts per job before it fails for good. */
      attempts: z.number().int().min(1).default(8),
      /** First retry delay; doubles on each attempt. */
      backoff_ms: durationMs.default(500),
    })
    .prefault({}),
  detect: z
    .strictObject({
      /** Score at or above which a sample becomes an anomaly event. */
      anomaly_threshold: z.number().min(0).max(1).default(0.9),
      /** /metrics holds a series' highest score for this long (event time). */
      hold_ms: durationMs.default(5 * 60_000),
      /** Samples scored between yields to the event loop (keeps each slice short). */
      slice_samples: z.number().int().min(100).default(5000),
      detectors: z
        .strictObject({
          /** The detector of every series no override matches (`aiops-worker score --help` lists them). */
          default: z.string().default('ensemble'),
          /** Parameters per detector name, snake_case or camelCase (see detectors/*.ts). */
          params: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
          /** First match wins: series whose metric and/or service match use another detector. */
          overrides: z
            .array(
              z.strictObject({
                match: z.strictObject({
                  /** Metric name; `*` matches any run of characters. */
                  metric: z.string().min(1).optional(),
                  service: z.string().min(1).optional(),
                }),
                use: z.string(),
                params: z.record(z.string(), z.unknown()).default({}),
              }),
            )
            .default([]),
        })
        .prefault({}),
    })
    .prefault({}),
  logs: z
    .strictObject({
      /** Width of the buckets in which log lines are counted per template (event time). */
      bucket_ms: durationMs.min(1000).default(60_000),
      /** A service's templates count as new only this long after its first line (event time). */
      learning_ms: durationMs.default(24 * 3_600_000),
      /** Levels at which a template first seen after learning is an anomaly. */
      new_template_levels: z
        .array(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']))
        .default(['warn', 'error', 'fatal']),
      /** Example lines kept per template, shown in log anomalies. */
      examples: z.number().int().min(0).max(20).default(3),
      /** Empty buckets between two lines of a service scored as zero counts at most. */
      max_gap_buckets: z.number().int().min(0).max(10_000).default(60),
      /** Lines below which a bucket's counts are noise (template rates, error ratio). */
      min_lines: z.number().int().min(1).default(5),
      /** New-template anomalies per service per bucket at most (the rest are counted). */
      new_template_limit: z.number().int().min(0).default(3),
      /** The template miner (detectors/log-templates.ts). */
      templates: z
        .strictObject({
          /** Parse-tree depth: token count, then depth - 2 leading tokens. */
          // A lookup visits up to 2^(depth - 2) leaves: 8 keeps that at 64.
          depth: z.number().int().min(3).max(8).default(DEFAULT_LOG_TEMPLATE_OPTIONS.depth),
          /** Share of a message's tokens that must match a template for it to join. */
          similarity: z.number().gt(0).max(1).default(DEFAULT_LOG_TEMPLATE_OPTIONS.similarity),
          max_children: z.number().int().min(1).default(DEFAULT_LOG_TEMPLATE_OPTIONS.maxChildren),
          /** Templates kept per service; the least recently seen go first. */
          max_templates: z
            .number()
            .int()
            .min(1)
            .max(100_000)
            .default(DEFAULT_LOG_TEMPLATE_OPTIONS.maxTemplates),
          /** Distinct words at one place before it becomes a variable. */
          word_values: z.number().int().min(2).default(DEFAULT_LOG_TEMPLATE_OPTIONS.wordValues),
        })
        .prefault({}),
    })
    .prefault({}),
  correlate: z
    .strictObject({
      /** An anomaly joins an incident within this long of the incident's anomalies. */
      window_ms: durationMs.default(10 * 60_000),
      /** A new incident waits this long after its first anomaly before it opens (and pages). */
      settle_ms: durationMs.default(60_000),
      /** Anomalies an incident needs to open (one scoring severe_score or more is enough). */
      min_anomalies: z.number().int().min(1).default(2),
      severe_score: z.number().min(0).max(1).default(0.99),
      /** An open incident resolves after this long without a new anomaly. */
      quiet_ms: durationMs.default(15 * 60_000),
      /** A related anomaly this soon after resolving reopens the same incident. */
      flap_hold_ms: durationMs.default(10 * 60_000),
      /** An incident open this long is resolved; new anomalies start a new one. */
      max_incident_ms: durationMs.default(6 * 3_600_000),
      /** Labels whose equal values group anomalies even without a graph edge. */
      grouping_labels: z.array(z.string().min(1)).default([]),
      /** Live: how late an anomaly may arrive (after its own time) and still join before its incident opens. */
      lateness_ms: durationMs.default(15_000),
      /** How often the live correlator moves event time on without new anomalies. */
      tick_ms: durationMs.min(1000).default(15_000),
      /** Timeline entries kept per incident (all are counted). */
      max_timeline: z.number().int().min(1).max(10_000).default(200),
      /** Signal-name globs (`*`) that say what a signal measures; a traffic drop is a symptom. */
      signals: z
        .strictObject({
          traffic: z.array(z.string().min(1)).optional(),
          errors: z.array(z.string().min(1)).optional(),
          latency: z.array(z.string().min(1)).optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * Maintenance windows: from each time `cron` names (in `time_zone`) for `duration_ms`, the
   * listed services (all when empty) are neither learned from nor scored, and their incidents
   * notify nobody.
   */
  maintenance: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        cron: z.string().min(1),
        duration_ms: durationMs.min(60_000),
        time_zone: z.string().min(1).default('UTC'),
        services: z.array(z.string().min(1)).default([]),
      }),
    )
    .default([]),
  notify: z
    .strictObject({
      /** Alertmanager base URLs, every replica (never a load balancer): `http://am-0:9093`. */
      alertmanagers: z.array(z.url()).default([]),
      /** How on-call reaches this worker: alerts link to /api/v1/incidents/ID under it. */
      external_url: z.url().default('http://127.0.0.1:9470'),
      /** Added to every alert as the `runbook_url` annotation. */
      runbook_url: z.url().optional(),
      /** Open incidents are re-sent this often (Alertmanager expects 30 s to 3 min). */
      resend_ms: durationMs.min(1000).default(60_000),
      /** Resolved incidents are re-sent this long, so a restarted Alertmanager learns of them. */
      resolved_resend_ms: durationMs.default(5 * 60_000),
      /** Direct receivers: each incident transition (opened, acknowledged, reopened, resolved). */
      receivers: z
        .array(
          z.strictObject({
            name: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/),
            type: z.enum(['webhook', 'pagerduty', 'slack']),
            /** Webhook or Slack URL; for PagerDuty the Events API v2 endpoint. */
            url: z.url(),
            /** Webhook signing secret (`whsec_<base64>`, Standard Webhooks). */
            secret: z.string().min(1).optional(),
            /** PagerDuty integration key. */
            routing_key: z.string().min(1).optional(),
            /** Only these severities (`critical`, `warning`); all when empty. */
            severities: z.array(z.enum(['critical', 'warning'])).default([]),
            /** Only incidents touching these services; all when empty. */
            services: z.array(z.string().min(1)).default([]),
            /** Remind this often while an incident stays open and unacknowledged. */
            repeat_interval_ms: durationMs.min(60_000).optional(),
          }),
        )
        .default([]),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Series at or above this score are always exported on /metrics. */
      export_min_score: z.number().min(0).max(1).default(0.5),
      /** The highest-scoring N series are exported too, whatever their score. */
      export_top_n: z.number().int().min(0).max(10_000).default(100),
      /** A series not scored for this long leaves /metrics. */
      stale_after_ms: durationMs.default(5 * 60_000),
    })
    .prefault({}),
  shutdown: z
    .strictObject({
      /** How long SIGTERM waits for in-flight requests and jobs before it forces. */
      drain_timeout_ms: durationMs.default(10_000),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  tracing: z
    .strictObject({
      /** OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`). Unset: SDK off. */
      otlp_endpoint: z.url().optional(),
      service_name: z.string().min(1).default('aiops-worker'),
    })
    .prefault({}),
});

/** The services map alone, to check the dependency graph even when other keys are invalid. */
export const servicesSchema = configSchema.shape.services;

export interface GraphIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Dependency-graph problems: references to unknown services and self-dependencies. */
export function graphIssues(services: z.output<typeof servicesSchema>): GraphIssue[] {
  const issues: GraphIssue[] = [];
  for (const [name, svc] of Object.entries(services)) {
    svc.depends_on.forEach((dep, i) => {
      const path = ['services', name, 'depends_on', i];
      if (dep === name) issues.push({ path, message: `service "${name}" cannot depend on itself` });
      else if (!Object.hasOwn(services, dep))
        issues.push({ path, message: `unknown service "${dep}"` });
    });
  }
  return issues;
}

/** The validated, defaulted, frozen configuration. */
export type Config = z.output<typeof configSchema>;
