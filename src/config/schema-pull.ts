/** `pull`: samples read from Prometheus's HTTP API or scraped from `/metrics` targets. */
import { z } from 'zod';
import { durationMs, serviceName, uniqueNames } from './schema-common.js';

/** Names of pull sources: they appear in Redis keys and metric labels. */
const pullName = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'names are 1-64 of [a-zA-Z0-9_.-]')
  .describe('Names the source in Redis keys and metric labels; unique.');

const query = z.strictObject({
  name: z
    .string()
    .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,127}$/, 'a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*')
    .describe('Names the query; the metric name of result series without `__name__`.'),
  query: z.string().min(1).describe('PromQL expression, evaluated at every step.'),
  step_ms: durationMs.min(1000).default(15_000).describe('Resolution of the range read.'),
  interval_ms: durationMs
    .min(1000)
    .default(60_000)
    .describe('How often a run reads what is new since the last one.'),
  service: serviceName
    .optional()
    .describe('The service of result series that carry none of `ingest.service_labels`.'),
});

const prometheus = z.strictObject({
  name: pullName,
  url: z.url().describe('Base URL; queries go to `<url>/api/v1/query_range`.'),
  queries: z.array(query).min(1).superRefine(uniqueNames).describe('The queries; unique names.'),
  latency_offset_ms: durationMs
    .default(60_000)
    .describe('A run reads up to now minus this: the newest data in Prometheus is incomplete.'),
  // Small by default: a call's answer is decoded in one go, which holds the event loop
  // (about 2.5 s for 1M points); 1000 points of 100 series stay near a quarter second.
  max_points_per_query: z
    .number()
    .int()
    .min(2)
    .max(11_000)
    .default(1000)
    .describe(
      'Points per series per call at most; a longer range is split (Prometheus allows 11,000).',
    ),
  catch_up_ms: durationMs
    .default(3_600_000)
    .describe('How far back the first run (or a run after a long outage) reads at most.'),
  timeout_ms: durationMs.min(100).default(10_000).describe('Per query_range call.'),
  bearer_token: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Sent as `Authorization: Bearer`; `bearer_token_file: PATH` reads it from a file, `${VAR}` from the environment.',
    ),
});

const scrape = z.strictObject({
  name: pullName,
  url: z.url().describe('The full URL, `http://host:port/metrics`.'),
  interval_ms: durationMs.min(1000).default(15_000).describe('How often the target is scraped.'),
  timeout_ms: durationMs.min(100).default(10_000).describe('Per scrape.'),
  service: serviceName
    .optional()
    .describe('The service of series that carry none of `ingest.service_labels`.'),
  labels: z
    .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string())
    .default({})
    .describe('Added to every series of the target (they win over exposed labels).'),
});

export const pullSchema = z
  .strictObject({
    prometheus: z
      .array(prometheus)
      .superRefine(uniqueNames)
      .default([])
      .describe('Prometheus servers (or anything serving its HTTP API) to read series from.'),
    scrape: z
      .array(scrape)
      .superRefine(uniqueNames)
      .default([])
      .describe('`/metrics` endpoints scraped directly (Prometheus text format or OpenMetrics).'),
    max_scrape_bytes: z
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024)
      .describe(
        'A scrape body (or a query_range answer) larger than this fails that scrape (or call).',
      ),
    max_scrape_samples: z
      .number()
      .int()
      .min(1)
      .default(200_000)
      .describe('A scrape with more samples than this fails.'),
  })
  .prefault({})
  .describe(
    'Pull ingest: samples read from a Prometheus HTTP API (query_range) or scraped from `/metrics` targets, on schedules kept in Redis, queued like pushed ones. Each query and each target runs one run at a time, across every process.',
  );
