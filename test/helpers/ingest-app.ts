/**
 * An HTTP server with only the ingest plugin, its queues stubbed (each job's data is kept), for
 * tests of ingest's HTTP behaviour without Redis.
 */
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createHttpServer } from '../../src/http/server.js';
import { resolveTokens } from '../../src/ingest/bearer-auth.js';
import { ingestPlugin } from '../../src/ingest/ingest-plugin.js';
import { IngestWriter } from '../../src/ingest/ingest-writer.js';
import { SeriesLimiter } from '../../src/ingest/series-limiter.js';
import { createMetrics, type Metrics } from '../../src/telemetry/metrics.js';

export interface IngestApp {
  readonly app: FastifyInstance;
  /** The data of every job the plugin queued. */
  readonly jobs: unknown[];
  readonly metrics: Metrics;
  /** Requests refused so far (`aiops_ingest_rejected_total`, all reasons). */
  readonly refusals: () => Promise<number>;
}

export async function ingestApp(o: {
  readonly bodyLimit: number;
  readonly maxDecompressedBytes?: number;
  /** Ingest tokens by sender name; none: ingest is open. */
  readonly tokens?: readonly { readonly name: string; readonly token: string }[];
}): Promise<IngestApp> {
  const log = pino({ level: 'silent' });
  const metrics = createMetrics('test');
  const jobs: unknown[] = [];
  const queue = {
    add: (_name: string, data: unknown) => {
      jobs.push(data);
      return Promise.resolve({});
    },
  } as unknown as Queue;
  const app = createHttpServer({ bodyLimit: o.bodyLimit, log });
  await app.register(ingestPlugin, {
    writer: new IngestWriter({
      samplesQueues: [queue],
      logsQueues: [queue],
      maxItems: 1000,
      lingerMs: 1,
      writeTimeoutMs: 1000,
    }),
    limits: {
      serviceLabels: ['service'],
      maxLabels: 30,
      maxLabelNameLength: 128,
      maxLabelValueLength: 1024,
    },
    metrics,
    log,
    series: new SeriesLimiter({
      maxActive: 100,
      maxActivePerService: 100,
      maxNewPerMinute: 100,
      idleMs: 60_000,
    }),
    auth: resolveTokens(o.tokens ?? []),
    backlogs: {},
    maxRecords: 1000,
    maxDecompressedBytes: o.maxDecompressedBytes ?? o.bodyLimit,
    rejections: metrics.samplesRejected,
  });
  const refusals = async (): Promise<number> => {
    const counter = metrics.registry.getSingleMetric('aiops_ingest_rejected_total');
    const values = counter ? (await counter.get()).values : [];
    return values.reduce((n, v) => n + v.value, 0);
  };
  return { app, jobs, metrics, refusals };
}
