/**
 * The pure core of the log stage: log records in, log anomaly events out. The live worker and
 * `replay` both call it. No Redis, queue or clock: event time comes from the records.
 *
 * Per service:
 * - every line is read (detectors/log-line-reader.ts: the stream's header learned and stripped,
 *   logfmt and JSON records read by their keys and message field) and its message mined into a
 *   template (detectors/log-templates.ts); a record without a level takes the line's own;
 * - lines are counted per template per `bucketMs` bucket of event time. When a bucket closes
 *   (the first record of a later bucket arrives), each template's count becomes one sample of
 *   the series `log_template_lines{service, template_id}` and the share of error/fatal lines one
 *   sample of `log_error_ratio{service}`; both go through the same detectors as metrics, so a
 *   template-rate surge is an anomaly like any other. Empty buckets between two records count
 *   as zeros (up to `maxGapBuckets`);
 * - a template first seen after the service's learning period (`learningMs` of event time
 *   since its first line), at a level in `newTemplateLevels`, is a `log_new_template` anomaly
 *   at once: a new error message is the earliest sign of many outages.
 *
 * Log anomalies are anomaly events with `kind: 'log'`, the template text, its level and a few
 * example lines, so correlation and on-call read them like metric ones. Suppressions
 * (`settings.scoring.suppressed`) hold back log anomalies as they do metric ones, by the
 * anomaly's signal (`log_new_template`, `log_template_lines`, `log_error_ratio`) or series key.
 */
import { seriesKey } from '../queues/series-key.js';
import { fnv1a32 } from '../queues/partition.js';
import type { AnomalyEvent, LogRecord } from '../queues/contract.js';
import { isErrorLevel, levelRank, normaliseLevel } from './levels.js';
import { closeBuckets } from './log-bucket-scoring.js';
import { clip, TEMPLATE_CHARS, type LogOutcome } from './log-outcome.js';
import {
  LogSignals,
  seriesMeta,
  type LogAnalysisSettings,
  type ServiceLogState,
} from './log-service-state.js';

/** Scores of new-template anomalies by level: below `severe_score`, so one alone opens nothing. */
const NEW_TEMPLATE_SCORE: Record<string, number> = { warn: 0.95, error: 0.98, fatal: 0.985 };
const EXAMPLE_CHARS = 300;

/**
 * Analyses `records` (any order; they are taken in event-time order) into `out`. `stateOf`
 * returns the mutable state of a service (the caller loads or creates it). Records after
 * `maxTs` are skipped: one record from a clock years ahead would otherwise close every bucket
 * up to its time and leave the service's real records late.
 */
export function analyzeLogs(
  settings: LogAnalysisSettings,
  records: readonly LogRecord[],
  stateOf: (service: string) => ServiceLogState,
  out: LogOutcome,
  maxTs = Number.POSITIVE_INFINITY,
): void {
  const order = records.map((r, i) => ({ r, i })).sort((a, b) => a.r.ts - b.r.ts || a.i - b.i);
  for (const { r } of order) {
    if (!Number.isFinite(r.ts)) continue;
    if (r.ts > maxTs) {
      out.future += 1;
      continue;
    }
    const s = stateOf(r.service);
    out.touched.add(s.service);
    const bucket = Math.floor(r.ts / settings.bucketMs) * settings.bucketMs;
    if (s.bucketStart === Number.NEGATIVE_INFINITY) {
      s.bucketStart = bucket;
      s.firstTs = r.ts;
    } else if (bucket > s.bucketStart) {
      closeBuckets(settings, s, bucket, out);
    } else if (bucket < s.bucketStart) {
      out.late += 1;
    }
    const line = s.reader.read(r.message);
    // The record's level, or the line's own (its header or record field) when the record
    // carries none (ingest writes `info` then).
    const level = normaliseLevel(
      line.level !== undefined && (r.level === '' || r.level === 'info') ? line.level : r.level,
    );
    const match = s.miner.add(line.message);
    if (match.created) out.created += 1;
    if (match.changed) out.changed += 1;
    const id = match.id;
    s.counts.set(id, (s.counts.get(id) ?? 0) + 1);
    s.lines += 1;
    if (isErrorLevel(level)) s.errors += 1;
    const before = s.levels.get(id);
    if (before === undefined || levelRank(level) > levelRank(before)) s.levels.set(id, level);
    const examples = s.examples.get(id) ?? [];
    if (examples.length >= settings.maxExamples) examples.shift();
    if (settings.maxExamples > 0) examples.push(r.message.slice(0, EXAMPLE_CHARS));
    s.examples.set(id, examples);

    const learned = r.ts - s.firstTs >= settings.learningMs;
    if (match.created && learned && settings.newTemplateLevels.has(level)) {
      const a = newTemplateAnomaly(s, id, match.template, level, r);
      if (settings.scoring.suppressed?.(a.service, a.signal, a.series, a.ts) === true) {
        out.suppressed += 1;
        out.suppressedAnomalies.push(a);
      } else if (s.newInBucket < settings.newTemplateLimit) {
        s.newInBucket += 1;
        out.anomalies.push(a);
      } else out.suppressedNew += 1;
    }
  }
}

function newTemplateAnomaly(
  s: ServiceLogState,
  id: number,
  template: string,
  level: string,
  r: LogRecord,
): AnomalyEvent {
  const meta = seriesMeta(s.service, id);
  return {
    id: `${fnv1a32(`${LogSignals.newTemplate}|${s.service}|${template}`).toString(16)}-${r.ts}`,
    kind: 'log',
    series: seriesKey(LogSignals.newTemplate, meta.labels),
    service: s.service,
    signal: LogSignals.newTemplate,
    labels: meta.labels,
    ts: r.ts,
    value: 1,
    expected: 0,
    lower: 0,
    upper: 0,
    score: NEW_TEMPLATE_SCORE[level] ?? 0.95,
    detector: 'new_template',
    level,
    template: clip(template, TEMPLATE_CHARS),
    examples: [r.message.slice(0, EXAMPLE_CHARS)],
  };
}
