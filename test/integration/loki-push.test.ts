/**
 * Real Redis, real HTTP: Loki push in both forms reaches the log stage: snappy protobuf (as
 * promtail and Alloy send it) and JSON (as Vector sends it, plain or gzip); bad streams and
 * lines are answered as Loki does, and the rest are kept.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/service/service.js';
import { startTestService } from '../helpers/service.js';
import { lokiProtoBody } from '../helpers/loki-push.js';
import { deletePrefix, randomPrefix, waitFor } from '../helpers/redis.js';

const prefix = randomPrefix();
let service: RunningService;

beforeAll(async () => {
  service = await startTestService(
    {
      services: { auth: {} },
      redis: { prefix },
      ingest: { max_decompressed_bytes: 64 * 1024 },
    },
    'ingest,logs',
  );
});

afterAll(async () => {
  await service.close(5000);
  await deletePrefix(prefix);
});

const push = (body: Buffer | string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${service.url}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

const ns = (ms: number): string => `${ms}000000`;

/** A counter of the worker's /metrics, summed over the series whose labels match. */
const counter = async (name: string, labels = ''): Promise<number> =>
  (await (await fetch(`${service.url}/metrics`)).text())
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(labels))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);

const linesTotal = async (): Promise<number> =>
  (await (await fetch(`${service.url}/metrics`)).text())
    .split('\n')
    .filter((l) => l.startsWith('aiops_log_lines_total{service="auth"'))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);

describe('POST /loki/api/v1/push', () => {
  it('takes JSON and gzip JSON; stream labels name the service, metadata the level', async () => {
    const t = Date.UTC(2026, 10, 25, 6, 0);
    const body = {
      streams: [
        {
          stream: { job: 'auth', env: 'prod' },
          values: [
            [ns(t), 'login ok for alice'],
            [
              ns(t + 1000),
              'token validation failed for tenant t-1',
              { level: 'error', trace_id: 'abc' },
            ],
          ],
        },
      ],
    };
    expect((await push(JSON.stringify(body))).status).toBe(204);
    const gz = await push(gzipSync(JSON.stringify(body)), { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(204);
    await waitFor('lines counted', async () => (await linesTotal()) === 4);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/aiops_log_lines_total\{service="auth",level="error"\} 2/);
  });

  it('answers 400 naming a bad line and keeps the good ones; 415 and 413 as Loki senders expect', async () => {
    const before = await linesTotal();
    const res = await push(
      JSON.stringify({
        streams: [
          {
            stream: { job: 'auth' },
            values: [
              [ns(Date.UTC(2026, 10, 25, 7)), 'fine'],
              [1795000000000000000, 'numeric timestamp'],
            ],
          },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /values\[1\].*unix nanoseconds as a string.*1 lines accepted/,
    );
    await waitFor('the good line counted', async () => (await linesTotal()) === before + 1);
    expect((await push('x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await push('not json')).status).toBe(400);
    const bomb = gzipSync(Buffer.alloc(1 << 20, 0x20));
    expect((await push(bomb, { 'content-encoding': 'gzip' })).status).toBe(413);
  });

  it('takes snappy protobuf as promtail and Alloy send it, with or without Content-Encoding', async () => {
    const before = await linesTotal();
    const errorsBefore = await counter('aiops_log_lines_total', 'level="error"');
    const t = Date.UTC(2026, 10, 25, 8, 0);
    const body = lokiProtoBody([
      {
        labels: '{env="prod", job="auth"}',
        entries: [
          { ms: t, line: 'login ok for bob' },
          { ms: t + 1000, line: 'token validation failed', metadata: { level: 'error' } },
        ],
      },
    ]);
    const proto = { 'content-type': 'application/x-protobuf' };
    expect((await push(body, proto)).status).toBe(204);
    expect((await push(body, { ...proto, 'content-encoding': 'snappy' })).status).toBe(204);
    await waitFor('protobuf lines counted', async () => (await linesTotal()) === before + 4);
    expect(await counter('aiops_log_lines_total', 'level="error"')).toBe(errorsBefore + 2);
  });

  it('answers 400 naming a bad selector and keeps the other streams; 400 and 413 for bad bodies', async () => {
    const before = await linesTotal();
    const rejected = async (reason: string): Promise<number> =>
      counter('aiops_ingest_rejected_total', `reason="${reason}"`);
    const [labelsBefore, malformedBefore, tooLargeBefore] = [
      await rejected('invalid_labels'),
      await rejected('malformed_body'),
      await rejected('body_too_large'),
    ];
    const proto = { 'content-type': 'application/x-protobuf' };
    const t = Date.UTC(2026, 10, 25, 9, 0);
    const res = await push(
      lokiProtoBody([
        { labels: '{job="auth", level=~"err"}', entries: [{ ms: t, line: 'regex matcher' }] },
        { labels: '{job="auth"}', entries: [{ ms: t, line: 'kept' }] },
      ]),
      proto,
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /streams\[0\]: bad stream selector.*only = matchers.*1 lines accepted/,
    );
    await waitFor('the good stream counted', async () => (await linesTotal()) === before + 1);
    expect(await rejected('invalid_labels')).toBe(labelsBefore + 1);
    expect((await push('definitely not snappy', proto)).status).toBe(400);
    expect(await rejected('malformed_body')).toBe(malformedBefore + 1);
    // A block declaring 1 MiB (the limit here is 64 KiB): 413 before it is decompressed.
    const bomb = lokiProtoBody([
      { labels: '{job="auth"}', entries: [{ ms: t, line: ' '.repeat(1 << 20) }] },
    ]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const tooLarge = await push(bomb, proto);
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as { code: string }).code).toBe(
      'AIOPS_ERR_INGEST_BODY_TOO_LARGE',
    );
    expect(await rejected('body_too_large')).toBe(tooLargeBefore + 1);
  });
});
