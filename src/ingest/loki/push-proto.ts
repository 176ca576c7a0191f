/**
 * Loki push, protobuf form (decoded `PushRequest`), to log records: each stream's `labels`
 * selector is parsed (selector.ts), then every stream and line goes through the same
 * mapping as the JSON form (streams.ts). A stream whose selector does not parse is
 * rejected on its own (`invalid_labels`), as is a line without a valid timestamp; the rest are
 * kept. Pure.
 */
import { MAX_TS, type RecordLimits } from '../records.js';
import { timeProblem } from '../timestamps.js';
import { int64ToNumber, type DecodedPushRequest } from './push-request.js';
import { LokiSelectorError, parseLokiSelector } from './selector.js';
import { emptyLokiPush, isRejection, lineSample, streamService, type LokiPush } from './streams.js';

const MAX_SECONDS = Math.floor(MAX_TS / 1000);
const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});

/** A protobuf Timestamp to epoch ms, or undefined when absent or out of range. */
function timestampMs(ts: DecodedPushRequest['streams'][number]['entries'][number]['timestamp']) {
  if (ts === null) return undefined;
  const seconds = int64ToNumber(ts.seconds);
  if (!(seconds >= 0 && seconds <= MAX_SECONDS) || !(ts.nanos >= 0 && ts.nanos < 1e9)) {
    return undefined;
  }
  const ms = seconds * 1000 + Math.floor(ts.nanos / 1e6);
  return ms <= MAX_TS ? ms : undefined;
}

export function toLokiPush(req: DecodedPushRequest, limits: RecordLimits): LokiPush {
  const out = emptyLokiPush();
  req.streams.forEach((s, si) => {
    const at = `streams[${si}]`;
    out.lines += s.entries.length;
    let stream: Record<string, string>;
    try {
      stream = parseLokiSelector(s.labels);
    } catch (err) {
      if (!(err instanceof LokiSelectorError)) throw err;
      out.rejections.push({ at, reason: 'invalid_labels', message: `${at}: ${err.message}` });
      return;
    }
    const checked = streamService(at, stream, limits);
    if (isRejection(checked)) {
      out.rejections.push(checked);
      return;
    }
    s.entries.forEach((e, li) => {
      const here = `${at}.entries[${li}]`;
      const ts = timestampMs(e.timestamp);
      const problem =
        ts === undefined
          ? 'the timestamp is missing or not between 1970 and 2200'
          : timeProblem(
              // A protobuf Timestamp: seconds (and nanos) since the epoch.
              { field: 'the timestamp', raw: ts / 1000, unit: 'seconds', ms: ts },
              limits.times,
            );
      if (ts === undefined || problem !== undefined) {
        out.rejections.push({
          at: here,
          reason: 'invalid_timestamp',
          message: `${here}: ${problem}`,
        });
        return;
      }
      const metadata =
        e.structuredMetadata.length === 0
          ? NO_METADATA
          : Object.fromEntries(e.structuredMetadata.map((p) => [p.name, p.value]));
      const sample = lineSample(here, stream, checked.service, ts, e.line, metadata, limits);
      if (isRejection(sample)) out.rejections.push(sample);
      else out.samples.push(sample);
    });
  });
  return out;
}
