/** `server` and `ingest`: where the worker listens and what the ingest endpoints accept. */
import { z } from 'zod';
import { durationMs } from './schema-common.js';

/** The ingest endpoints, by the kind of sender that uses them. */
export const IngestSources = ['samples', 'remote_write', 'otlp', 'loki'] as const;
export type IngestSource = (typeof IngestSources)[number];

/** As short as a bearer token may be. */
export const MIN_TOKEN_CHARS = 16;

export const serverSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Address to listen on.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9470)
      .describe('Port for every HTTP endpoint (ingest, /metrics, /healthz, /readyz, the API).'),
    body_limit_bytes: z
      .number()
      .int()
      .min(1024)
      .default(8 * 1024 * 1024)
      .describe('Largest accepted request body in bytes; larger ones get 413.'),
    admin_token: z
      .string()
      .min(MIN_TOKEN_CHARS)
      .optional()
      .describe(
        'Bearer token every write of the API asks for (acknowledging an incident, approving or rejecting a remediation, the kill switch, feedback, suppressions), in the Authorization header only. Unset: every write is refused. Give it as `${VAR}` or `admin_token_file`.',
      ),
    read_token: z
      .string()
      .min(MIN_TOKEN_CHARS)
      .optional()
      .describe(
        "Token the read side asks for (the API's GET endpoints, `/status`, `/incidents/ID`): as `Authorization: Bearer <token>`, or as the password of HTTP Basic authentication so a browser prompts for it; the admin token is accepted too. Unset: reads are open to whoever reaches the port. `/metrics`, `/healthz` and `/readyz` stay open. Give it as `${VAR}` or `read_token_file`.",
      ),
    public_status: z
      .boolean()
      .default(false)
      .describe(
        "Serve `/status/public` to anyone, without a token: each service's state and the incidents' summaries only (no series or signal names, no log text, no links to incident pages).",
      ),
    status_refresh_ms: durationMs
      .min(5000)
      .default(15_000)
      .describe('How often the status page refreshes itself (a plain reload without JavaScript).'),
  })
  .prefault({})
  .describe('The HTTP server.');

const token = z
  .strictObject({
    name: z.string().min(1).describe('Names the sender in logs and errors.'),
    token: z
      .string({
        error: (iss) =>
          iss.input === undefined
            ? 'set the token: `token: ${VAR}` (an environment variable) or `token_file: PATH`'
            : undefined,
      })
      .min(MIN_TOKEN_CHARS)
      .describe(
        'The token. Keep it out of the file: `token: ${AIOPS_OTEL_TOKEN}` reads an environment variable, `token_file: /run/secrets/x` a file (read at start, trimmed).',
      ),
    sources: z
      .array(z.enum(IngestSources))
      .min(1)
      .optional()
      .describe('Endpoints this token may send to; all when unset.'),
  })
  .describe('One sender.');

export const ingestSchema = z
  .strictObject({
    service_labels: z
      .array(z.string().min(1))
      .min(1)
      .default(['service'])
      .describe(
        "Labels that name a series' service, first present wins. A metric series with none of them is not scored: counted as `missing_service` (remote_write and OTLP still answer 2xx).",
      ),
    drop_meta_series: z
      .boolean()
      .default(true)
      .describe(
        "Leave out what the monitoring stack says about itself: Prometheus' `ALERTS`, `ALERTS_FOR_STATE`, `up`, `scrape_*` and `prometheus_*`, Alertmanager's `alertmanager_*`, the worker's own `aiops_*`, and every series of the scrape jobs `aiops-worker`, `prometheus` and `alertmanager`. They are counted as `meta_series`, never refused. `false` scores them like any series.",
      ),
    keep_meta_series: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Metric names (`*` globs, case-insensitive) scored even though `drop_meta_series` leaves them out, e.g. `[up, "prometheus_tsdb_head_series"]`.',
      ),
    max_labels_per_series: z
      .number()
      .int()
      .min(1)
      .default(30)
      .describe('Labels per record at most; a record with more is rejected.'),
    max_label_name_length: z
      .number()
      .int()
      .min(1)
      .default(128)
      .describe('Characters per label name at most; a record with a longer one is rejected.'),
    max_label_value_length: z
      .number()
      .int()
      .min(1)
      .default(1024)
      .describe(
        'Characters per label value (and service name) at most; a record with a longer one is rejected.',
      ),
    max_decompressed_bytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024 * 1024)
      .describe(
        'A compressed body (remote_write, Loki, OTLP) may inflate to this many bytes; more gets 413.',
      ),
    max_records_per_request: z
      .number()
      .int()
      .min(1)
      .default(100_000)
      .describe('Records in one request at most; a larger request gets 413 and should be split.'),
    batch_max_samples: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1000)
      .describe('Samples per queued job at most.'),
    batch_linger_ms: durationMs
      .max(10_000)
      .default(20)
      .describe('How long ingest waits to fill a batch before queuing it.'),
    max_active_series: z
      .number()
      .int()
      .min(1)
      .default(200_000)
      .describe('Active series at most, overall; samples of further new series are refused.'),
    max_active_series_per_service: z
      .number()
      .int()
      .min(1)
      .default(50_000)
      .describe('Active series at most per service.'),
    max_new_series_per_minute: z
      .number()
      .int()
      .min(1)
      .default(50_000)
      .describe("New series admitted per minute at most (burst: one minute's worth)."),
    series_idle_ms: durationMs
      .min(1000)
      .default(60 * 60_000)
      .describe('A series not seen for this long stops counting as active.'),
    new_series_warmup_ms: durationMs
      .default(10 * 60_000)
      .describe(
        'After start, the new-series rate waits this long (every series is new after a restart).',
      ),
    queue_high_water_jobs: z
      .number()
      .int()
      .min(1)
      .default(2000)
      .describe(
        'Jobs waiting in the ingest queues (all partitions) at which ingest answers "retry later" (429, or 503 for remote_write) with Retry-After, until they drain to 80%.',
      ),
    queue_high_water_lag_ms: durationMs
      .default(30_000)
      .describe(
        'How far behind scoring may fall (the median partition\'s oldest waiting batch) before ingest answers "retry later" as for `queue_high_water_jobs`, until it is under 80%; 0 watches the job count only.',
      ),
    rejection_log_interval_ms: durationMs
      .min(1000)
      .default(60_000)
      .describe('Rejections are logged as one summary line per this interval.'),
    auth: z
      .strictObject({
        tokens: z
          .array(token)
          .default([])
          .refine((ts) => new Set(ts.map((t) => t.name)).size === ts.length, {
            message: 'token names must be unique',
          })
          .describe('The senders, one token each; none: no auth.'),
      })
      .prefault({})
      .describe(
        'Bearer tokens the ingest endpoints ask for (`Authorization: Bearer <token>`); none configured: no auth.',
      ),
  })
  .prefault({})
  .describe('Push ingest: limits and authentication of the ingest endpoints.');
