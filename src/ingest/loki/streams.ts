/**
 * Loki streams to log records, whichever form the push came in (JSON or snappy protobuf): the
 * one mapping both decoders call once they have a stream's labels and a line's timestamp, text
 * and structured metadata.
 *
 * A line's service is the first of `ingest.service_labels` in its stream labels, then
 * `service_name`, `app`, `job`; its level the structured metadata's `level` / `detected_level` /
 * `severity` / `lvl`, else the stream label of that name, else info; its labels the stream
 * labels plus the structured metadata. A bad stream or line is rejected on its own. Pure.
 */
import { LABEL_NAME, type LogSample, type RecordLimits } from '../records.js';

export interface LokiRejection {
  /** Where: `streams[2]` or `streams[2].values[5]` (JSON), `streams[2].entries[5]` (protobuf). */
  readonly at: string;
  readonly reason: string;
  readonly message: string;
}

export interface LokiPush {
  readonly samples: LogSample[];
  readonly rejections: LokiRejection[];
  /** Lines over all streams. */
  lines: number;
}

export const emptyLokiPush = (): LokiPush => ({ samples: [], rejections: [], lines: 0 });

const LEVEL_KEYS = ['level', 'detected_level', 'severity', 'lvl'];
const EXTRA_SERVICE_LABELS = ['service_name', 'app', 'job'];
const MAX_LINE = 64 * 1024;
const MAX_LEVEL = 16;

export const isRejection = (v: object): v is LokiRejection => 'reason' in v;

/** Why a label map cannot be taken (names, count, value lengths), or undefined. */
function labelsProblem(
  at: string,
  what: string,
  labels: Readonly<Record<string, string>>,
  limits: RecordLimits,
): LokiRejection | undefined {
  const names = Object.keys(labels);
  if (names.length > limits.maxLabels) {
    return {
      at,
      reason: 'too_many_labels',
      message: `${at} has ${names.length} ${what}, more than ${limits.maxLabels}`,
    };
  }
  for (const name of names) {
    if (!LABEL_NAME.test(name)) {
      return {
        at,
        reason: 'invalid_name',
        message: `${at}: ${what} name ${JSON.stringify(name.slice(0, 64))} is not valid`,
      };
    }
    if (
      name.length > limits.maxLabelNameLength ||
      (labels[name] as string).length > limits.maxLabelValueLength
    ) {
      return {
        at,
        reason: 'label_too_long',
        message: `${at}: ${what} ${name.slice(0, 64)} is longer than the limits`,
      };
    }
  }
  return undefined;
}

/** The first non-empty level label of a map (the line's metadata first, then its stream's). */
function levelOf(labels: Readonly<Record<string, string>>): string | undefined {
  for (const key of LEVEL_KEYS) {
    const v = labels[key];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/** A stream's service, or why the whole stream is rejected. */
export function streamService(
  at: string,
  stream: Readonly<Record<string, string>>,
  limits: RecordLimits,
): { readonly service: string } | LokiRejection {
  const problem = labelsProblem(at, 'labels', stream, limits);
  if (problem !== undefined) return problem;
  const candidates = [...limits.serviceLabels, ...EXTRA_SERVICE_LABELS];
  const service = candidates.map((l) => stream[l]).find((v) => v !== undefined && v !== '');
  if (service === undefined) {
    return {
      at,
      reason: 'missing_service',
      message: `${at} has none of the service labels (${candidates.join(', ')})`,
    };
  }
  return { service };
}

/** One line of a stream `streamService` took, as a log record; or why the line is rejected. */
export function lineSample(
  at: string,
  stream: Readonly<Record<string, string>>,
  service: string,
  ts: number,
  line: string,
  metadata: Readonly<Record<string, string>>,
  limits: RecordLimits,
): LogSample | LokiRejection {
  if (line.length > MAX_LINE) {
    return { at, reason: 'label_too_long', message: `${at} is longer than ${MAX_LINE} characters` };
  }
  const problem = labelsProblem(at, 'structured metadata', metadata, limits);
  if (problem !== undefined) return problem;
  const level = levelOf(metadata) ?? levelOf(stream) ?? 'info';
  return {
    kind: 'log',
    record: {
      ts,
      service,
      level: level.toLowerCase().slice(0, MAX_LEVEL),
      message: line,
      labels: { ...stream, ...metadata },
    },
  };
}
