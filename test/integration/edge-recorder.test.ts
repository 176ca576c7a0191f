/** Discovered dependency edges in Redis (real Redis, random key prefix). */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { EdgeRecorder } from '../../src/queues/edge-recorder.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from '../helpers/redis.js';

const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL);

afterAll(async () => {
  redis.disconnect();
  await deletePrefix(prefix);
});

describe('EdgeRecorder', () => {
  it('records each service-graph edge once, across processes, and ignores other series', async () => {
    const a = new EdgeRecorder(redis, prefix);
    const b = new EdgeRecorder(redis, prefix);
    const graphSeries = (client: string, server: string) => ({
      metric: 'traces_service_graph_request_total',
      labels: { client, server },
    });
    await a.record([graphSeries('routing', 'auth'), { metric: 'http_requests_total', labels: {} }]);
    await b.record([graphSeries('routing', 'auth'), graphSeries('auth', 'storage')]);
    await a.record([graphSeries('routing', 'auth')]);
    expect(await redis.scard(`${prefix}:graph:discovered`)).toBe(2);
    expect(await b.load()).toEqual([
      { from: 'auth', to: 'storage' },
      { from: 'routing', to: 'auth' },
    ]);
  });
});
