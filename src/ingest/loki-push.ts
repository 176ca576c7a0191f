/**
 * Loki push, JSON form (`POST /loki/api/v1/push`; Vector's loki sink sends it with gzip or no
 * compression):
 *
 *   {"streams": [{"stream": {"label": "value", ...},
 *                 "values": [["<unix ns, a string>", "<line>", {"structured": "metadata"}?], ...]}]}
 *
 * Each line becomes a log record: its service is the first of the service labels in the stream
 * labels (then `service_name`, `app`, `job`), its level the stream's or the structured metadata's
 * `level` / `detected_level` / `severity`, its labels the stream labels plus the structured
 * metadata. A bad stream or line is rejected on its own; the rest are kept. Pure.
 */
import { LABEL_NAME, MAX_TS, type LogSample, type RecordLimits } from './records.js';

export interface LokiRejection {
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

export class LokiFormatError extends Error {
  override name = 'LokiFormatError';
}

const LEVEL_KEYS = ['level', 'detected_level', 'severity', 'lvl'];
const EXTRA_SERVICE_LABELS = ['service_name', 'app', 'job'];
const MAX_LINE = 64 * 1024;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown): Record<string, string> | undefined {
  if (v === undefined) return {};
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') return undefined;
    out[k] = x;
  }
  return out;
}

/** Unix nanoseconds as a decimal string, to ms; undefined when not one (numbers are refused). */
function nanosToMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d{1,21}$/.test(v)) return undefined;
  const ms = v.length > 6 ? Number(v.slice(0, -6)) : 0;
  return ms <= MAX_TS ? ms : undefined;
}

export function parseLokiPush(body: unknown, limits: RecordLimits): LokiPush {
  if (!isRecord(body) || !Array.isArray(body.streams)) {
    throw new LokiFormatError('a Loki push body is {"streams": [...]}');
  }
  const out: LokiPush = { samples: [], rejections: [], lines: 0 };
  body.streams.forEach((raw: unknown, si) => {
    const at = `streams[${si}]`;
    if (!isRecord(raw) || !Array.isArray(raw.values)) {
      out.rejections.push({
        at,
        reason: 'invalid_record',
        message: `${at} needs "stream" and "values"`,
      });
      return;
    }
    const values = raw.values as unknown[];
    out.lines += values.length;
    const stream = stringMap(raw.stream);
    if (stream === undefined) {
      out.rejections.push({
        at,
        reason: 'invalid_record',
        message: `${at}.stream must map names to strings`,
      });
      return;
    }
    const names = Object.keys(stream);
    const bad = names.find((n) => !LABEL_NAME.test(n) || n.length > limits.maxLabelNameLength);
    if (bad !== undefined || names.length > limits.maxLabels) {
      out.rejections.push({
        at,
        reason: bad !== undefined ? 'invalid_name' : 'too_many_labels',
        message:
          bad !== undefined
            ? `${at}: label name ${JSON.stringify(bad.slice(0, 64))} is not valid`
            : `${at} has more than ${limits.maxLabels} labels`,
      });
      return;
    }
    const service = [...limits.serviceLabels, ...EXTRA_SERVICE_LABELS]
      .map((l) => stream[l])
      .find((v) => v !== undefined && v !== '');
    if (service === undefined || service.length > limits.maxLabelValueLength) {
      out.rejections.push({
        at,
        reason: service === undefined ? 'missing_service' : 'label_too_long',
        message: `${at} has none of the service labels (${[...limits.serviceLabels, ...EXTRA_SERVICE_LABELS].join(', ')})`,
      });
      return;
    }
    values.forEach((v: unknown, li) => {
      const here = `${at}.values[${li}]`;
      if (!Array.isArray(v) || v.length < 2 || typeof v[1] !== 'string') {
        out.rejections.push({
          at: here,
          reason: 'invalid_record',
          message: `${here} must be ["<unix ns>", "<line>"]`,
        });
        return;
      }
      const ts = nanosToMs(v[0]);
      if (ts === undefined) {
        out.rejections.push({
          at: here,
          reason: 'invalid_timestamp',
          message: `${here}: the timestamp must be unix nanoseconds as a string`,
        });
        return;
      }
      const message = v[1];
      if (message.length > MAX_LINE) {
        out.rejections.push({
          at: here,
          reason: 'label_too_long',
          message: `${here} is longer than ${MAX_LINE} characters`,
        });
        return;
      }
      const metadata = stringMap(v[2]);
      if (metadata === undefined) {
        out.rejections.push({
          at: here,
          reason: 'invalid_record',
          message: `${here}: structured metadata must map names to strings`,
        });
        return;
      }
      const labels = { ...stream, ...metadata };
      // The line's own metadata first, then its stream's labels.
      const level =
        [metadata, stream]
          .flatMap((m) => LEVEL_KEYS.map((k) => m[k]))
          .find((x) => x !== undefined && x !== '') ?? 'info';
      out.samples.push({
        kind: 'log',
        record: { ts, service, level: level.toLowerCase().slice(0, 16), message, labels },
      });
    });
  });
  return out;
}
