/**
 * Stable sharding: a series key always maps to the same partition, on every process and
 * across restarts (FNV-1a 32-bit over the UTF-16 code units of the key).
 */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function partitionOf(key: string, partitions: number): number {
  return fnv1a32(key) % partitions;
}
