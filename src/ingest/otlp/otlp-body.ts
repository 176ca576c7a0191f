/**
 * An OTLP/HTTP request body, by its Content-Type: `application/x-protobuf` (binary protobuf) or
 * `application/json` (OTLP JSON), decoded to the same loose object tree (see otlp-values.ts).
 * Bytes that do not decode throw OtlpFormatError, a protobuf body of more than `maxValues`
 * values (counted before decoding, wire-census.ts) OtlpTooLargeError; nothing else is thrown.
 */
import type protobuf from 'protobufjs';
import { OtlpFormatError } from './otlp-errors.js';
import { decodeToObject } from './proto.js';
import { MAX_PROTOBUF_VALUES, checkValueCount } from './wire-census.js';

export const OtlpEncoding = { Protobuf: 'protobuf', Json: 'json' } as const;
export type OtlpEncoding = (typeof OtlpEncoding)[keyof typeof OtlpEncoding];

/** The encoding of a Content-Type; undefined for any other type. */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (media === 'application/x-protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

/** The body's request message as a loose object tree. */
export function decodeOtlpBody(
  bytes: Uint8Array,
  encoding: OtlpEncoding,
  type: protobuf.Type,
  maxValues = MAX_PROTOBUF_VALUES,
): unknown {
  if (encoding === 'json') {
    try {
      return JSON.parse(
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
      ) as unknown;
    } catch (err) {
      throw new OtlpFormatError(`the body is not JSON: ${(err as Error).message}`);
    }
  }
  checkValueCount(type, bytes, maxValues);
  try {
    return decodeToObject(type, bytes);
  } catch (err) {
    throw new OtlpFormatError(`the body is not a protobuf ${type.name}: ${(err as Error).message}`);
  }
}
