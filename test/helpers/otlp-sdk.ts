/**
 * OTLP bodies encoded by the OpenTelemetry JS SDK itself (sdk-metrics / sdk-logs data,
 * serialised by @opentelemetry/otlp-transformer, the code the OTLP exporters use): an encoder
 * independent of the worker's decoder, in both encodings.
 */
import type { Meter } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';

export { SeverityNumber };

/** Both encodings of one export request. */
export interface OtlpBodies {
  readonly proto: Uint8Array;
  readonly json: Uint8Array;
}

class ManualReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A meter whose recordings `collect()` turns into OTLP bodies (cumulative unless `delta`);
 * histograms named in `exponential` get exponential buckets.
 */
export function sdkMeter(
  service: string,
  delta = false,
  exponential: readonly string[] = [],
): {
  meter: Meter;
  collect: () => Promise<OtlpBodies>;
} {
  const reader = new ManualReader(
    delta ? { aggregationTemporalitySelector: () => AggregationTemporality.DELTA } : {},
  );
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    readers: [reader],
    views: exponential.map((instrumentName) => ({
      instrumentName,
      aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
    })),
  });
  return {
    meter: provider.getMeter('test'),
    collect: async () => {
      const { resourceMetrics } = await reader.collect();
      const proto = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
      const json = JsonMetricsSerializer.serializeRequest(resourceMetrics);
      if (!proto || !json) throw new Error('the SDK serialised nothing');
      return { proto, json };
    },
  };
}

/** A logger whose records `collect()` turns into OTLP bodies. */
export function sdkLogger(service: string): {
  logger: Logger;
  collect: () => OtlpBodies;
} {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  return {
    logger: provider.getLogger('test'),
    collect: () => {
      const records = exporter.getFinishedLogRecords();
      const proto = ProtobufLogsSerializer.serializeRequest(records);
      const json = JsonLogsSerializer.serializeRequest(records);
      if (!proto || !json) throw new Error('the SDK serialised nothing');
      return { proto, json };
    },
  };
}
