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

/**
 * Hashes of recent series keys. Ingest sees the same series every scrape, usually as the very
 * same string (the remote_write decoder caches a series' key with its label set), and a Map
 * lookup of a string whose hash V8 already holds costs far less than FNV over ~200 characters.
 * Cleared when full, so memory stays bounded.
 */
const KEY_HASH_MAX = 100_000;
const keyHashes = new Map<string, number>();

export function partitionOf(key: string, partitions: number): number {
  let h = keyHashes.get(key);
  if (h === undefined) {
    h = fnv1a32(key);
    if (keyHashes.size >= KEY_HASH_MAX) keyHashes.clear();
    keyHashes.set(key, h);
  }
  return h % partitions;
}
