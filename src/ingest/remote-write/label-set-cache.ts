/**
 * Decoded label sets by their wire bytes. A sender writes the same series again every scrape,
 * so a series whose label bytes were seen before reuses the decoded (frozen) array: no string
 * is decoded again, no array allocated.
 *
 * An open-addressing table in two typed arrays (hash, entry) rather than a `Map`: a lookup is a
 * hash over the bytes four at a time, a probe or two, and one byte-for-byte comparison (native). Bounded
 * both ways: at most `maxEntries` entries (the table is cleared when full), and at most
 * `maxProbes` slots looked at per lookup, so label sets crafted to share a hash cost a few
 * comparisons each and are simply not cached, never a long chain.
 */

/**
 * A 32-bit hash of bytes [start, end) of `view`: murmur3-style mixing of four bytes at a time
 * (DataView reads, little-endian), the tail byte by byte.
 */
export function hashBytes(view: DataView, start: number, end: number): number {
  let h = (end - start) ^ 0x9747b28c;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = view.getInt32(i, true);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  for (; i < end; i++) h = Math.imul(h ^ view.getUint8(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

export class LabelSetCache {
  private readonly mask: number;
  private readonly slotHash: Int32Array;
  /** Entry index + 1 per slot; 0 is an empty slot. */
  private readonly slotEntry: Int32Array;
  private readonly bytes: Uint8Array[] = [];
  private readonly labels: (readonly string[])[] = [];
  readonly maxEntries: number;
  readonly maxProbes: number;

  /**
   * @param maxEntries - label sets kept before the cache starts afresh
   * @param maxProbes - slots looked at per lookup or insert
   */
  constructor(maxEntries = 200_000, maxProbes = 8) {
    this.maxEntries = maxEntries;
    this.maxProbes = maxProbes;
    let slots = 16;
    while (slots < maxEntries * 2) slots *= 2;
    this.mask = slots - 1;
    this.slotHash = new Int32Array(slots);
    this.slotEntry = new Int32Array(slots);
  }

  /** Label sets held. */
  get size(): number {
    return this.labels.length;
  }

  /** The labels cached for buf[start, end) (whose `hashBytes` is `hash`), or undefined. */
  get(hash: number, buf: Buffer, start: number, end: number): readonly string[] | undefined {
    const length = end - start;
    let slot = hash & this.mask;
    for (let p = 0; p < this.maxProbes; p++) {
      const e = this.slotEntry[slot] as number;
      if (e === 0) return undefined;
      if (this.slotHash[slot] === hash) {
        const bytes = this.bytes[e - 1] as Uint8Array;
        // Buffer#compare is a native memcmp: several times faster than a loop over ~250 bytes.
        if (bytes.length === length && buf.compare(bytes, 0, length, start, end) === 0)
          return this.labels[e - 1];
      }
      slot = (slot + 1) & this.mask;
    }
    return undefined;
  }

  /** Remembers `labels` for a copy of buf[start, end); skipped when its probe run is full. */
  set(hash: number, buf: Buffer, start: number, end: number, labels: readonly string[]): void {
    if (this.labels.length >= this.maxEntries) this.clear();
    let slot = hash & this.mask;
    for (let p = 0; p < this.maxProbes; p++) {
      if (this.slotEntry[slot] === 0) {
        this.bytes.push(new Uint8Array(buf.subarray(start, end)));
        this.labels.push(labels);
        this.slotHash[slot] = hash;
        this.slotEntry[slot] = this.labels.length;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  clear(): void {
    this.slotEntry.fill(0);
    this.bytes.length = 0;
    this.labels.length = 0;
  }
}
