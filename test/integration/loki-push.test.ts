/**
 * Real Redis, real HTTP: Loki push JSON (as promtail and Alloy send it, plain or gzip) reaches
 * the log stage; bad lines are answered as Loki does, and the rest are kept.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/service/service.js';
import { startTestService } from '../helpers/service.js';
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
    expect((await push('x', { 'content-type': 'application/x-protobuf' })).status).toBe(415);
    expect((await push('not json')).status).toBe(400);
    const bomb = gzipSync(Buffer.alloc(1 << 20, 0x20));
    expect((await push(bomb, { 'content-encoding': 'gzip' })).status).toBe(413);
  });
});
