/**
 * Signal kinds from declared types and units (issue 16, item 5): remote_write's metadata, sent
 * in a request of its own as Prometheus does, is kept by family in Redis; the live correlator
 * reads it, so a histogram of sizes has its `_count` as traffic (a fall is a symptom) and its
 * `_sum` of no kind. The same anomalies on a family nobody typed open an incident; on the typed
 * one they do not. Against the real Redis, one worker with every role.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MetricType } from '../../src/ingest/remote-write/write-request.js';
import { MetricFamilies } from '../../src/queues/metric-families.js';
import type { RunningService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from '../helpers/redis.js';
import { remoteWriteBody } from '../helpers/remote-write.js';
import { startLedgerAndBilling } from '../helpers/service.js';
import { anomalyEvent, incidentServicesOnceOneOpens, queueAnomalies } from '../helpers/story.js';

const redis = new Redis(TEST_REDIS_URL);
const prefixes: string[] = [];
const services: RunningService[] = [];

afterAll(async () => {
  await Promise.all(services.map((s) => s.close()));
  redis.disconnect();
  await Promise.all(prefixes.map((p) => deletePrefix(p)));
});

describe('metric families: declared types and units', () => {
  it('the store keeps a family once, finds it by any sample name, asks again for a missing one after a minute', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    let now = 1_000_000;
    const writer = new MetricFamilies(redis, prefix);
    await writer.record(new Map([['rpc_wait_seconds', { type: 'histogram', unit: 'seconds' }]]));
    const reader = new MetricFamilies(redis, prefix, () => now);
    expect(reader.familyOf('rpc_wait_seconds_count')).toBeUndefined();
    await reader.load('rpc_wait_seconds_count');
    expect(reader.familyOf('rpc_wait_seconds_count')).toEqual({
      family: 'rpc_wait_seconds',
      meta: { type: 'histogram', unit: 'seconds' },
    });
    expect(reader.familyOf('rpc_wait_seconds_bucket')?.family).toBe('rpc_wait_seconds');
    // A family typed after a reader missed it shows once the minute has passed.
    await reader.load('queue_depth');
    await writer.record(new Map([['queue_depth', { type: 'gauge' }]]));
    await reader.load('queue_depth');
    expect(reader.familyOf('queue_depth')).toBeUndefined();
    now += 60_000;
    await reader.load('queue_depth');
    expect(reader.familyOf('queue_depth')).toEqual({
      family: 'queue_depth',
      meta: { type: 'gauge' },
    });
  });

  it('a declaration without a unit keeps the unit; after Redis lost the hash, the next declaration writes it again', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const key = `${prefix}:metrics:families`;
    const writer = new MetricFamilies(redis, prefix);
    await writer.record(new Map([['rpc_wait', { type: 'histogram', unit: 'seconds' }]]));
    // A name no metric may have is not written at all.
    await writer.record(new Map([['bad name', { type: 'gauge' }]]));
    expect(await redis.hexists(key, 'bad name')).toBe(0);
    // A text-format target declares the same family, which has no # UNIT.
    await writer.record(new Map([['rpc_wait', { type: 'histogram' }]]));
    expect(await redis.hget(key, 'rpc_wait')).toBe('histogram|seconds');
    await redis.del(key);
    await writer.record(new Map([['rpc_wait', { type: 'histogram', unit: 'seconds' }]]));
    expect(await redis.hget(key, 'rpc_wait')).toBeNull();
    writer.forget();
    await writer.record(new Map([['rpc_wait', { type: 'histogram', unit: 'seconds' }]]));
    expect(await redis.hget(key, 'rpc_wait')).toBe('histogram|seconds');
  });

  it("remote_write's metadata types a histogram of sizes: a fall of its _count is a symptom", async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const svc = await startLedgerAndBilling(prefix);
    services.push(svc);
    // Metadata alone, as Prometheus sends it (send_metadata), apart from the samples.
    const res = await fetch(`${svc.url}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body: remoteWriteBody(
        [],
        [{ type: MetricType.Histogram, metricFamilyName: 'rpc_payload_bytes', unit: 'bytes' }],
      ),
    });
    expect(res.status).toBe(204);
    expect(await redis.hget(`${prefix}:metrics:families`, 'rpc_payload_bytes')).toBe(
      'histogram|bytes',
    );

    // The same fall on each: the count of payloads and their total size, at two sample times.
    const t = Date.now() - 500;
    const fall = (service: string, family: string, at: number) => [
      anomalyEvent(service, `${family}_count`, at, 10, 100, 0.99),
      anomalyEvent(service, `${family}_sum`, at + 200, 1000, 10_000, 0.99),
    ];
    await queueAnomalies(redis, prefix, [
      ...fall('ledger', 'rpc_payload_bytes', t),
      ...fall('billing', 'job_payload_bytes', t + 300),
    ]);
    // ledger's was due first: typed, its _count fall is a symptom and its _sum alone is one
    // series: no incident. billing's family nobody typed: two series of no kind, one opens.
    const all = await incidentServicesOnceOneOpens(svc.url);
    expect(all).toEqual([['billing']]);
  });
});
