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
  readonly stale: number[];
  /** Native histogram samples: not scored (counted as rejected by the caller). */
  histograms: number;
}

export interface DecodedWriteRequest {
  readonly series: DecodedSeries[];
  /** Metric family name → MetricType, from the request's metadata. */
  readonly metadata: Map<string, number>;
  /** Float samples over all series. */
  readonly samples: number;
}

const decoder = new TextDecoder();

class Reader {
  pos: number;
  readonly buf: Uint8Array;
  readonly end: number;
  readonly view: DataView;
  constructor(buf: Uint8Array, start: number, end: number) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  varint(): number {
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

function readSample(r: Reader, end: number, series: DecodedSeries): void {
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
  if (stale) series.stale.push(series.values.length);
  series.values.push(value);
  series.timestamps.push(timestamp);
}

/**
 * Decoded label sets by their wire bytes. A sender writes the same series again every scrape,
 * so a series whose label bytes were seen before reuses the decoded (frozen) array: no string
 * is decoded again. Keyed by an FNV-1a hash of the bytes, checked byte for byte; cleared when
 * full.
 */
const LABEL_CACHE_MAX = 200_000;
const labelCache = new Map<number, { bytes: Uint8Array; labels: readonly string[] }[]>();
let labelCacheSize = 0;

function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
  return h >>> 0;
}

function sameBytes(a: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}

/** The labels of the bytes [start, end) (label fields only), decoded or from the cache. */
function cachedLabels(r: Reader, start: number, end: number): readonly string[] {
  const h = hashBytes(r.buf, start, end);
  const bucket = labelCache.get(h);
  if (bucket) for (const e of bucket) if (sameBytes(e.bytes, r.buf, start, end)) return e.labels;
  const labels: string[] = [];
  const sub = new Reader(r.buf, start, end);
  while (sub.pos < end) {
    const tag = sub.varint();
    const subEnd = sub.len();
    if (tag !== 10) throw new ProtoError('unexpected field among labels');
    readLabel(sub, subEnd, labels);
    if (sub.pos !== subEnd) throw new ProtoError('a message ends inside a field');
  }
  if (labelCacheSize >= LABEL_CACHE_MAX) {
    labelCache.clear();
    labelCacheSize = 0;
  }
  Object.freeze(labels);
  const entry = { bytes: r.buf.slice(start, end), labels };
  if (bucket) bucket.push(entry);
  else labelCache.set(h, [entry]);
  labelCacheSize += 1;
  return labels;
}

function readSeries(r: Reader, end: number): DecodedSeries {
  const series: DecodedSeries = {
    labels: [],
    timestamps: [],
    values: [],
    stale: [],
    histograms: 0,
  };
  // Label fields (tag 10) usually come first and together: their bytes are the cache key.
  let labelsStart = -1;
  let labelsEnd = -1;
  let scattered = false;
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
      } else readSample(r, sub, series);
      if (r.pos !== sub) throw new ProtoError('a message ends inside a field');
    } else if (field === 4 && wire === 2) {
      series.histograms += 1;
      r.skip(wire);
    } else r.skip(wire);
  }
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
        } else again.skip(tag & 7);
      }
      series.labels = labels;
    }
  }
  return series;
}

function readMetadata(r: Reader, end: number, out: Map<string, number>): void {
  let type = 0;
  let family = '';
  while (r.pos < end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 0) type = r.varint();
    else if (field === 2 && wire === 2) family = r.string();
    else r.skip(wire);
  }
  if (family !== '') out.set(family, type);
}

/** Decodes a WriteRequest; throws ProtoError on malformed input. */
export function decodeWriteRequest(buf: Uint8Array): DecodedWriteRequest {
  const r = new Reader(buf, 0, buf.byteLength);
  const series: DecodedSeries[] = [];
  const metadata = new Map<string, number>();
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
      } else readMetadata(r, end, metadata);
      if (r.pos !== end) throw new ProtoError('a message ends inside a field');
    } else {
      if (field === 0) throw new ProtoError('field number 0 is invalid');
      r.skip(wire);
    }
  }
  return { series, metadata, samples };
}
