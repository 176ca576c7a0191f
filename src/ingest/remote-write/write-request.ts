/**
 * Decodes a Prometheus remote_write 1.0 `WriteRequest` (protobuf, after snappy):
 *
 *   WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 *   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2;
 *                    repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
 *   Label          { string name = 1; string value = 2; }
 *   Sample         { double value = 1; int64 timestamp = 2; }
 *   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4;
 *                    string unit = 5; }
 *
 * Hand-written rather than protobufjs: ECOSYSTEM.md measured protobufjs at 0.3M samples/s per
 * core on real remote_write payloads against 1.3M for a hand-written reader, and the issue asks
 * for 1M (bench/ingest.ts measures both). Unknown fields are skipped by wire type, as protobuf
 * requires; a malformed or truncated message throws a ProtoError (the request gets 400).
 */
import { LabelSetCache, hashBytes } from './label-set-cache.js';

export class ProtoError extends Error {
  override name = 'ProtoError';
}

/** Prometheus `MetricMetadata.MetricType`. */
export const MetricType = {
  Unknown: 0,
  Counter: 1,
  Gauge: 2,
  Histogram: 3,
  GaugeHistogram: 4,
  Summary: 5,
  Info: 6,
  Stateset: 7,
} as const;

export interface DecodedSeries {
  /** name, value, name, value, … in wire order (frozen: shared by every request that sent it). */
  labels: readonly string[];
  readonly timestamps: number[];
  readonly values: number[];
  /** Indices of the samples that are staleness markers (NaN 0x7ff0000000000002). */
  readonly stale: readonly number[];
  /** Native histogram samples: not scored (counted as rejected by the caller). */
  histograms: number;
}

export interface DecodedWriteRequest {
  readonly series: DecodedSeries[];
  /** Metric family name → MetricType, from the request's metadata. */
  readonly metadata: Map<string, number>;
  /** Metric family name → its unit, from the request's metadata (when it gave one). */
  readonly units: Map<string, string>;
  /** Float samples over all series. */
  readonly samples: number;
}

const decoder = new TextDecoder();

class Reader {
  pos: number;
  /** Always a Buffer (decodeWriteRequest wraps a Uint8Array): one shape for every element read. */
  readonly buf: Buffer;
  readonly end: number;
  readonly view: DataView;
  /** The last Sample read (readSample). */
  sampleValue = 0;
  sampleTimestamp = 0;
  sampleStale = false;
  constructor(buf: Buffer, start: number, end: number) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  varint(): number {
    // One-byte varints (every tag and short length here) without the loop.
    if (this.pos < this.end) {
      const b = this.buf[this.pos] as number;
      if (b < 0x80) {
        this.pos += 1;
        return b;
      }
    }
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
    throw new ProtoError('varint longer than 10 bytes');
  }

  /**
   * A varint read as a signed int64 (two's complement), as a double. Read as two 32-bit halves:
   * a negative number's ten-byte form is past 2^53, where a double would lose it.
   */
  int64(): number {
    // Fast path: a non-negative value in at most seven bytes (below 2^49, millisecond
    // timestamps until the year 19800) is exact as a double; anything else is read in halves.
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7 && start + i < this.end; i++) {
      const b = this.buf[start + i] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = start + i + 1;
        return value;
      }
      scale *= 128;
    }
    return this.int64Halves();
  }

  private int64Halves(): number {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError('truncated varint');
      const b = this.buf[this.pos++] as number;
      const bits = b & 0x7f;
      const at = i * 7;
      if (at < 28) lo = (lo | (bits << at)) >>> 0;
      else if (at === 28) {
        lo = (lo | (bits << 28)) >>> 0;
        hi = bits >>> 4;
      } else hi = (hi | (bits << (at - 32))) >>> 0;
      if (b < 0x80) {
        if (hi >>> 31 === 0) return hi * 2 ** 32 + lo;
        // Negative: -(~value + 1).
        const nlo = (~lo + 1) >>> 0;
        const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
        return -(nhi * 2 ** 32 + nlo);
      }
    }
    throw new ProtoError('varint longer than 10 bytes');
  }

  /** True when the 8 bytes here are Prometheus' staleness marker. */
  staleMarker(): boolean {
    return (
      this.pos + 8 <= this.end &&
      this.view.getUint32(this.pos, true) === 2 &&
      this.view.getUint32(this.pos + 4, true) === 0x7ff00000
    );
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtoError('truncated double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The end offset of a length-delimited field that starts here (after its length). */
  len(): number {
    const n = this.varint();
    const end = this.pos + n;
    if (end > this.end) throw new ProtoError('length-delimited field runs past its message');
    return end;
  }

  string(): string {
    const end = this.len();
    const s = decoder.decode(this.buf.subarray(this.pos, end));
    this.pos = end;
    return s;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        if (this.pos + 8 > this.end) throw new ProtoError('truncated fixed64');
        this.pos += 8;
        return;
      case 2:
        this.pos = this.len();
        return;
      case 5:
        if (this.pos + 4 > this.end) throw new ProtoError('truncated fixed32');
        this.pos += 4;
        return;
      default:
        throw new ProtoError(`unsupported wire type ${wireType}`);
    }
  }
}

function readLabel(r: Reader, end: number, out: string[]): void {
  let name = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 2) name = r.string();
    else if (field === 2 && wire === 2) value = r.string();
    else r.skip(wire);
  }
  out.push(name, value);
}

/** Reads one Sample message into the reader's `sample*` fields (no allocation). */
function readSample(r: Reader, end: number): void {
  let value = 0;
  let timestamp = 0;
  let stale = false;
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 1) {
      stale = r.staleMarker();
      value = r.double();
    } else if (field === 2 && wire === 0) timestamp = r.int64();
    else r.skip(wire);
  }
  r.sampleValue = value;
  r.sampleTimestamp = timestamp;
  r.sampleStale = stale;
}

/** Label sets seen before, by their wire bytes (see LabelSetCache). */
const labelCache = new LabelSetCache();

/** The labels of the bytes [start, end) (label fields only), decoded or from the cache. */
function cachedLabels(r: Reader, start: number, end: number): readonly string[] {
  const h = hashBytes(r.view, start, end);
  const hit = labelCache.get(h, r.view, start, end);
  if (hit !== undefined) return hit;
  const labels: string[] = [];
  const sub = new Reader(r.buf, start, end);
  while (sub.pos < end) {
    const tag = sub.varint();
    const subEnd = sub.len();
    if (tag !== 10) throw new ProtoError('unexpected field among labels');
    readLabel(sub, subEnd, labels);
    if (sub.pos !== subEnd) throw new ProtoError('a message ends inside a field');
  }
  Object.freeze(labels);
  labelCache.set(h, r.view, start, end, labels);
  return labels;
}

const NO_LABELS: readonly string[] = Object.freeze([]);
const NO_STALE: readonly number[] = Object.freeze([]);

function readSeries(r: Reader, end: number): DecodedSeries {
  // Arrays made at their first element, as literals: a series usually carries one sample, and
  // a push onto `[]` would reserve room for 17.
  let timestamps: number[] | undefined;
  let values: number[] | undefined;
  let stale: number[] | undefined;
  let histograms = 0;
  // Label fields (tag 10) usually come first and together: their bytes are the cache key. A
  // tight loop over them first (a label under 128 bytes has a one-byte length).
  const buf = r.buf;
  const first = r.pos;
  let pos = first;
  while (pos < end && buf[pos] === 10) {
    const n = pos + 1 < end ? (buf[pos + 1] as number) : 0x80;
    if (n < 0x80) pos += 2 + n;
    else {
      r.pos = pos + 1;
      pos = r.len();
    }
  }
  if (pos > end) throw new ProtoError('a message ends inside a field');
  let labelsStart = pos > first ? first : -1;
  let labelsEnd = pos;
  let scattered = false;
  r.pos = pos;
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 2 && (field === 1 || field === 2)) {
      const sub = r.len();
      if (field === 1) {
        if (labelsStart < 0) labelsStart = at;
        else if (labelsEnd !== at) scattered = true;
        labelsEnd = sub;
        r.pos = sub;
      } else {
        readSample(r, sub);
        if (values === undefined || timestamps === undefined) {
          values = [r.sampleValue];
          timestamps = [r.sampleTimestamp];
          if (r.sampleStale) stale = [0];
        } else {
          if (r.sampleStale) {
            if (stale === undefined) stale = [values.length];
            else stale.push(values.length);
          }
          values.push(r.sampleValue);
          timestamps.push(r.sampleTimestamp);
        }
      }
      if (r.pos !== sub) throw new ProtoError('a message ends inside a field');
    } else if (field === 4 && wire === 2) {
      histograms += 1;
      r.skip(wire);
    } else r.skip(wire);
  }
  const series: DecodedSeries = {
    labels: NO_LABELS,
    timestamps: timestamps ?? [],
    values: values ?? [],
    stale: stale ?? NO_STALE,
    histograms,
  };
  if (labelsStart >= 0) {
    if (!scattered) series.labels = cachedLabels(r, labelsStart, labelsEnd);
    else {
      // Labels interleaved with other fields: decode them where they are.
      const again = new Reader(r.buf, labelsStart, end);
      const labels: string[] = [];
      while (again.pos < end) {
        const tag = again.varint();
        if (tag === 10) {
          const sub = again.len();
          readLabel(again, sub, labels);
          if (again.pos !== sub) throw new ProtoError('a message ends inside a field');
        } else again.skip(tag & 7);
      }
      series.labels = labels;
    }
  }
  return series;
}

function readMetadata(
  r: Reader,
  end: number,
  out: Map<string, number>,
  units: Map<string, string>,
): void {
  let type = 0;
  let family = '';
  let unit = '';
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 0) type = r.varint();
    else if (field === 2 && wire === 2) family = r.string();
    else if (field === 5 && wire === 2) unit = r.string();
    else r.skip(wire);
  }
  if (family === '') return;
  out.set(family, type);
  if (unit !== '') units.set(family, unit);
}

/** Decodes a WriteRequest; throws ProtoError on malformed input. */
export function decodeWriteRequest(bytes: Uint8Array): DecodedWriteRequest {
  const buf = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new Reader(buf, 0, buf.byteLength);
  const series: DecodedSeries[] = [];
  const metadata = new Map<string, number>();
  const units = new Map<string, string>();
  let samples = 0;
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 2 && (field === 1 || field === 3)) {
      const end = r.len();
      if (field === 1) {
        const s = readSeries(r, end);
        samples += s.values.length;
        series.push(s);
      } else readMetadata(r, end, metadata, units);
      if (r.pos !== end) throw new ProtoError('a message ends inside a field');
    } else {
      if (field === 0) throw new ProtoError('field number 0 is invalid');
      r.skip(wire);
    }
  }
  return { series, metadata, units, samples };
}
