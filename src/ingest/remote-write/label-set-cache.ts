/**
 * Decoded label sets by their wire bytes. A sender writes the same series again every scrape,
 * so a series whose label bytes were seen before reuses the decoded (frozen) array: no string
 * is decoded again, no array allocated.
 *
 * An open-addressing table in two typed arrays (hash, entry) rather than a `Map`: a lookup is a
 * hash over the bytes eight at a time, a probe or two, and one comparison of every byte (sixteen
 * at a time against the entry's copy kept as words). Bounded both ways: at most `maxEntries`
 * entries (the table is cleared when full), and at most `maxProbes` slots looked at per lookup,
 * so label sets crafted to share a hash cost a few comparisons each and are simply not cached,
 * never a long chain.
 */

/**
 * A 32-bit hash of bytes [start, end) of `view`: two independent lanes of four bytes each per
 * step (DataView reads, little-endian), each multiplied and rotated as in xxHash32, so a
 * superscalar core runs them side by side (about twice as fast as one murmur3 lane); then at
 * most one more word and up to three bytes, and murmur3's finaliser mixes high bits into the low ones that
 * pick a slot. Every step is a bijection of the lane it changes, so one changed byte always
 * changes the hash. Not a defence against crafted collisions: LabelSetCache bounds those by
 * probes.
 */
export function hashBytes(view: DataView, start: number, end: number): number {
  let a = (end - start) ^ 0x9747b28c;
  let b = 0x61c88647;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    a = Math.imul(a ^ view.getInt32(i, true), 0x9e3779b1);
    b = Math.imul(b ^ view.getInt32(i + 4, true), 0x85ebca77);
    a = (a << 13) | (a >>> 19);
    b = (b << 11) | (b >>> 21);
  }
  let h = a ^ ((b << 7) | (b >>> 25));
  if (i + 4 <= end) {
    h = Math.imul(h ^ view.getInt32(i, true), 0xc2b2ae3d);
    i += 4;
  }
  for (; i < end; i++) h = Math.imul(h ^ view.getUint8(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Bytes [start, end) as little-endian 32-bit words, the last one zero-padded. */
function wordsOf(view: DataView, start: number, end: number): Int32Array {
  const length = end - start;
  const words = new Int32Array((length + 3) >>> 2);
  const full = length >>> 2;
  for (let j = 0; j < full; j++) words[j] = view.getInt32(start + 4 * j, true);
  if ((length & 3) !== 0) words[full] = tailWord(view, start + 4 * full, end);
  return words;
}

/** The one to three bytes [at, end) as a little-endian word, zero-padded. */
function tailWord(view: DataView, at: number, end: number): number {
  let t = 0;
  for (let k = 0; at + k < end; k++) t |= view.getUint8(at + k) << (8 * k);
  return t;
}

/**
 * Whether `length` bytes of `view` from `start` are the ones `words` holds: sixteen bytes per
 * step, the differences of four words or'ed into one test. In JavaScript rather than
 * Buffer#compare: for ~250 bytes the native call's overhead is more than the comparison, and
 * this loop runs in about half its time.
 */
function sameBytes(words: Int32Array, length: number, view: DataView, start: number): boolean {
  const full = length >>> 2;
  let j = 0;
  let i = start;
  for (; j + 4 <= full; j += 4, i += 16) {
    if (
      ((view.getInt32(i, true) ^ (words[j] as number)) |
        (view.getInt32(i + 4, true) ^ (words[j + 1] as number)) |
        (view.getInt32(i + 8, true) ^ (words[j + 2] as number)) |
        (view.getInt32(i + 12, true) ^ (words[j + 3] as number))) !==
      0
    )
      return false;
  }
  for (; j < full; j++, i += 4) if (view.getInt32(i, true) !== words[j]) return false;
  return (length & 3) === 0 || tailWord(view, i, start + length) === words[j];
}

export class LabelSetCache {
  private readonly mask: number;
  private readonly slotHash: Int32Array;
  /** Entry index + 1 per slot; 0 is an empty slot. */
  private readonly slotEntry: Int32Array;
  /** Each entry's bytes as little-endian words (wordsOf), and its length in bytes. */
  private readonly words: Int32Array[] = [];
  private readonly lengths: number[] = [];
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

  /** The labels cached for bytes [start, end) of `view` (whose `hashBytes` is `hash`), or undefined. */
  get(hash: number, view: DataView, start: number, end: number): readonly string[] | undefined {
    const length = end - start;
    let slot = hash & this.mask;
    for (let p = 0; p < this.maxProbes; p++) {
      const e = this.slotEntry[slot] as number;
      if (e === 0) return undefined;
      if (this.slotHash[slot] === hash && this.lengths[e - 1] === length) {
        if (sameBytes(this.words[e - 1] as Int32Array, length, view, start))
          return this.labels[e - 1];
      }
      slot = (slot + 1) & this.mask;
    }
    return undefined;
  }

  /** Remembers `labels` for a copy of bytes [start, end); skipped when its probe run is full. */
  set(hash: number, view: DataView, start: number, end: number, labels: readonly string[]): void {
    if (this.labels.length >= this.maxEntries) this.clear();
    let slot = hash & this.mask;
    for (let p = 0; p < this.maxProbes; p++) {
      if (this.slotEntry[slot] === 0) {
        this.words.push(wordsOf(view, start, end));
        this.lengths.push(end - start);
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
    this.words.length = 0;
    this.lengths.length = 0;
    this.labels.length = 0;
  }
}
