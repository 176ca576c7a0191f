/**
 * OpenTelemetry tracing. The code everywhere uses only `@opentelemetry/api` (a no-op unless an
 * SDK is registered); the SDK is loaded here, and only when an OTLP endpoint is configured.
 */
import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';

export const tracer = trace.getTracer('aiops-worker');

/** Runs `fn` inside a span, recording an exception and error status when it throws. */
export async function withSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

export interface TracingHandle {
  shutdown(): Promise<void>;
}

/** Starts the OTel Node SDK exporting traces over OTLP/HTTP. */
export async function startTracing(endpoint: string, serviceName: string): Promise<TracingHandle> {
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const sdk = new NodeSDK({
    serviceName,
    traceExporter: new OTLPTraceExporter({ url: endpoint }),
    instrumentations: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
