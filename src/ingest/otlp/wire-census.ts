/**
 * Counts the values of a protobuf body before it is decoded: every message and every element of
 * a repeated field (packed or not), walked with protobufjs' Reader and the schema's reflection,
 * without allocating them. Decoding makes an object (or a Long and its string) of each, so a
 * small body of packed zero varints would otherwise take hundreds of MB: a body with more than
 * `maxValues` values is refused before it is decoded. Bytes that do not walk are left to the
 * decoder to report.
 */
import protobuf from 'protobufjs';
import { OtlpTooLargeError } from './otlp-errors.js';

/** Wire types (protobuf encoding). */
const LEN = 2;
/** Bytes per element of a packed fixed-width scalar. */
const FIXED_WIDTH: Readonly<Record<string, number>> = {
  double: 8,
  fixed64: 8,
  sfixed64: 8,
  float: 4,
  fixed32: 4,
  sfixed32: 4,
};
const MAX_DEPTH = 64;

/**
 * Values (messages and repeated elements) of a protobuf body at most: decoding takes up to
 * ~80 bytes of heap for each, so this bounds a request's decoded size to ~100 MB.
 */
export const MAX_PROTOBUF_VALUES = 1_000_000;

/** Throws OtlpTooLargeError when `bytes` hold more than `maxValues` values of `type`. */
export function checkValueCount(type: protobuf.Type, bytes: Uint8Array, maxValues: number): void {
  const census = { values: 0, max: maxValues };
  try {
    walk(type, protobuf.Reader.create(bytes), bytes.length, census, 0);
  } catch (err) {
    if (err instanceof OtlpTooLargeError) throw err;
    // Malformed bytes: the decoder says what is wrong with them.
  }
}

interface Census {
  values: number;
  readonly max: number;
}

function add(census: Census, n: number): void {
  census.values += n;
  if (census.values > census.max) {
    throw new OtlpTooLargeError(
      `the body holds more than ${census.max} values (data points, attributes, buckets); split it`,
    );
  }
}

function walk(
  type: protobuf.Type,
  reader: protobuf.Reader,
  end: number,
  census: Census,
  depth: number,
): void {
  if (depth > MAX_DEPTH) throw new Error('nested too deep');
  while (reader.pos < end) {
    const tag = reader.uint32();
    const wire = tag & 7;
    const field = type.fieldsById[tag >>> 3];
    if (field === undefined || wire !== LEN) {
      if (field?.repeated === true) add(census, 1);
      reader.skipType(wire);
      continue;
    }
    const length = reader.uint32();
    const stop = reader.pos + length;
    if (stop > end) throw new Error('a length runs past its message');
    const message = field.resolve().resolvedType;
    if (message instanceof protobuf.Type) {
      add(census, 1);
      walk(message, reader, stop, census, depth + 1);
    } else if (field.repeated && field.type !== 'string' && field.type !== 'bytes') {
      add(census, packedElements(field.type, reader.buf, reader.pos, stop));
    } else if (field.repeated) add(census, 1);
    reader.pos = stop;
  }
  if (reader.pos !== end) throw new Error('a field runs past its message');
}

/** Elements of a packed scalar field in `buf[from, to)`: by width, or varints by last bytes. */
function packedElements(type: string, buf: Uint8Array, from: number, to: number): number {
  const width = FIXED_WIDTH[type];
  if (width !== undefined) return Math.ceil((to - from) / width);
  let n = 0;
  for (let i = from; i < to; i++) if ((buf[i] as number) < 0x80) n++;
  return n;
}
