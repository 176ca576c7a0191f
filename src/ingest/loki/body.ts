/**
 * A Loki push body, by its Content-Type and Content-Encoding, to log records, as Loki itself
 * takes them:
 * - `application/x-protobuf`: what promtail, Grafana Alloy's `loki.write` and Grafana Agent
 *   send: a snappy block (never the framed format) holding a `PushRequest`, with
 *   `Content-Encoding: snappy` or none (Loki takes both; gzip around the block is taken too);
 * - `application/json`: plain or gzip, as Vector's loki sink sends it with compression gzip or
 *   none.
 * Every failure is an AiopsError with the status a sender understands: 400 for a body that
 * does not decode, 413 past `maxBytes` decompressed (checked before allocating), 415 for
 * another type or encoding.
 */
import { AiopsError } from '../../errors.js';
import { inflateBody } from '../inflate.js';
import { LokiFormatError, parseLokiPush } from './push.js';
import { toLokiPush } from './push-proto.js';
import { LokiProtoError, decodePushRequest } from './push-request.js';
import type { LokiPush } from './streams.js';
import type { RecordLimits } from '../records.js';
import { snappyBodyError, uncompressBlock } from '../remote-write/snappy-block.js';

export interface LokiBody {
  readonly body: Buffer;
  /** The Content-Type header, parameters and all. */
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
}

/** Lines in one push at most, checked before they are mapped (ingest.max_records_per_request). */
function checkLineCount(lines: number, maxRecords: number): void {
  if (lines <= maxRecords) return;
  throw new AiopsError(
    'AIOPS_ERR_INGEST_BODY_TOO_LARGE',
    `the push holds ${lines} lines, more than ${maxRecords} (ingest.max_records_per_request); split it`,
    { reason: 'too_many_records' },
  );
}

export function decodeLokiBody(
  req: LokiBody,
  maxBytes: number,
  limits: RecordLimits,
  maxRecords = Number.POSITIVE_INFINITY,
): LokiPush {
  const media = (req.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (media === 'application/x-protobuf') {
    return protobufPush(req.body, req.contentEncoding, maxBytes, limits, maxRecords);
  }
  if (media === 'application/json')
    return jsonPush(req.body, req.contentEncoding, maxBytes, limits, maxRecords);
  throw new AiopsError(
    'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
    `Loki push needs Content-Type application/x-protobuf (snappy) or application/json, got ${JSON.stringify(media)}`,
  );
}

function protobufPush(
  body: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
  limits: RecordLimits,
  maxRecords: number,
): LokiPush {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  // Loki: HTTP clients need not say snappy, "but they sometimes do".
  const block = inflateBody(body, encoding === 'snappy' ? '' : encoding, maxBytes);
  try {
    const req = decodePushRequest(uncompressBlock(block, maxBytes));
    checkLineCount(
      req.streams.reduce((n, st) => n + st.entries.length, 0),
      maxRecords,
    );
    return toLokiPush(req, limits);
  } catch (err) {
    throw snappyBodyError(err, LokiProtoError);
  }
}

function jsonPush(
  body: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
  limits: RecordLimits,
  maxRecords: number,
): LokiPush {
  const bytes = inflateBody(body, contentEncoding, maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new AiopsError('AIOPS_ERR_INGEST_INVALID_JSON', (err as Error).message);
  }
  const streams = (parsed as { streams?: unknown } | null)?.streams;
  if (Array.isArray(streams)) {
    let lines = 0;
    for (const st of streams) {
      const values = (st as { values?: unknown } | null)?.values;
      if (Array.isArray(values)) lines += values.length;
    }
    checkLineCount(lines, maxRecords);
  }
  try {
    return parseLokiPush(parsed, limits);
  } catch (err) {
    if (!(err instanceof LokiFormatError)) throw err;
    // A whole-body refusal: counted once by the error handler, as invalid_record.
    throw new AiopsError('AIOPS_ERR_INGEST_INVALID_RECORD', err.message, {
      reason: 'invalid_record',
    });
  }
}
