/**
 * remote_write 1.0 bodies built with protobufjs from the spec's schema: an encoder independent
 * of the worker's hand-written decoder.
 */
import protobuf from 'protobufjs';
import { compress } from 'snappyjs';

const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: {
          fields: {
            timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 },
            metadata: { rule: 'repeated', type: 'MetricMetadata', id: 3 },
          },
        },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: {
          fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } },
        },
        MetricMetadata: {
          fields: {
            type: { type: 'int32', id: 1 },
            metricFamilyName: { type: 'string', id: 2 },
            help: { type: 'string', id: 4 },
            unit: { type: 'string', id: 5 },
          },
        },
      },
    },
  },
});
const WriteRequest = root.lookupType('prometheus.WriteRequest');

export interface TestSeries {
  labels: Record<string, string>;
  samples: { value: number; timestamp: number }[];
}

/** The protobuf bytes of a WriteRequest (labels sorted by name, as the spec asks). */
export function writeRequestBytes(
  series: readonly TestSeries[],
  metadata: { type: number; metricFamilyName: string; unit?: string }[] = [],
): Uint8Array {
  const message = WriteRequest.create({
    timeseries: series.map((s) => ({
      labels: Object.keys(s.labels)
        .sort()
        .map((name) => ({ name, value: s.labels[name] })),
      samples: s.samples,
    })),
    metadata,
  });
  return WriteRequest.encode(message).finish();
}

/** A snappy-compressed WriteRequest, as Prometheus sends it. */
export function remoteWriteBody(
  series: readonly TestSeries[],
  metadata: { type: number; metricFamilyName: string; unit?: string }[] = [],
): Buffer {
  return Buffer.from(compress(writeRequestBytes(series, metadata)));
}

/** Prometheus' staleness marker as a double. */
export const STALE_NAN = new Float64Array(
  new BigUint64Array([0x7ff0000000000002n]).buffer,
)[0] as number;
