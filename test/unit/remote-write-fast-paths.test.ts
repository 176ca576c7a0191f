import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LabelSetCache, hashBytes } from '../../src/ingest/remote-write/label-set-cache.js';
import {
  DecompressedTooLargeError,
  SnappyError,
  uncompressBlock,
  withUncompressedBlock,
} from '../../src/ingest/remote-write/snappy-block.js';
import { toSamples } from '../../src/ingest/remote-write/to-samples.js';
import { decodeWriteRequest } from '../../src/ingest/remote-write/write-request.js';
import { fnv1a32, partitionOf } from '../../src/queues/partition.js';
import { STALE_NAN, remoteWriteBody, writeRequestBytes } from '../helpers/remote-write.js';

/** One element of a snappy block, as a test writes it. */
type Element =
  | { kind: 'literal'; bytes: number[]; lengthBytes: 0 | 1 | 2 | 3 | 4 }
  | { kind: 'copy'; type: 1 | 2 | 3; len: number; offset: number };

/** Encodes elements as a snappy block (any encoding the format allows, not only the shortest). */
function block(elements: readonly Element[], declared: number): Uint8Array {
  const out: number[] = [];
  for (let v = declared; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      out.push(v);
      break;
    }
    out.push((v % 128) | 0x80);
  }
  for (const e of elements) {
    if (e.kind === 'literal') {
      const n = e.bytes.length - 1;
      if (e.lengthBytes === 0) out.push(n << 2);
      else {
        out.push((59 + e.lengthBytes) << 2);
        for (let i = 0; i < e.lengthBytes; i++) out.push(Math.floor(n / 256 ** i) % 256);
      }
      out.push(...e.bytes);
    } else if (e.type === 1) {
      out.push(1 | ((e.len - 4) << 2) | ((e.offset >> 8) << 5), e.offset & 0xff);
    } else if (e.type === 2) {
      out.push(2 | ((e.len - 1) << 2), e.offset & 0xff, e.offset >> 8);
    } else {
      out.push(3 | ((e.len - 1) << 2));
      for (let i = 0; i < 4; i++) out.push(Math.floor(e.offset / 256 ** i) % 256);
    }
  }
  return Uint8Array.from(out);
}

/** What the elements mean, byte by byte, as the format describes it. */
function reference(elements: readonly Element[]): Uint8Array {
  const out: number[] = [];
  for (const e of elements) {
    if (e.kind === 'literal') out.push(...e.bytes);
    else for (let i = 0; i < e.len; i++) out.push(out[out.length - e.offset] as number);
  }
  return Uint8Array.from(out);
}

/** Random valid element sequences: long and short literals, copies of every type and offset. */
const elements = fc
  .array(
    fc.oneof(
      fc.record({
        kind: fc.constant('literal' as const),
        bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 80 }),
        lengthBytes: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const, 4 as const),
      }),
      fc.record({
        kind: fc.constant('copy' as const),
        type: fc.constantFrom(1 as const, 2 as const, 3 as const),
        len: fc.integer({ min: 1, max: 64 }),
        // Mostly short offsets: the overlapping copies (offset < length) are the tricky ones.
        offset: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 2047 })),
      }),
    ),
    { maxLength: 40 },
  )
  .map((es) => {
    // Keep the copies valid: the right length range per type, offsets into what was written.
    const valid: Element[] = [];
    let written = 0;
    for (const e of es) {
      if (e.kind === 'literal') {
        const lengthBytes = e.bytes.length > 60 && e.lengthBytes === 0 ? 1 : e.lengthBytes;
        valid.push({ ...e, lengthBytes });
        written += e.bytes.length;
      } else if (written > 0) {
        const len = e.type === 1 ? 4 + (e.len % 8) : e.len;
        const offset = Math.min(e.offset, written, e.type === 1 ? 2047 : 65535);
        valid.push({ ...e, len, offset });
        written += len;
      }
    }
    return valid;
  });

describe('snappy block fast paths', () => {
  it('agrees with a byte-by-byte reading on every element shape (10,000 blocks)', () => {
    fc.assert(
      fc.property(elements, (es) => {
        const expected = reference(es);
        const b = block(es, expected.length);
        expect(Buffer.from(uncompressBlock(b, 1 << 20)).equals(Buffer.from(expected))).toBe(true);
        // The reused buffer the route decodes into reads the same.
        const reused = withUncompressedBlock(b, 1 << 20, (bytes) => Buffer.from(bytes));
        expect(reused.equals(Buffer.from(expected))).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  }, 30_000);

  it('repeats a short run for overlapping copies (offsets 1 to 5), up to the last byte', () => {
    for (let offset = 1; offset <= 5; offset++) {
      const seed = [1, 2, 3, 4, 5].slice(0, offset);
      const es: Element[] = [
        { kind: 'literal', bytes: seed, lengthBytes: 0 },
        { kind: 'copy', type: 2, len: 64, offset },
        { kind: 'copy', type: 1, len: 11, offset },
      ];
      const out = uncompressBlock(block(es, offset + 75), 1024);
      expect([...out]).toEqual(Array.from({ length: offset + 75 }, (_, i) => seed[i % offset]));
    }
  });

  it('copies that end exactly at the declared length, and one byte past it is refused', () => {
    const seed = Array.from({ length: 20 }, (_, i) => i + 100);
    for (const len of [1, 3, 4, 5, 7, 8, 9, 16, 17]) {
      const es: Element[] = [
        { kind: 'literal', bytes: seed, lengthBytes: 0 },
        { kind: 'copy', type: 2, len, offset: 20 },
      ];
      expect([...uncompressBlock(block(es, 20 + len), 1024)]).toEqual([
        ...seed,
        ...seed.slice(0, len),
      ]);
      expect(() => uncompressBlock(block(es, 20 + len - 1), 1024)).toThrow(SnappyError);
      expect(() => uncompressBlock(block(es, 20 + len + 1), 1024)).toThrow(/decompresses to/);
    }
  });

  it('reads literal lengths in one to four extra bytes, and refuses one that runs past the input', () => {
    const bytes = Array.from({ length: 250 }, (_, i) => (i * 7) % 251);
    for (const lengthBytes of [1, 2, 3, 4] as const) {
      const b = block([{ kind: 'literal', bytes, lengthBytes }], 250);
      expect([...uncompressBlock(b, 1024)]).toEqual(bytes);
      expect(() => uncompressBlock(b.subarray(0, b.length - 1), 1024)).toThrow(/past the input/);
    }
  });

  it('refuses copies from before the start, whatever their type', () => {
    for (const type of [1, 2, 3] as const) {
      const es: Element[] = [
        { kind: 'literal', bytes: [1, 2, 3], lengthBytes: 0 },
        { kind: 'copy', type, len: 4, offset: 4 },
      ];
      expect(() => uncompressBlock(block(es, 7), 1024)).toThrow(/before the start/);
    }
  });
});

describe('snappy: the reused buffer', () => {
  const outcome = (decode: () => Uint8Array): string => {
    try {
      return Buffer.from(decode()).toString('hex');
    } catch (err) {
      if (err instanceof SnappyError || err instanceof DecompressedTooLargeError) return err.name;
      throw err;
    }
  };

  it('reads what a fresh array reads on hostile blocks, whatever it held before: same bytes or the same error class (10,000 blocks)', () => {
    // A long body first, so the buffer holds stale bytes past every later body's end.
    const long = block(
      [{ kind: 'literal', bytes: Array.from({ length: 4000 }, (_, i) => i % 251), lengthBytes: 2 }],
      4000,
    );
    expect(withUncompressedBlock(long, 1 << 16, (bytes) => bytes.length)).toBe(4000);
    fc.assert(
      fc.property(
        elements,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.integer({ min: -3, max: 3 }),
        (es, edits, skew) => {
          const b = block(es, Math.max(0, reference(es).length + skew));
          for (const [at, byte] of edits) if (b.length > 0) b[at % b.length] = byte;
          expect(outcome(() => withUncompressedBlock(b, 1 << 16, (bytes) => bytes.slice()))).toBe(
            outcome(() => uncompressBlock(b, 1 << 16)),
          );
        },
      ),
      { numRuns: 10_000 },
    );
  }, 30_000);

  it('hands over exactly the declared bytes, and refuses a size past the limit before decoding', () => {
    const es: Element[] = [{ kind: 'literal', bytes: [7, 8, 9], lengthBytes: 0 }];
    expect(withUncompressedBlock(block(es, 3), 1024, (bytes) => [...bytes])).toEqual([7, 8, 9]);
    expect(() =>
      withUncompressedBlock(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x04]), 1 << 20, () => 0),
    ).toThrow(DecompressedTooLargeError);
    expect(() =>
      withUncompressedBlock(Buffer.from('24fcfa6904fd06ff49', 'hex'), 1 << 20, () => 0),
    ).toThrow(SnappyError);
  });

  it('decoded series keep their labels after the buffer is reused (the label cache holds copies)', () => {
    const series = (tag: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        labels: { __name__: `reuse_${tag}`, job: `job-${tag}-${i}`, pod: `p${i}` },
        samples: [{ value: i, timestamp: 1_700_000_000_000 }],
      }));
    const decode = (b: Buffer) => withUncompressedBlock(b, 1 << 20, decodeWriteRequest).series;
    const first = decode(remoteWriteBody(series('a', 20)));
    // Another body overwrites the reused buffer; then the same label sets come again at other
    // offsets (one series in front): cache hits, against the bytes kept when first seen.
    const other = decode(remoteWriteBody(series('b', 20)));
    expect(other[0]?.labels).toEqual(['__name__', 'reuse_b', 'job', 'job-b-0', 'pod', 'p0']);
    const again = decode(remoteWriteBody([...series('c', 1), ...series('a', 20)]));
    expect(again.slice(1).map((s) => s.labels)).toEqual(first.map((s) => s.labels));
    for (let i = 0; i < 20; i++) expect(again[i + 1]?.labels).toBe(first[i]?.labels);
  });

  it('a body decoded while the reused buffer is held gets its own array', () => {
    const outer = block([{ kind: 'literal', bytes: [1, 2, 3], lengthBytes: 0 }], 3);
    const inner = block([{ kind: 'literal', bytes: [4, 5, 6], lengthBytes: 0 }], 3);
    const seen = withUncompressedBlock(outer, 1024, (a) => {
      const b = withUncompressedBlock(inner, 1024, (x) => x);
      return [[...a], [...b]];
    });
    expect(seen).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('gives a body over 4 MiB its own array', () => {
    const size = (4 << 20) + 100;
    const bytes = Array.from({ length: 60 }, (_, i) => i + 1);
    const es: Element[] = [{ kind: 'literal', bytes, lengthBytes: 0 }];
    let left = size - 60;
    while (left > 0) {
      const len = Math.min(64, left);
      es.push({ kind: 'copy', type: 2, len, offset: 60 });
      left -= len;
    }
    const seen: Uint8Array[] = [];
    withUncompressedBlock(block(es, size), 8 << 20, (b) => seen.push(b));
    withUncompressedBlock(block(es.slice(0, 2), 124), 8 << 20, (b) => seen.push(b));
    expect(seen[0]?.length).toBe(size);
    expect(seen[0]?.[size - 1]).toBe(bytes[(size - 1) % 60]);
    // Not the reused buffer: the later small body did not write into it.
    expect(seen[0]?.buffer).not.toBe(seen[1]?.buffer);
  });
});

describe('label set cache', () => {
  const buf = (text: string): Buffer => Buffer.from(text);
  const view = (b: Buffer): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

  it('hashes every byte: one changed byte anywhere changes the hash', () => {
    const base = buf('__name__up\x00job\x00auth\x00instance\x0010.0.0.1:9100');
    const h = hashBytes(view(base), 0, base.length);
    // Every bit of every byte, at every length up to 40 (both lanes, the word and byte tails).
    for (let length = 1; length <= 40; length++) {
      const part = Buffer.concat([base, base]).subarray(0, length);
      const ph = hashBytes(view(part), 0, length);
      for (let i = 0; i < length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const changed = Buffer.from(part);
          changed[i] = (changed[i] as number) ^ (1 << bit);
          expect(hashBytes(view(changed), 0, length)).not.toBe(ph);
        }
      }
    }
    // Only the bytes in range count.
    const framed = Buffer.concat([buf('xx'), base, buf('yyy')]);
    expect(hashBytes(view(framed), 2, 2 + base.length)).toBe(h);
  });

  it('finds an entry only for the same bytes, even when hashes collide', () => {
    const cache = new LabelSetCache(100, 4);
    const a = buf('aaaa');
    const b = buf('bbbb');
    const labels = Object.freeze(['__name__', 'a']);
    cache.set(7, view(a), 0, 4, labels);
    expect(cache.get(7, view(a), 0, 4)).toBe(labels);
    expect(cache.get(7, view(b), 0, 4)).toBeUndefined(); // same hash, other bytes
    expect(cache.get(7, view(a), 0, 3)).toBeUndefined(); // same hash, other length
    expect(cache.get(8, view(a), 0, 4)).toBeUndefined();
  });

  it('a hit needs every byte equal, at any length and offset (word, tail and byte paths; 5,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300, size: 'max' }),
        fc.nat(7),
        fc.nat(7),
        fc.nat(),
        (bytes, at, again, where) => {
          const cache = new LabelSetCache(100, 4);
          const labels = Object.freeze(['k', 'v']);
          const stored = Buffer.concat([Buffer.alloc(at), bytes]);
          cache.set(1, view(stored), at, at + bytes.length, labels);
          const same = Buffer.concat([Buffer.alloc(again, 0xee), bytes, Buffer.alloc(3, 0xee)]);
          expect(cache.get(1, view(same), again, again + bytes.length)).toBe(labels);
          if (bytes.length === 0) return;
          const changed = Buffer.from(same);
          const i = again + (where % bytes.length);
          changed[i] = (changed[i] as number) ^ (1 << (where % 8));
          expect(cache.get(1, view(changed), again, again + bytes.length)).toBeUndefined();
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('keeps colliding entries to its probe limit and starts afresh when full', () => {
    const cache = new LabelSetCache(10, 3);
    const entries = Array.from({ length: 5 }, (_, i) => buf(`set-${i}`));
    for (const [i, e] of entries.entries()) cache.set(42, view(e), 0, e.length, [String(i)]);
    // Three probes: three cached, the other two not (decoded again, never a long chain).
    expect(cache.size).toBe(3);
    expect(entries.map((e) => cache.get(42, view(e), 0, e.length)?.[0])).toEqual([
      '0',
      '1',
      '2',
      undefined,
      undefined,
    ]);
    // Seven more in free slots fill it to its ten entries; the next one clears it first.
    for (let i = 0; i < 7; i++) cache.set(i, view(buf(`x${i}`)), 0, 2, [`x${i}`]);
    expect(cache.size).toBe(10);
    expect(cache.get(3, view(buf('x3')), 0, 2)).toEqual(['x3']);
    cache.set(20, view(buf('new')), 0, 3, ['new']);
    expect(cache.size).toBe(1);
    expect(cache.get(42, view(entries[0] as Buffer), 0, 5)).toBeUndefined();
    expect(cache.get(3, view(buf('x3')), 0, 2)).toBeUndefined();
    expect(cache.get(20, view(buf('new')), 0, 3)).toEqual(['new']);
  });
});

describe('remote_write decoding: cached and fresh give the same result', () => {
  const limits = {
    serviceLabels: ['job'],
    maxLabels: 30,
    maxLabelNameLength: 128,
    maxLabelValueLength: 1024,
  };
  const series = fc.array(
    fc.record({
      labels: fc
        .dictionary(
          fc.constantFrom('job', 'instance', 'code', 'path', '0bad', '__x'),
          fc.string({ maxLength: 12 }),
          { maxKeys: 5 },
        )
        .chain((labels) =>
          fc
            .constantFrom('up', 'http_requests_total', 'bad name', 'latency_sum')
            .map((name) => ({ ...labels, __name__: name })),
        ),
      samples: fc.array(
        fc
          .record({
            stale: fc.boolean(),
            value: fc.double(),
            timestamp: fc.integer({ min: -(2 ** 40), max: 2 ** 45 }),
          })
          .map(({ stale, value, timestamp }) => ({
            value: stale ? STALE_NAN : value,
            timestamp,
            stale,
          })),
        { maxLength: 4 },
      ),
    }),
    { maxLength: 8 },
  );

  it('a request decoded twice (label sets from the cache the second time) converts the same', () => {
    fc.assert(
      fc.property(series, (ss) => {
        const bytes = writeRequestBytes(ss);
        const first = decodeWriteRequest(bytes);
        // A copy at another offset of a larger buffer: the cache must match by content.
        const padded = new Uint8Array(bytes.length + 7);
        padded.set(bytes, 7);
        const second = decodeWriteRequest(padded.subarray(7));
        expect(second).toEqual(first);
        for (const [i, s] of second.series.entries()) {
          if (s.labels.length > 0) expect(s.labels).toBe(first.series[i]?.labels);
        }
        expect(toSamples(second, limits)).toEqual(toSamples(first, limits));
        // The samples as the encoder wrote them, staleness markers apart.
        expect(first.series.map((s) => s.values.length)).toEqual(ss.map((s) => s.samples.length));
        for (const [i, s] of first.series.entries()) {
          const want = (ss[i]?.samples ?? []).flatMap((x, j) => (x.stale ? [j] : []));
          expect(s.stale).toEqual(want);
          expect(s.timestamps).toEqual(ss[i]?.samples.map((x) => x.timestamp));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('partition of a series key', () => {
  it('is the FNV-1a hash of the key modulo the partitions, for new and remembered keys', () => {
    const keys = Array.from({ length: 300 }, (_, i) => `m{job="svc-${i % 17}",i="${i}"}`);
    for (const k of [...keys, ...keys]) {
      // A string equal in content but built anew must land on the same partition.
      const rebuilt = `${k} `.slice(0, -1);
      expect(partitionOf(k, 16)).toBe(fnv1a32(k) % 16);
      expect(partitionOf(rebuilt, 7)).toBe(fnv1a32(k) % 7);
    }
  });
});
