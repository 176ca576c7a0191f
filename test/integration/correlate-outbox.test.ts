/**
 * Transitions are not lost when handing them on fails: they are saved in the correlator state's
 * outbox with the change, and handed on by the next job or the failed job's retry (real Redis,
 * random prefix).
 */
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startCorrelateWorker } from '../../src/correlate/correlate-worker.js';
import { correlatorFromConfig } from '../../src/correlate/from-config.js';
import { serviceGraph } from '../../src/correlate/graph.js';
import type { IncidentEvent } from '../../src/correlate/incidents.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { queueAnomalies, storyAnomalies } from '../helpers/story.js';

const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
let worker: Worker | undefined;

afterAll(async () => {
  await worker?.close();
  redis.disconnect();
  await deletePrefix(prefix);
});

describe('correlator outbox', () => {
  it('a transition whose hand-on failed is handed on by the retry, then leaves the outbox', async () => {
    const config = parseConfig({
      services: {
        auth: { depends_on: ['storage'] },
        routing: { depends_on: ['auth', 'storage'] },
        storage: {},
      },
      correlate: { settle_ms: 0 },
    });
    const handed: IncidentEvent['type'][] = [];
    let failures = 0;
    worker = startCorrelateWorker({
      connection: redis,
      prefix,
      correlator: correlatorFromConfig(config),
      graphFor: (d) => serviceGraph(config.services, d),
      latenessMs: 0,
      onTransition: (events) => {
        if (failures === 0) {
          failures += 1;
          return Promise.reject(new Error('the notify queue is down'));
        }
        handed.push(...events.map((e) => e.type));
        return Promise.resolve();
      },
      log: pino({ level: 'silent' }),
      metrics: createMetrics('test'),
    });
    const story = storyAnomalies(Date.now() - 1000);
    await queueAnomalies(redis, prefix, story);
    // The job whose hand-on failed fails; the next job (or its retry) hands the outbox on.
    await waitFor('the opened transition handed on', () => handed.includes('opened'), 20_000);
    expect(failures).toBe(1);
    expect(handed.filter((t) => t === 'opened')).toHaveLength(1);
    await waitFor('the outbox emptied', async () => {
      const raw = await redis.get(`${prefix}:correlate:state`);
      return raw !== null && (JSON.parse(raw) as { outbox: unknown[] }).outbox.length === 0;
    });
  }, 40_000);
});
