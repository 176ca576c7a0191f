/** `detect` and `logs`: how series are scored and how log lines become anomalies. */
import { z } from 'zod';
import { DEFAULT_LOG_TEMPLATE_OPTIONS } from '../../detectors/log-template-options.js';
import { durationMs } from './schema-common.js';

const params = z
  .record(z.string(), z.unknown())
  .default({})
  .describe('Detector parameters in snake_case, as docs/detectors.md lists them.');

const override = z.strictObject({
  match: z
    .strictObject({
      metric: z
        .string()
        .min(1)
        .optional()
        .describe('Metric name; `*` matches any run of characters.'),
      service: z
        .string()
        .min(1)
        .optional()
        .describe('Service name; `*` matches any run of characters.'),
    })
    .describe('Series whose metric and service both match (an unset one matches all).'),
  use: z.string().describe('The detector of matching series (`default`: the default one).'),
  params: params.describe(
    'Parameters on top of `detect.detectors.params` of that detector, in snake_case.',
  ),
});

export const detectSchema = z
  .strictObject({
    anomaly_threshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.9)
      .describe('Score at or above which a sample becomes an anomaly event.'),
    hold_ms: durationMs
      .default(5 * 60_000)
      .describe("/metrics holds a series' highest score for this long (event time)."),
    history_keep_ms: durationMs
      .default(6 * 3_600_000)
      .describe(
        'Recent history each series keeps in Redis for the pages (a point a minute): per series about 17 KB at 6 h and 3 commands a minute; 0 turns it off (pages show the latest point).',
      ),
    state_ttl_ms: durationMs
      .default(7 * 24 * 3_600_000)
      .describe(
        "A series not scored for this long is forgotten: its detector state expires in Redis (a TTL refreshed on each write), and with it its score-board entry, history list and the workers' cached copy; it learns afresh if it comes back. 0 keeps state for ever.",
      ),
    checkpoint_ms: durationMs
      .default(60_000)
      .describe(
        "A series' detector state is written to Redis at most this often; in between it changes in the memory of the process that holds the series' partition, and is written at this age, when the partition is handed over and at shutdown. A process killed without a shutdown loses at most this long of its series' learning (never a count, never an anomaly). 0 writes every state with every batch. Kept under half of state_ttl_ms.",
      ),
    slice_samples: z
      .number()
      .int()
      .min(100)
      .default(5000)
      .describe('Samples scored between yields to the event loop (keeps each slice short).'),
    detectors: z
      .strictObject({
        default: z
          .string()
          .default('ensemble')
          .describe(
            'The detector of every series no override matches (`aiops-worker score --help` lists them).',
          ),
        params: z
          .record(z.string(), z.record(z.string(), z.unknown()))
          .default({})
          .describe(
            'Parameters per detector name, in snake_case (docs/detectors.md lists them): `ensemble: { min_dev_absolute: 5 }`.',
          ),
        overrides: z
          .array(override)
          .default([])
          .describe(
            'First match wins: series whose metric and/or service match use another detector.',
          ),
      })
      .prefault({})
      .describe('Which detector scores which series, and with which parameters.'),
  })
  .prefault({})
  .describe('Scoring of metric series.');

export const logsSchema = z
  .strictObject({
    bucket_ms: durationMs
      .min(1000)
      .default(60_000)
      .describe('Width of the buckets in which log lines are counted per template (event time).'),
    learning_ms: durationMs
      .default(24 * 3_600_000)
      .describe(
        "A service's templates count as new only this long after its first line (event time).",
      ),
    new_template_levels: z
      .array(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']))
      .default(['warn', 'error', 'fatal'])
      .describe('Levels at which a template first seen after learning is an anomaly.'),
    examples: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe('Example lines kept per template, shown in log anomalies.'),
    max_gap_buckets: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(60)
      .describe('Empty buckets between two lines of a service scored as zero counts at most.'),
    min_lines: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe("Lines below which a bucket's counts are noise (template rates, error ratio)."),
    new_template_limit: z
      .number()
      .int()
      .min(0)
      .default(3)
      .describe('New-template anomalies per service per bucket at most (the rest are counted).'),
    templates: z
      .strictObject({
        // A lookup visits up to 2^(depth - 2) leaves: 8 keeps that at 64.
        depth: z
          .number()
          .int()
          .min(3)
          .max(8)
          .default(DEFAULT_LOG_TEMPLATE_OPTIONS.depth)
          .describe('Parse-tree depth: token count, then depth - 2 leading tokens.'),
        similarity: z
          .number()
          .gt(0)
          .max(1)
          .default(DEFAULT_LOG_TEMPLATE_OPTIONS.similarity)
          .describe("Share of a message's tokens that must match a template for it to join."),
        max_children: z
          .number()
          .int()
          .min(1)
          .default(DEFAULT_LOG_TEMPLATE_OPTIONS.maxChildren)
          .describe('Children per parse-tree node at most; further tokens share a wildcard child.'),
        max_templates: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(DEFAULT_LOG_TEMPLATE_OPTIONS.maxTemplates)
          .describe('Templates kept per service; the least recently seen go first.'),
        word_values: z
          .number()
          .int()
          .min(2)
          .default(DEFAULT_LOG_TEMPLATE_OPTIONS.wordValues)
          .describe('Distinct words at one place before it becomes a variable.'),
        template_keys: z
          .array(z.string().min(1).max(200))
          .max(100)
          .default([])
          .describe(
            'Keys of logfmt and JSON records whose values are part of the template (all other values are variables).',
          ),
      })
      .prefault({})
      .describe('The template miner (detectors/log-templates.ts).'),
  })
  .prefault({})
  .describe('Log analysis: log lines counted per template and service, scored per bucket.');
