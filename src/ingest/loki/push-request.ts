/**
 * Decodes Loki's protobuf `PushRequest` (after snappy), as promtail, Grafana Alloy's
 * `loki.write` and Grafana Agent send it. Only the messages needed are embedded, from grafana/loki
 * `pkg/push/push.proto` (package logproto):
 *
 *   PushRequest      { repeated StreamAdapter streams = 1; }
 *   StreamAdapter    { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
 *   EntryAdapter     { google.protobuf.Timestamp timestamp = 1; string line = 2;
 *                      repeated LabelPairAdapter structuredMetadata = 3; }
 *   LabelPairAdapter { string name = 1; string value = 2; }
 *   Timestamp        { int64 seconds = 1; int32 nanos = 2; }
 *
 * protobufjs does the decoding (log pushes carry far fewer, longer records than remote_write,
 * so a hand-written reader would buy little); unknown fields are skipped. Any failure to decode
 * is a LokiProtoError (the request gets 400).
 */
import protobuf from 'protobufjs';

export class LokiProtoError extends Error {
  override name = 'LokiProtoError';
}

const root = protobuf.Root.fromJSON({
  nested: {
    logproto: {
      nested: {
        PushRequest: {
          fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 } },
        },
        StreamAdapter: {
          fields: {
            labels: { type: 'string', id: 1 },
            entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
            hash: { type: 'uint64', id: 3 },
          },
        },
        EntryAdapter: {
          fields: {
            timestamp: { type: 'google.protobuf.Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
          },
        },
        LabelPairAdapter: {
          fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } },
        },
      },
    },
    google: {
      nested: {
        protobuf: {
          nested: {
            Timestamp: {
              fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } },
            },
          },
        },
      },
    },
  },
});
const PushRequest = root.lookupType('logproto.PushRequest');

/** An int64 as protobufjs hands it out: a number, or a Long when it may not fit one. */
type Int64 = number | { toNumber(): number };

/** The shapes protobufjs decodes the schema above into (absent fields read as defaults). */
export interface DecodedPushRequest {
  readonly streams: readonly {
    readonly labels: string;
    readonly entries: readonly {
      readonly timestamp: { readonly seconds: Int64; readonly nanos: number } | null;
      readonly line: string;
      readonly structuredMetadata: readonly { readonly name: string; readonly value: string }[];
    }[];
  }[];
}

/** An int64 as a JS number (exact up to 2^53; larger ones are out of any range we accept). */
export const int64ToNumber = (v: Int64): number => (typeof v === 'number' ? v : v.toNumber());

export function decodePushRequest(bytes: Uint8Array): DecodedPushRequest {
  try {
    return PushRequest.decode(bytes) as unknown as DecodedPushRequest;
  } catch (err) {
    // protobufjs throws Error / RangeError / ProtocolError on malformed input, all alike to us.
    throw new LokiProtoError(`the body is not a Loki PushRequest: ${(err as Error).message}`);
  }
}
