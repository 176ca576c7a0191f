/**
 * The one configuration schema, assembled from one file per section. Every key but `services`
 * has a default, so a file holding only a `services:` map is a complete configuration. Keys are
 * snake_case as in the YAML file. Each field's `.describe()` text feeds both the JSON Schema
 * (config/config.schema.json) and the reference page (docs/configuration.md).
 */
import { z } from 'zod';
import { durationMs } from './schema-common.js';
import { correlateSchema } from './schema-correlate.js';
import { detectSchema, logsSchema } from './schema-detect.js';
import { ingestSchema, serverSchema } from './schema-ingest.js';
import { notifySchema } from './schema-notify.js';
import { pullSchema } from './schema-pull.js';
import { redisUrlProblem } from './redis-url.js';
import { remediationSchema } from './schema-remediation.js';
import { servicesSchema } from './schema-services.js';

export { graphIssues, servicesSchema, type GraphIssue } from './schema-services.js';

const redisSchema = z
  .strictObject({
    url: z
      .string()
      .superRefine((url, ctx) => {
        const problem = redisUrlProblem(url);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional()
      .describe(
        'Redis URL: `redis://user:pass@host:port/db`, `rediss://` for TLS, or the path of a Unix socket. Unset: 127.0.0.1:6379 if it answers, else a private redis-server. The REDIS_URL environment variable wins over it (and is checked the same way).',
      ),
    connect_timeout_ms: durationMs
      .default(30_000)
      .describe(
        'How long `start` waits for Redis to answer before it exits 1 (AIOPS_ERR_REDIS_UNAVAILABLE), logging each retry; 0 tries once.',
      ),
    prefix: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]+$/)
      .default('aiops')
      .describe('Key prefix of every key and queue, so several deployments can share one Redis.'),
    cluster: z
      .boolean()
      .default(false)
      .describe(
        'Redis Cluster: `url` names one node (any), the others are found from it. Keys and queues carry hash tags, so each partition lives in its own slot and the partitions spread over the shards (docs/operations.md). Keys differ from a single Redis: switching starts afresh.',
      ),
    data_dir: z
      .string()
      .min(1)
      .default('.aiops/redis')
      .describe('Folder of the private redis-server started when no Redis answers.'),
  })
  .superRefine((r, ctx) => {
    if (r.cluster && r.url !== undefined && !/^rediss?:\/\//.test(r.url))
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'with redis.cluster, a redis:// or rediss:// URL of one node (not a socket path)',
      });
  })
  .prefault({})
  .describe('Where state, queues and schedules live.');

const queuesSchema = z
  .strictObject({
    partitions: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(16)
      .describe('Partition queues per stream: a series always hashes to the same one.'),
    attempts: z
      .number()
      .int()
      .min(1)
      .default(8)
      .describe('Attempts per job before it fails for good.'),
    backoff_ms: durationMs.default(500).describe('First retry delay; doubles on each attempt.'),
  })
  .prefault({})
  .describe('The BullMQ queues between the stages.');

const maintenanceSchema = z
  .array(
    z.strictObject({
      name: z.string().min(1).describe('Names the window in logs.'),
      cron: z
        .string()
        .min(1)
        .describe('When the window opens: five cron fields (minute hour day month weekday).'),
      duration_ms: durationMs.min(60_000).describe('How long the window stays open.'),
      time_zone: z
        .string()
        .min(1)
        .default('UTC')
        .describe('IANA time zone of `cron` (DST-aware), such as Europe/Berlin.'),
      services: z
        .array(z.string().min(1))
        .default([])
        .describe('Services the window covers; all when empty.'),
    }),
  )
  .default([])
  .describe(
    'Maintenance windows: from each time `cron` names (in `time_zone`) for `duration_ms`, the listed services (all when empty) are neither learned from nor scored, and their incidents notify nobody.',
  );

const metricsSchema = z
  .strictObject({
    export_min_score: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Series at or above this score are always exported on /metrics.'),
    export_top_n: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(100)
      .describe('The highest-scoring N series are exported too, whatever their score.'),
    stale_after_ms: durationMs
      .default(5 * 60_000)
      .describe('A series not scored for this long leaves /metrics.'),
  })
  .prefault({})
  .describe('Which series scores /metrics exports.');

const shutdownSchema = z
  .strictObject({
    drain_timeout_ms: durationMs
      .default(10_000)
      .describe('How long SIGTERM waits for in-flight requests and jobs before it forces.'),
  })
  .prefault({})
  .describe('Graceful shutdown.');

const logSchema = z
  .strictObject({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Lowest level logged.'),
  })
  .prefault({})
  .describe("The worker's own log (JSON lines on stderr).");

const tracingSchema = z
  .strictObject({
    otlp_endpoint: z
      .url()
      .optional()
      .describe('OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`). Unset: SDK off.'),
    service_name: z
      .string()
      .min(1)
      .default('aiops-worker')
      .describe('`service.name` of the exported spans.'),
  })
  .prefault({})
  .describe("The worker's own traces.");

export const configSchema = z.strictObject({
  services: servicesSchema,
  server: serverSchema,
  redis: redisSchema,
  ingest: ingestSchema,
  pull: pullSchema,
  queues: queuesSchema,
  detect: detectSchema,
  logs: logsSchema,
  correlate: correlateSchema,
  maintenance: maintenanceSchema,
  notify: notifySchema,
  remediation: remediationSchema,
  metrics: metricsSchema,
  shutdown: shutdownSchema,
  log: logSchema,
  tracing: tracingSchema,
});

/** The validated, defaulted, frozen configuration. */
export type Config = z.output<typeof configSchema>;
