/**
 * Loki push, JSON form (`POST /loki/api/v1/push`; Vector's loki sink sends it with gzip or no
 * compression):
 *
 *   {"streams": [{"stream": {"label": "value", ...},
 *                 "values": [["<unix ns, a string>", "<line>", {"structured": "metadata"}?], ...]}]}
 *
 * Checks the JSON shapes, then maps each stream and line as the protobuf form does
 * (streams.ts: service, level, labels). A bad stream or line is rejected on its own; the
 * rest are kept. Pure.
 */
import { MAX_TS, type RecordLimits } from '../records.js';
import { timeProblem } from '../timestamps.js';
import { emptyLokiPush, isRejection, lineSample, streamService, type LokiPush } from './streams.js';

export type { LokiPush, LokiRejection } from './streams.js';

export class LokiFormatError extends Error {
  override name = 'LokiFormatError';
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown): Record<string, string> | undefined {
  if (v === undefined) return {};
  if (!isRecord(v)) return undefined;
  const out: [string, string][] = [];
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') return undefined;
    out.push([k, x]);
  }
  return Object.fromEntries(out);
}

/** Unix nanoseconds as a decimal string, to ms; undefined when not one (numbers are refused). */
function nanosToMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d{1,21}$/.test(v)) return undefined;
  const ms = v.length > 6 ? Number(v.slice(0, -6)) : 0;
  return ms <= MAX_TS ? ms : undefined;
}

/** Why a line's timestamp is refused: not a digit string, another unit, out of bounds. */
function timestampProblem(
  raw: unknown,
  ms: number | undefined,
  limits: RecordLimits,
): string | undefined {
  if (typeof raw !== 'string' || !/^\d{1,21}$/.test(raw)) {
    return 'the timestamp must be unix nanoseconds as a string';
  }
  const count = Number(raw);
  const t = {
    field: 'the timestamp',
    raw,
    count,
    unit: 'nanoseconds',
    ms: ms ?? count / 1e6,
  } as const;
  return timeProblem(t, limits.times);
}

export function parseLokiPush(body: unknown, limits: RecordLimits): LokiPush {
  if (!isRecord(body) || !Array.isArray(body.streams)) {
    throw new LokiFormatError('a Loki push body is {"streams": [...]}');
  }
  const out = emptyLokiPush();
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
    const checked = streamService(at, stream, limits);
    if (isRejection(checked)) {
      out.rejections.push(checked);
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
      const problem = timestampProblem(v[0], ts, limits);
      if (ts === undefined || problem !== undefined) {
        out.rejections.push({
          at: here,
          reason: 'invalid_timestamp',
          message: `${here}: ${problem ?? 'the timestamp must be unix nanoseconds as a string'}`,
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
      const sample = lineSample(here, stream, checked.service, ts, v[1], metadata, limits);
      if (isRejection(sample)) out.rejections.push(sample);
      else out.samples.push(sample);
    });
  });
  return out;
}
