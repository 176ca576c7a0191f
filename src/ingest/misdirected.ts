/**
 * Where a body sent to the wrong ingest endpoint, or with the wrong Content-Type, belongs: NDJSON
 * sent as `application/json`, Prometheus text exposition pushed at the JSON endpoint, JSON or
 * OTLP sent to remote_write, a remote_write body sent to OTLP, curl's default form type. Ingest's
 * error handler (ingest-errors.ts) adds the hint to the 415 and 400 answers it sends, so every
 * route gets the same hints from this one table. Pure.
 */

export const Endpoints = {
  samples: '/api/v1/samples',
  remoteWrite: '/api/v1/write',
  otlpMetrics: '/v1/metrics',
  otlpLogs: '/v1/logs',
  loki: '/loki/api/v1/push',
} as const;

/** What a hint may look at: the request as received. */
export interface MisdirectedRequest {
  /** The route's path (`/api/v1/write`). */
  readonly path: string;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** The body when it was read (a string for JSON types, bytes for the others). */
  readonly body: unknown;
}

const JSON_TYPES = new Set(['application/json']);
const NDJSON_TYPES = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
]);
const EXPOSITION_TYPES = new Set(['text/plain', 'application/openmetrics-text']);

const mediaOf = (contentType: string | undefined): string =>
  (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

const SCRAPE_INSTEAD =
  'list the target under pull.scrape (docs/ingest/pull.md), or let Prometheus scrape it and remote_write to POST /api/v1/write';
/** For a text type: the body may be exposition. */
const SCRAPE_IT = `Prometheus text exposition is scraped, not pushed: ${SCRAPE_INSTEAD}`;
/** For a body seen to be exposition. */
const IS_EXPOSITION = `it is Prometheus text exposition, which is scraped, not pushed: ${SCRAPE_INSTEAD}`;
const CURL_FORM =
  "curl -d sends application/x-www-form-urlencoded: add -H 'Content-Type: application/x-ndjson' and send the file with --data-binary, which keeps its newlines";

/** The first non-blank line of a text, trimmed. */
function firstLine(text: string): string {
  for (const line of text.split('\n', 64)) {
    const t = line.trim();
    if (t !== '') return t;
  }
  return '';
}

/** A sample line of the Prometheus text format: `name{labels} value [timestamp]`. */
const EXPOSITION_SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?[ \t]+[-+]?(\d|\.\d|NaN|Inf)[^ \t]*([ \t]+-?\d+)?$/;

/** Whether a text is Prometheus text exposition (or OpenMetrics) rather than JSON. */
export function looksLikeExposition(text: string): boolean {
  const line = firstLine(text);
  return /^# (HELP|TYPE|UNIT|EOF)\b/.test(line) || EXPOSITION_SAMPLE.test(line);
}

/** Whether a text that is not one JSON document is NDJSON: a first line that parses, and more. */
export function looksLikeNdjson(text: string): boolean {
  const lines = text
    .split('\n', 64)
    .filter((l) => l.trim() !== '')
    .slice(0, 2);
  if (lines.length < 2) return false;
  try {
    JSON.parse(lines[0] ?? '');
    return true;
  } catch {
    return false;
  }
}

/** The endpoint a decoded JSON value belongs to, when it is another protocol's envelope. */
export function envelopeHint(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if ('metric' in value || 'message' in value) return undefined; // a record, good or bad
  if ('resourceMetrics' in value) {
    return `this is an OTLP metrics export: POST it to ${Endpoints.otlpMetrics}`;
  }
  if ('resourceLogs' in value)
    return `this is an OTLP logs export: POST it to ${Endpoints.otlpLogs}`;
  if ('streams' in value) return `this is a Loki push: POST it to ${Endpoints.loki}`;
  return undefined;
}

/** The hint for a JSON body (as text) that reached another endpoint than the JSON one. */
function jsonBodyHint(body: unknown): string {
  if (typeof body === 'string') {
    try {
      const hint = envelopeHint(JSON.parse(body));
      if (hint !== undefined) return hint;
    } catch {
      // Not one JSON document (NDJSON, or cut short): records in any case.
    }
  }
  return `JSON and NDJSON records go to POST ${Endpoints.samples}`;
}

/** Where a refused Content-Type (or Content-Encoding) belongs; undefined when nothing to add. */
export function misdirectedTypeHint(r: MisdirectedRequest): string | undefined {
  const media = mediaOf(r.contentType);
  const encoding = (r.contentEncoding ?? '').trim().toLowerCase();
  if (media === 'application/x-www-form-urlencoded') return CURL_FORM;
  if (EXPOSITION_TYPES.has(media)) return SCRAPE_IT;
  switch (r.path) {
    case Endpoints.samples:
      if (media !== 'application/x-protobuf') return undefined;
      return encoding === 'snappy'
        ? `a snappy protobuf body is Prometheus remote_write: POST it to ${Endpoints.remoteWrite}`
        : `OTLP protobuf goes to POST ${Endpoints.otlpMetrics} or ${Endpoints.otlpLogs}, Prometheus remote_write to POST ${Endpoints.remoteWrite}`;
    case Endpoints.remoteWrite:
      if (JSON_TYPES.has(media) || NDJSON_TYPES.has(media)) return jsonBodyHint(r.body);
      if (media === 'application/x-protobuf' && encoding !== 'snappy') {
        return `an OTLP protobuf export goes to POST ${Endpoints.otlpMetrics}`;
      }
      return undefined;
    case Endpoints.otlpMetrics:
    case Endpoints.otlpLogs:
      if (encoding === 'snappy') {
        return `a snappy protobuf body is Prometheus remote_write (POST ${Endpoints.remoteWrite}) or a Loki push (POST ${Endpoints.loki})`;
      }
      if (NDJSON_TYPES.has(media)) return `NDJSON records go to POST ${Endpoints.samples}`;
      return undefined;
    case Endpoints.loki:
      if (NDJSON_TYPES.has(media)) return `NDJSON records go to POST ${Endpoints.samples}`;
      return undefined;
    default:
      return undefined;
  }
}

/** Where a JSON body that did not parse belongs (NDJSON sent as JSON, text exposition). */
export function misdirectedJsonHint(r: MisdirectedRequest): string | undefined {
  if (typeof r.body !== 'string') return undefined;
  if (looksLikeExposition(r.body)) return IS_EXPOSITION;
  if (r.path === Endpoints.samples && JSON_TYPES.has(mediaOf(r.contentType))) {
    if (looksLikeNdjson(r.body)) {
      return 'it looks like NDJSON (one record per line): send it with Content-Type: application/x-ndjson';
    }
  }
  return undefined;
}
