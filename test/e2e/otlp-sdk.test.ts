/**
 * The real OpenTelemetry JS SDK exporters (0.223.0) as OTLP/HTTP clients of an in-process
 * worker: a MeterProvider with a gauge, a counter and a histogram, and a LoggerProvider, export
 * over JSON (exporter-*-otlp-http) and binary protobuf (exporter-*-otlp-proto, gzip); the
 * worker scores the series and counts the log lines.
 */
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, waitFor } from '../helpers/redis.js';
import { startTestService } from '../helpers/service.js';

const prefix = randomPrefix();
let service: RunningService;

beforeAll(async () => {
  service = await startTestService(
    {
      services: { 'shop-json': {}, 'shop-proto': {} },
      redis: { prefix },
      detect: { detectors: { default: 'ewma' } },
    },
    'ingest,detect,logs',
  );
});

afterAll(async () => {
  await service.close(5000);
  await deletePrefix(prefix);
});

const metricsText = async (): Promise<string> => (await fetch(`${service.url}/metrics`)).text();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(['json', 'proto'] as const)('OpenTelemetry SDK exporters over %s', (encoding) => {
  const svc = `shop-${encoding}`;

  it('gauge, counter and histogram series are scored; log lines counted by level', async () => {
    const url = (path: string) => `${service.url}${path}`;
    const metricExporter =
      encoding === 'json'
        ? new JsonMetricExporter({ url: url('/v1/metrics') })
        : new ProtoMetricExporter({
            url: url('/v1/metrics'),
            compression: CompressionAlgorithm.GZIP,
          });
    const resource = resourceFromAttributes({ 'service.name': svc });
    const meters = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: metricExporter,
          exportIntervalMillis: 3_600_000,
        }),
      ],
    });
    const meter = meters.getMeter('e2e');
    const queue = meter.createGauge('queue.size');
    const orders = meter.createCounter('orders');
    const latency = meter.createHistogram('checkout.duration', {
      advice: { explicitBucketBoundaries: [10, 50, 100, 500] },
    });
    for (let round = 0; round < 4; round++) {
      queue.record(5 + round, { region: 'eu' });
      orders.add(3 + round, { region: 'eu' });
      for (let i = 0; i < 20; i++) latency.record(20 + i * 5, { region: 'eu' });
      await pause(20);
      await meters.forceFlush();
    }
    await meters.shutdown();

    const logExporter =
      encoding === 'json'
        ? new JsonLogExporter({ url: url('/v1/logs') })
        : new ProtoLogExporter({ url: url('/v1/logs'), compression: CompressionAlgorithm.GZIP });
    const logs = new LoggerProvider({
      resource,
      processors: [new SimpleLogRecordProcessor({ exporter: logExporter })],
    });
    const logger = logs.getLogger('e2e');
    logger.emit({
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: 'payment declined for order 17',
    });
    logger.emit({
      severityNumber: SeverityNumber.INFO,
      body: 'order 18 placed',
      attributes: { order: 18 },
    });
    await logs.forceFlush();
    await logs.shutdown();

    const series = [
      'queue_size',
      'orders_total',
      'checkout_duration_rate',
      'checkout_duration_p99',
    ];
    const scored = (text: string, metric: string) =>
      text
        .split('\n')
        .some(
          (l) =>
            l.startsWith('aiops_anomaly_score{') &&
            l.includes(`service="${svc}"`) &&
            l.includes(`metric="${metric}"`),
        );
    await waitFor(
      `${encoding}: every series scored`,
      async () => {
        const text = await metricsText();
        return series.every((m) => scored(text, m));
      },
      20_000,
    );
    await waitFor(
      `${encoding}: log lines counted`,
      async () => {
        const text = await metricsText();
        return (
          text.includes(`aiops_log_lines_total{service="${svc}",level="error"} 1`) &&
          text.includes(`aiops_log_lines_total{service="${svc}",level="info"} 1`)
        );
      },
      20_000,
    );
    expect(await metricsText()).not.toMatch(
      /aiops_ingest_rejected_total\{reason="[a-z_]+"\} [1-9]/,
    );
  });
});
