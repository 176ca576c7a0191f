import { describe, expect, it } from 'vitest';
import { PartitionBatcher } from '../../src/ingest/batcher.js';

describe('partition batcher (group commit)', () => {
  it('gathers concurrent adds into one write per partition and resolves them after it', async () => {
    const writes: [number, number[]][] = [];
    const b = new PartitionBatcher<number>({
      maxItems: 100,
      lingerMs: 5,
      flush: (p, items) => {
        writes.push([p, [...items]]);
        return Promise.resolve();
      },
    });
    await Promise.all([b.add(0, [1, 2]), b.add(0, [3]), b.add(1, [9])]);
    expect(writes).toEqual([
      [0, [1, 2, 3]],
      [1, [9]],
    ]);
  });

  it('splits at maxItems and resolves only when every part is written', async () => {
    const writes: number[][] = [];
    const b = new PartitionBatcher<number>({
      maxItems: 3,
      lingerMs: 50,
      flush: async (_p, items) => {
        await new Promise((r) => setTimeout(r, 5));
        writes.push([...items]);
      },
    });
    await b.add(0, [1, 2, 3, 4, 5, 6, 7]);
    await b.drain();
    expect(writes).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('rejects every add of a failed write, and a later write can succeed', async () => {
    let fail = true;
    const b = new PartitionBatcher<number>({
      maxItems: 10,
      lingerMs: 1,
      flush: () => (fail ? Promise.reject(new Error('redis down')) : Promise.resolve()),
    });
    const results = await Promise.allSettled([b.add(0, [1]), b.add(0, [2])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(b.add(0, [3])).resolves.toBeUndefined();
  });

  it('also closes a batch at maxBytes, so big items make smaller jobs', async () => {
    const writes: string[][] = [];
    const b = new PartitionBatcher<string>({
      maxItems: 1000,
      maxBytes: 100,
      sizeOf: (x) => x.length,
      lingerMs: 5,
      flush: (_p, items) => {
        writes.push([...items]);
        return Promise.resolve();
      },
    });
    const big = 'x'.repeat(60);
    await b.add(0, [big, big, big, 'a', 'b']);
    await b.drain();
    // Two 60-byte items reach 100 bytes: that batch is written at once; the remaining 62 bytes
    // wait for the linger time.
    expect(writes.map((w) => w.length)).toEqual([2, 3]);
    expect(writes.flat()).toEqual([big, big, big, 'a', 'b']);
  });
});
