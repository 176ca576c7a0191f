/**
 * Readers for the loose object tree of an OTLP request, whichever encoding it came in: protobuf
 * decoded to a plain object (see proto.ts) or OTLP JSON as parsed. They never throw: a value of
 * the wrong type reads as absent, and the caller rejects the data point or record that needed it.
 *
 * OTLP JSON rules taken here: lowerCamelCase keys (snake_case accepted too), 64-bit integers as
 * decimal strings or numbers, enums as integers or their names (proto3 JSON allows both), trace and span ids as hex, `AnyValue` as an
 * object with one of `stringValue`, `boolValue`, `intValue`, `doubleValue`, `arrayValue`,
 * `kvlistValue`, `bytesValue` (base64 in JSON).
 */
import { MAX_TS } from '../records.js';

export type Loose = Readonly<Record<string, unknown>>;

export const isObject = (v: unknown): v is Loose =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

const snakeCache = new Map<string, string>();
const snake = (camel: string): string => {
  let s = snakeCache.get(camel);
  if (s === undefined) {
    s = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeCache.set(camel, s);
  }
  return s;
};

/** A field by its lowerCamelCase name, or its snake_case one. */
export function field(o: Loose, camel: string): unknown {
  const v = o[camel];
  return v !== undefined ? v : o[snake(camel)];
}

/** An object field; undefined when absent or not an object. */
export function objectField(o: Loose, camel: string): Loose | undefined {
  const v = field(o, camel);
  return isObject(v) ? v : undefined;
}

/** An array field: [] when absent, undefined when present but not an array. */
export function arrayField(o: Loose, camel: string): readonly unknown[] | undefined {
  const v = field(o, camel);
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : undefined;
}

export function stringField(o: Loose, camel: string): string | undefined {
  const v = field(o, camel);
  return typeof v === 'string' ? v : undefined;
}

/**
 * A number from a double field: a JSON number, or proto3 JSON's "NaN", "Infinity",
 * "-Infinity" and numeric strings. Undefined when absent or not a number.
 */
export function doubleOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return undefined;
  return Number(v);
}

/** A 64-bit integer (decimal string or number) as a double; undefined when not one. */
export function int64Of(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return Number(v);
  return undefined;
}

/** The enum names OTLP JSON may send instead of the numbers (proto3 JSON mapping). */
const ENUM_NAMES: ReadonlyMap<string, number> = new Map([
  ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 0],
  ['AGGREGATION_TEMPORALITY_DELTA', 1],
  ['AGGREGATION_TEMPORALITY_CUMULATIVE', 2],
  ['SEVERITY_NUMBER_UNSPECIFIED', 0],
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((level, i) =>
    ['', '2', '3', '4'].map(
      (n) => [`SEVERITY_NUMBER_${level}${n}`, i * 4 + 1 + (n === '' ? 0 : Number(n) - 1)] as const,
    ),
  ),
]);

/** An enum field: its number, or the number of its OTLP name; undefined otherwise. */
export function enumOf(v: unknown): number | undefined {
  return typeof v === 'string' ? (ENUM_NAMES.get(v) ?? int64Of(v)) : int64Of(v);
}

/**
 * Unix nanoseconds (decimal string or number) as a double (to ~256 ns at today's times: for
 * intervals); undefined when absent, zero or out of range.
 */
export function nanosOf(v: unknown): number | undefined {
  const ms = nanosToMs(v);
  return ms === undefined ? undefined : Number(v);
}

/** Unix nanoseconds (decimal string or number) as epoch ms; undefined when absent, zero or out of range. */
export function nanosToMs(v: unknown): number | undefined {
  let ms: number;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) {
    ms = v.length > 6 ? Number(v.slice(0, -6)) : 0;
  } else if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
    ms = Math.floor(v / 1e6);
  } else return undefined;
  return ms > 0 && ms <= MAX_TS ? ms : undefined;
}

const MAX_DEPTH = 16;

/** An AnyValue as a plain JS value (kvlists as objects, bytes as base64); depth-bounded. */
export function anyValueToJs(v: unknown, depth = 0): unknown {
  if (!isObject(v)) return null;
  if (depth > MAX_DEPTH) return '…';
  const s = field(v, 'stringValue');
  if (typeof s === 'string') return s;
  const b = field(v, 'boolValue');
  if (typeof b === 'boolean') return b;
  const i = field(v, 'intValue');
  if (i !== undefined) return int64Of(i) ?? null;
  const d = field(v, 'doubleValue');
  if (d !== undefined) return doubleOf(d) ?? null;
  const bytes = field(v, 'bytesValue');
  if (bytes instanceof Uint8Array) return Buffer.from(bytes).toString('base64');
  if (typeof bytes === 'string') return bytes;
  const arr = objectField(v, 'arrayValue');
  if (arr) return (arrayField(arr, 'values') ?? []).map((x) => anyValueToJs(x, depth + 1));
  const kv = objectField(v, 'kvlistValue');
  if (kv) {
    const out: Record<string, unknown> = {};
    for (const e of arrayField(kv, 'values') ?? []) {
      if (!isObject(e)) continue;
      const key = stringField(e, 'key');
      if (key !== undefined) out[key] = anyValueToJs(field(e, 'value'), depth + 1);
    }
    return out;
  }
  return null;
}

/** An AnyValue as a string: strings as they are, anything else as JSON; undefined when empty. */
export function anyValueToString(v: unknown): string | undefined {
  const js = anyValueToJs(v);
  if (js === null || js === '') return undefined;
  if (typeof js === 'string') return js;
  if (typeof js === 'number' && !Number.isFinite(js)) return String(js);
  return JSON.stringify(js);
}

/**
 * A KeyValue list as key → string (see anyValueToString); entries without a key or a value are
 * left out. Undefined when the field is present but not a list.
 */
export function attributesOf(o: Loose, camel = 'attributes'): Map<string, string> | undefined {
  const list = arrayField(o, camel);
  if (list === undefined) return undefined;
  const out = new Map<string, string>();
  for (const e of list) {
    if (!isObject(e)) return undefined;
    const key = stringField(e, 'key');
    if (key === undefined || key === '') continue;
    const value = anyValueToString(field(e, 'value'));
    if (value !== undefined) out.set(key, value);
  }
  return out;
}

/** Trace or span id: bytes (protobuf) or hex (JSON) as lowercase hex; undefined when empty. */
export function idToHex(v: unknown): string | undefined {
  if (v instanceof Uint8Array) return v.length > 0 ? Buffer.from(v).toString('hex') : undefined;
  if (typeof v === 'string' && /^(?:[0-9a-fA-F]{2}){1,32}$/.test(v)) return v.toLowerCase();
  return undefined;
}
