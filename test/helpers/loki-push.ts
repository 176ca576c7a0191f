/**
 * Loki protobuf push bodies built with protobufjs from grafana/loki's push.proto and compressed
 * with snappyjs (block format), as promtail does (`proto.Marshal` then `snappy.Encode`): an
 * encoder independent of the worker's decoding path.
 */
import protobuf from 'protobufjs';
import { compress } from 'snappyjs';

const root = protobuf.Root.fromJSON({
  nested: {
    logproto: {
      nested: {
        PushRequest: { fields: { streams: { rule: 'repeated', type: 'Stream', id: 1 } } },
        Stream: {
          fields: {
            labels: { type: 'string', id: 1 },
            entries: { rule: 'repeated', type: 'Entry', id: 2 },
            hash: { type: 'uint64', id: 3 },
          },
        },
        Entry: {
          fields: {
            timestamp: { type: 'Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'Pair', id: 3 },
          },
        },
        Pair: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Timestamp: {
          fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } },
        },
      },
    },
  },
});
const PushRequest = root.lookupType('logproto.PushRequest');

export interface TestEntry {
  /** Unix ms; omitted: no timestamp field at all. */
  readonly ms?: number;
  /** Extra nanoseconds within the millisecond. */
  readonly extraNanos?: number;
  readonly line: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface TestStream {
  /** The selector text as the sender writes it, e.g. `{job="auth"}`. */
  readonly labels: string;
  readonly entries: readonly TestEntry[];
}

/** A selector as promtail writes it (`%s=%q`, sorted, ", "): JSON quoting is a Go literal too. */
export function selector(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${pairs.join(', ')}}`;
}

/** The protobuf bytes of a PushRequest. */
export function pushRequestBytes(streams: readonly TestStream[]): Uint8Array {
  const message = PushRequest.create({
    streams: streams.map((s) => ({
      labels: s.labels,
      hash: 12345,
      entries: s.entries.map((e) => ({
        ...(e.ms === undefined
          ? {}
          : {
              timestamp: {
                seconds: Math.floor(e.ms / 1000),
                nanos: (e.ms % 1000) * 1_000_000 + (e.extraNanos ?? 0),
              },
            }),
        line: e.line,
        structuredMetadata: Object.entries(e.metadata ?? {}).map(([name, value]) => ({
          name,
          value,
        })),
      })),
    })),
  });
  return PushRequest.encode(message).finish();
}

/** A snappy-compressed PushRequest, the body promtail posts. */
export function lokiProtoBody(streams: readonly TestStream[]): Buffer {
  return Buffer.from(compress(pushRequestBytes(streams)));
}
