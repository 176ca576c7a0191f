/**
 * A body sent to the wrong endpoint, or with the wrong Content-Type, is answered with where it
 * belongs (src/ingest/misdirected.ts), on every ingest route of the plugin: the exact messages
 * a sender reads.
 */
import { compress } from 'snappyjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { looksLikeExposition, looksLikeNdjson } from '../../src/ingest/misdirected.js';
import { ingestApp } from '../helpers/ingest-app.js';

let app: FastifyInstance;

beforeAll(async () => {
  ({ app } = await ingestApp({ bodyLimit: 64 * 1024 }));
});

afterAll(async () => {
  await app.close();
});

const T = 1_795_000_000_000;
const rec = (i: number) =>
  JSON.stringify({ ts: T + i, metric: 'm', labels: { service: 'auth' }, value: i });
const EXPOSITION = [
  '# HELP http_requests_total Requests.',
  '# TYPE http_requests_total counter',
  'http_requests_total{code="200"} 1027 1395066363000',
  '',
].join('\n');
const SCRAPED =
  'list the target under pull.scrape (docs/ingest/pull.md), or let Prometheus scrape it and remote_write to POST /api/v1/write';

interface Case {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer;
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

const cases: [string, Case][] = [
  [
    'Prometheus text exposition posted as NDJSON',
    {
      url: '/api/v1/samples',
      headers: { 'content-type': 'application/x-ndjson' },
      body: EXPOSITION,
      status: 400,
      code: 'AIOPS_ERR_INGEST_INVALID_JSON',
      message: `the body is not JSON records; it is Prometheus text exposition, which is scraped, not pushed: ${SCRAPED}`,
    },
  ],
  [
    'Prometheus text exposition posted as text/plain',
    {
      url: '/api/v1/samples',
      headers: { 'content-type': 'text/plain; version=0.0.4' },
      body: EXPOSITION,
      status: 415,
      code: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      message: `Content-Type "text/plain; version=0.0.4" is not taken here: send application/json or application/x-ndjson; Prometheus text exposition is scraped, not pushed: ${SCRAPED}`,
    },
  ],
  [
    "curl -d's form type",
    {
      url: '/api/v1/samples',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: rec(1),
      status: 415,
      code: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      message:
        'Content-Type "application/x-www-form-urlencoded" is not taken here: send application/json or application/x-ndjson; ' +
        "curl -d sends application/x-www-form-urlencoded: add -H 'Content-Type: application/x-ndjson' and send the file with --data-binary, which keeps its newlines",
    },
  ],
  [
    'a remote_write body posted to the JSON endpoint',
    {
      url: '/api/v1/samples',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body: Buffer.from(compress(new Uint8Array([0x0a, 0x00]))),
      status: 415,
      code: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      message:
        'Content-Type "application/x-protobuf" is not supported; use application/json or application/x-ndjson; a snappy protobuf body is Prometheus remote_write: POST it to /api/v1/write',
    },
  ],
  [
    'JSON records posted to remote_write',
    {
      url: '/api/v1/write',
      headers: { 'content-type': 'application/json' },
      body: `[${rec(1)}]`,
      status: 415,
      code: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      message:
        'remote_write needs Content-Type application/x-protobuf, got "application/json"; JSON and NDJSON records go to POST /api/v1/samples',
    },
  ],
  [
    'NDJSON records posted to remote_write',
    {
      url: '/api/v1/write',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${rec(1)}\n${rec(2)}\n`,
      status: 415,
      code: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      message:
        'remote_write needs Content-Type application/x-protobuf, got "application/x-ndjson"; JSON and NDJSON records go to POST /api/v1/samples',
    },
  ],
  [
    'an OTLP JSON export posted to remote_write',
    {
      url: '/api/v1/write',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceMetrics: [] }),
      status: 415,
      code: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      message:
        'remote_write needs Content-Type application/x-protobuf, got "application/json"; this is an OTLP metrics export: POST it to /v1/metrics',
    },
  ],
  [
    'an OTLP protobuf export posted to remote_write',
    {
      url: '/api/v1/write',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: Buffer.from([0x0a, 0x00]),
      status: 415,
      code: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      message:
        'remote_write needs Content-Encoding snappy, got "gzip"; an OTLP protobuf export goes to POST /v1/metrics',
    },
  ],
  [
    'Prometheus text exposition posted to remote_write',
    {
      url: '/api/v1/write',
      headers: { 'content-type': 'text/plain' },
      body: EXPOSITION,
      status: 415,
      code: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      message: `Content-Type "text/plain" is not taken here: send application/x-protobuf (a snappy-compressed remote_write 1.0 WriteRequest); Prometheus text exposition is scraped, not pushed: ${SCRAPED}`,
    },
  ],
  [
    'a remote_write body posted to OTLP',
    {
      url: '/v1/metrics',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body: Buffer.from(compress(new Uint8Array([0x0a, 0x00]))),
      status: 415,
      code: 'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      message:
        'Content-Encoding "snappy" is not supported; use gzip or none; a snappy protobuf body is Prometheus remote_write (POST /api/v1/write) or a Loki push (POST /loki/api/v1/push)',
    },
  ],
];

describe('misdirected bodies get where they belong', () => {
  it.each(cases)('%s', async (_name, c) => {
    const res = await app.inject({
      method: 'POST',
      url: c.url,
      headers: c.headers,
      payload: c.body,
    });
    expect(res.statusCode).toBe(c.status);
    // OTLP answers a google.rpc.Status in the request's encoding (here protobuf, whose string
    // fields are the text as it is), its message starting with the code.
    if (c.url.startsWith('/v1/')) expect(res.body).toContain(`${c.code}: ${c.message}`);
    else expect(res.json()).toMatchObject({ code: c.code, message: c.message });
  });

  it('NDJSON sent as application/json: the parser says why, the hint says which type', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/samples',
      headers: { 'content-type': 'application/json' },
      payload: `${rec(1)}\n${rec(2)}\n`,
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ code: string; message: string }>();
    expect(body.code).toBe('AIOPS_ERR_INGEST_INVALID_JSON');
    // The middle is the JSON parser's own words (they vary with the Node version).
    expect(body.message).toMatch(/^the body is not valid JSON: .+; it looks like NDJSON/);
    expect(
      body.message.endsWith(
        '; it looks like NDJSON (one record per line): send it with Content-Type: application/x-ndjson',
      ),
    ).toBe(true);
  });

  it('an OTLP export or a Loki push posted as a JSON record names its endpoint', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/samples',
      headers: { 'content-type': 'application/json' },
      payload: [{ resourceMetrics: [] }, { streams: [] }],
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ errors: { message: string }[] }>();
    expect(body.errors.map((e) => e.message)).toEqual([
      'not a record (no "metric" or "message"); this is an OTLP metrics export: POST it to /v1/metrics',
      'not a record (no "metric" or "message"); this is a Loki push: POST it to /loki/api/v1/push',
    ]);
  });

  it('a JSON body that is just cut short gets no hint', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/samples',
      headers: { 'content-type': 'application/json' },
      payload: '[{"ts":',
    });
    expect(res.json<{ message: string }>().message).not.toContain(';');
  });
});

describe('sniffing', () => {
  it.each([
    [EXPOSITION, true],
    ['up 1\n', true],
    ['process_cpu_seconds_total{job="x"} 1.5e+03\n', true],
    ['# EOF\n', true],
    [`${rec(1)}\n`, false],
    ['null\n', false],
    ['[1, 2]', false],
  ])('%j is exposition: %s', (text, expected) => {
    expect(looksLikeExposition(text)).toBe(expected);
  });

  it.each([
    [`${rec(1)}\n${rec(2)}`, true],
    [`\n${rec(1)}\n\n${rec(2)}\n`, true],
    [rec(1), false],
    ['{"ts":\n1}', false],
  ])('%j is NDJSON: %s', (text, expected) => {
    expect(looksLikeNdjson(text)).toBe(expected);
  });
});
