/**
 * OTLP logs (`ExportLogsServiceRequest`, decoded from protobuf or JSON) to log records:
 * - service: the resource's `service.name`, else the first of `ingest.service_labels` among the
 *   record's attributes;
 * - level: `severityText` when it names a level (`warning` → `warn`, `critical` → `fatal`, …),
 *   else `severityNumber` by the spec's ranges (1-4 trace, 5-8 debug, 9-12 info, 13-16 warn,
 *   17-20 error, 21-24 fatal), else any other `severityText` lowercased, else `info`;
 * - message: the body, a string as it is, any other AnyValue as JSON;
 * - time: `timeUnixNano`, else `observedTimeUnixNano`, else now;
 * - labels: the record's attributes (values as strings), plus `trace_id` and `span_id` (hex),
 *   as the Loki route keeps structured metadata. Names are kept as sent (`http.method`).
 * A record without a body or service, or over the limits, is rejected on its own and counted;
 * a body whose shape is not an export request throws OtlpFormatError.
 */
import type { LogSample, RecordLimits } from '../records.js';
import { timeProblem } from '../timestamps.js';
import { messages } from './metrics-to-samples.js';
import {
  OtlpFormatError,
  OtlpTooLargeError,
  addRejection,
  newRejections,
  type OtlpRejections,
} from './otlp-errors.js';
import {
  anyValueToString,
  arrayField,
  attributesOf,
  enumOf,
  field,
  idToHex,
  isObject,
  nanosToMs,
  objectField,
  stringField,
  type Loose,
} from './otlp-values.js';

export interface OtlpLogsResult {
  readonly samples: LogSample[];
  readonly rejections: OtlpRejections;
  /** Log records over the whole request. */
  records: number;
}

const MAX_LINE = 64 * 1024;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const LEVEL_ALIASES = new Map<string, string>(
  Object.entries({
    warning: 'warn',
    err: 'error',
    critical: 'fatal',
    crit: 'fatal',
    emergency: 'fatal',
    alert: 'fatal',
    panic: 'fatal',
    notice: 'info',
    information: 'info',
    informational: 'info',
    dbg: 'debug',
    trc: 'trace',
  }),
);

/** The level of a record, by severityText then severityNumber. */
export function levelOf(
  severityText: string | undefined,
  severityNumber: number | undefined,
): string {
  const text = (severityText ?? '').trim().toLowerCase();
  if ((LEVELS as readonly string[]).includes(text)) return text;
  const alias = LEVEL_ALIASES.get(text);
  if (alias !== undefined) return alias;
  if (severityNumber !== undefined && severityNumber >= 1 && severityNumber <= 24) {
    return LEVELS[Math.floor((severityNumber - 1) / 4)] ?? 'info';
  }
  return text === '' ? 'info' : text.slice(0, 16);
}

export function otlpLogsToSamples(
  request: unknown,
  limits: RecordLimits,
  now: number,
  maxRecords = Infinity,
): OtlpLogsResult {
  if (!isObject(request)) throw new OtlpFormatError('the body must be an ExportLogsServiceRequest');
  checkRecordCount(request, maxRecords);
  const out: OtlpLogsResult = { samples: [], rejections: newRejections(), records: 0 };
  const r = out.rejections;
  for (const rl of messages(request, 'resourceLogs')) {
    const resource = objectField(rl, 'resource');
    const rattrs = resource === undefined ? new Map<string, string>() : attributesOf(resource);
    if (rattrs === undefined) throw new OtlpFormatError('resource.attributes must be a list');
    const resourceService = rattrs.get('service.name') || undefined;
    for (const sl of messages(rl, 'scopeLogs')) {
      const records = messages(sl, 'logRecords');
      out.records += records.length;
      for (const lr of records) {
        const attrs = attributesOf(lr);
        if (attrs === undefined) {
          addRejection(r, 'invalid_record', "a log record's attributes must be a list of KeyValue");
          continue;
        }
        const sample = toLogSample(lr, attrs, resourceService, limits, now, r);
        if (sample !== undefined) out.samples.push(sample);
      }
    }
  }
  return out;
}

function toLogSample(
  lr: Readonly<Record<string, unknown>>,
  attrs: Map<string, string>,
  resourceService: string | undefined,
  limits: RecordLimits,
  now: number,
  r: OtlpRejections,
): LogSample | undefined {
  const service =
    resourceService ??
    limits.serviceLabels.map((l) => attrs.get(l)).find((v) => v !== undefined && v !== '');
  if (service === undefined) {
    addRejection(
      r,
      'missing_service',
      `a log record has no resource attribute service.name and none of the service labels (${limits.serviceLabels.join(', ')})`,
    );
    return undefined;
  }
  if (service.length > limits.maxLabelValueLength) {
    addRejection(r, 'label_too_long', 'service.name is longer than the limit');
    return undefined;
  }
  const message = anyValueToString(field(lr, 'body'));
  if (message === undefined) {
    addRejection(r, 'invalid_record', `a log record of ${service} has no body`);
    return undefined;
  }
  if (message.length > MAX_LINE) {
    addRejection(
      r,
      'label_too_long',
      `a log record of ${service} is longer than ${MAX_LINE} characters`,
    );
    return undefined;
  }
  const traceId = idToHex(field(lr, 'traceId'));
  const spanId = idToHex(field(lr, 'spanId'));
  if (traceId !== undefined) attrs.set('trace_id', traceId);
  if (spanId !== undefined) attrs.set('span_id', spanId);
  if (attrs.size > limits.maxLabels) {
    addRejection(
      r,
      'too_many_labels',
      `a log record of ${service} has ${attrs.size} attributes, more than ${limits.maxLabels}`,
    );
    return undefined;
  }
  for (const [k, v] of attrs) {
    if (k.length > limits.maxLabelNameLength || v.length > limits.maxLabelValueLength) {
      addRejection(
        r,
        'label_too_long',
        `a log record of ${service.slice(0, 64)}: attribute ${JSON.stringify(k.slice(0, 64))} is longer than the limits`,
      );
      return undefined;
    }
  }
  const labels = Object.fromEntries(attrs);
  const time = field(lr, 'timeUnixNano');
  const observed = field(lr, 'observedTimeUnixNano');
  const ts = nanosToMs(time) ?? nanosToMs(observed) ?? now;
  // A time that is set but out of bounds (another unit, far ahead) is refused, not replaced.
  if (ts !== now) {
    const named = nanosToMs(time) !== undefined;
    const raw = named ? time : observed;
    const problem = timeProblem(
      {
        field: named ? 'timeUnixNano' : 'observedTimeUnixNano',
        raw: typeof raw === 'string' ? raw : ts * 1e6,
        count: typeof raw === 'string' ? Number(raw) : undefined,
        unit: 'nanoseconds',
        ms: ts,
      },
      limits.times,
    );
    if (problem !== undefined) {
      addRejection(r, 'invalid_timestamp', `a log record of ${service.slice(0, 64)}: ${problem}`);
      return undefined;
    }
  }
  const level = levelOf(stringField(lr, 'severityText'), enumOf(field(lr, 'severityNumber')));
  return { kind: 'log', record: { ts, service, level, message, labels } };
}

/** More than `maxRecords` log records throw OtlpTooLargeError before any is mapped. */
function checkRecordCount(request: Loose, maxRecords: number): void {
  let n = 0;
  for (const rl of messages(request, 'resourceLogs')) {
    for (const sl of messages(rl, 'scopeLogs')) n += arrayField(sl, 'logRecords')?.length ?? 0;
  }
  if (n > maxRecords) {
    throw new OtlpTooLargeError(
      `the body holds ${n} log records, more than ${maxRecords} (ingest.max_records_per_request); split it`,
    );
  }
}
