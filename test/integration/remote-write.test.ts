/**
 * Real Redis, real HTTP: remote_write 1.0 bodies (built with protobufjs, as Prometheus sends
 * them) are decoded, queued and scored; bad bodies get the status the spec prescribes.
 */
import { Redis } from 'ioredis';
import { compress } from 'snappyjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/service/service.js';
import { startTestService } from '../helpers/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { remoteWriteBody, STALE_NAN } from '../helpers/remote-write.js';

const prefix = randomPrefix();
let service: RunningService;
let redis: Redis;

beforeAll(async () => {
  service = await startTestService(
    {
      services: { auth: {} },
      redis: { prefix },
      ingest: { service_labels: ['service', 'job'], max_decompressed_bytes: 64 * 1024 },
      detect: { detectors: { default: 'ewma' } },
    },
    'ingest,detect',
  );
  redis = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  await service.close(5000);
  redis.disconnect();
  await deletePrefix(prefix);
});

const HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
  'user-agent': 'Prometheus/2.42.0',
};
const post = (body: Uint8Array, headers: Record<string, string> = HEADERS): Promise<Response> =>
  fetch(`${service.url}/api/v1/write`, { method: 'POST', headers, body });

describe('POST /api/v1/write (remote_write 1.0)', () => {
  it('queues and scores every sample; a staleness marker ends a series without a sample', async () => {
    const t0 = Date.UTC(2026, 10, 25, 6, 0);
    const samples = Array.from({ length: 300 }, (_, i) => ({
      value: 30 + (i % 5),
      timestamp: t0 + i * 15_000,
    }));
    const res = await post(
      remoteWriteBody([
        { labels: { __name__: 'login_failures', job: 'auth' }, samples },
        { labels: { __name__: 'up', job: 'auth' }, samples: [{ value: STALE_NAN, timestamp: t0 }] },
      ]),
    );
    expect(res.status).toBe(204);
    await waitFor(
      'samples scored',
      async () => Number(await redis.hget(`${prefix}:detect:stats`, 'taken')) === 300,
    );
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/aiops_samples_received_total\{kind="metric"\} 300/);
  });

  it('keeps the valid series of a mixed request and answers 400 naming the bad one', async () => {
    const res = await post(
      remoteWriteBody([
        {
          labels: { __name__: 'ok_metric', job: 'auth' },
          samples: [
            { value: 1, timestamp: Date.UTC(2026, 10, 25) },
            { value: Number.NaN, timestamp: Date.UTC(2026, 10, 25, 0, 1) },
          ],
        },
        { labels: { job: 'auth' }, samples: [{ value: 1, timestamp: Date.UTC(2026, 10, 25) }] },
      ]),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('AIOPS_ERR_INGEST_INVALID_RECORD');
    // A series without __name__ breaks the spec: 400, and the valid series were still taken.
    expect(body.message).toBe(
      '1 of 2 series break the remote_write spec, the first: a series has no __name__ label; ' +
        'the other series were taken: 1 sample queued, 1 sample not scored (counted in aiops_ingest_rejected_total by reason)',
    );
  });

  it('answers 415 to remote_write 2.0, another encoding or type; 413 to a bomb; 400 to garbage', async () => {
    const body = remoteWriteBody([{ labels: { __name__: 'x', job: 'auth' }, samples: [] }]);
    const v2 = await post(body, {
      ...HEADERS,
      'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
      'x-prometheus-remote-write-version': '2.0.0',
    });
    expect(v2.status).toBe(415);
    expect(((await v2.json()) as { message: string }).message).toMatch(/2\.0 is not supported/);
    expect((await post(body, { ...HEADERS, 'content-encoding': 'gzip' })).status).toBe(415);
    const plain = await fetch(`${service.url}/api/v1/write`, {
      method: 'POST',
      headers: { ...HEADERS, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(plain.status).toBe(415);
    // 1 MiB of zeros compresses to a few KiB but inflates past the 64 KiB limit.
    const bomb = compress(new Uint8Array(1 << 20));
    const big = await post(bomb);
    expect(big.status).toBe(413);
    const garbage = await post(
      new Uint8Array([0x24, 0xfc, 0xfa, 0x69, 0x04, 0xfd, 0x06, 0xff, 0x49]),
    );
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { code: string }).code).toBe(
      'AIOPS_ERR_INGEST_MALFORMED_BODY',
    );
    const notProto = await post(compress(new Uint8Array([0x0b, 0x0b])));
    expect(notProto.status).toBe(400);
  });
});
