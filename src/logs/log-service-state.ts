/**
 * What the log stage (log-analysis.ts) keeps per service: its template miner, the open bucket's
 * counts, and the detector series of its templates and its error ratio, with the names
 * (LogSignals) and settings they are kept under.
 */
import type { Detector } from '../../detectors/contract.js';
import type { LogTemplateOptions } from '../../detectors/log-template-options.js';
import { LogLineReader, type LogLineReaderOptions } from '../../detectors/log-line-reader.js';
import { LogTemplateMiner } from '../../detectors/log-templates.js';
import type { ScoringOptions } from '../detect/score-batch.js';
import { createSeriesState, type SeriesState } from '../detect/series-state.js';
import { seriesKey } from '../queues/series-key.js';
import type { SeriesMeta } from '../queues/contract.js';

export const LogSignals = {
  templateLines: 'log_template_lines',
  errorRatio: 'log_error_ratio',
  newTemplate: 'log_new_template',
} as const;

export interface LogAnalysisSettings {
  readonly templates: Partial<LogTemplateOptions>;
  /** Width of a count bucket, ms of event time. */
  readonly bucketMs: number;
  /** A service's templates are not "new" until this long after its first line. */
  readonly learningMs: number;
  /** Normalised levels at which a new template is an anomaly. */
  readonly newTemplateLevels: ReadonlySet<string>;
  /** Example lines kept per template (evidence in anomaly events). */
  readonly maxExamples: number;
  /** Empty buckets scored as zeros between two records at most. */
  readonly maxGapBuckets: number;
  /**
   * Lines below which counts are noise: a template's detectors see its count minus
   * (minLines - 1), floored at 0; a bucket's error ratio is scored only with this many lines,
   * and a rise only with this many error lines.
   */
  readonly minLines: number;
  /** New-template anomalies per service per bucket at most (free text must not flood). */
  readonly newTemplateLimit: number;
  readonly scoring: ScoringOptions;
  /** The detector of a log series (the detect config's choice, by metric and service). */
  readonly detectorOf: (meta: SeriesMeta) => Detector<unknown>;
}

/** The series id of the error ratio (template series go by template id). */
export const ERROR_RATIO_ID = -1;

export interface LogSeries {
  readonly meta: SeriesMeta;
  readonly detector: Detector<unknown>;
  readonly state: SeriesState<unknown>;
  /** Template series: lines per bucket, exponentially weighted (NaN before the first). */
  rate: number;
  /** Template series: end of the last bucket with lines. */
  lastActive: number;
}

/** What the log stage keeps per service. */
export interface ServiceLogState {
  readonly service: string;
  readonly miner: LogTemplateMiner;
  /** Reads each line as the miner should see it: header learned and stripped, records by key. */
  readonly reader: LogLineReader;
  /** Event time of the service's first line: the learning period starts there. */
  firstTs: number;
  /** Start of the open bucket; -Infinity before the first line. */
  bucketStart: number;
  /** Lines per template id in the open bucket. */
  readonly counts: Map<number, number>;
  lines: number;
  errors: number;
  /** New-template anomalies emitted in the open bucket. */
  newInBucket: number;
  /** Most severe level seen per template. */
  readonly levels: Map<number, string>;
  readonly examples: Map<number, string[]>;
  /** Detector series by template id (ERROR_RATIO_ID for the error ratio). */
  readonly series: Map<number, LogSeries>;
}

export function createServiceLogState(
  service: string,
  settings: Pick<LogAnalysisSettings, 'templates'>,
): ServiceLogState {
  return {
    service,
    miner: new LogTemplateMiner(settings.templates),
    reader: lineReaderFor(settings.templates),
    firstTs: Number.NaN,
    bucketStart: Number.NEGATIVE_INFINITY,
    counts: new Map(),
    lines: 0,
    errors: 0,
    newInBucket: 0,
    levels: new Map(),
    examples: new Map(),
    series: new Map(),
  };
}

/** The line reader's options from the miner's (the configured template keys). */
export const readerOptions = (templates: Partial<LogTemplateOptions>): LogLineReaderOptions => ({
  templateKeys: new Set(templates.templateKeys ?? []),
});

/** A fresh line reader for a service. */
export const lineReaderFor = (templates: Partial<LogTemplateOptions>): LogLineReader =>
  new LogLineReader(readerOptions(templates));

export function seriesMeta(service: string, templateId: number): SeriesMeta {
  const labels: Record<string, string> =
    templateId === ERROR_RATIO_ID ? { service } : { service, template_id: String(templateId) };
  const metric = templateId === ERROR_RATIO_ID ? LogSignals.errorRatio : LogSignals.templateLines;
  return { key: seriesKey(metric, labels), metric, service, labels, counter: false };
}

export function seriesOf(s: ServiceLogState, id: number, settings: LogAnalysisSettings): LogSeries {
  let series = s.series.get(id);
  if (series === undefined) {
    const meta = seriesMeta(s.service, id);
    const detector = settings.detectorOf(meta);
    series = {
      meta,
      detector,
      state: createSeriesState(detector),
      rate: Number.NaN,
      lastActive: Number.NEGATIVE_INFINITY,
    };
    s.series.set(id, series);
  }
  return series;
}
