import { describe, expect, it } from 'vitest';
import { fnv1a32, partitionOf } from '../../src/queues/partition.js';
import { seriesKey } from '../../src/queues/series-key.js';

describe('sharding', () => {
  it('is FNV-1a: known vectors do not change between releases', () => {
    // Published FNV-1a 32-bit test vectors.
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('pins the partition of known series keys (a change would reshuffle every deployment)', () => {
    const key = seriesKey('login_failures', { service: 'auth', region: 'eu' });
    expect(key).toBe('login_failures{region="eu",service="auth"}');
    expect(partitionOf(key, 16)).toBe(fnv1a32(key) % 16);
    expect([partitionOf(key, 16), partitionOf(key, 16)]).toEqual([
      partitionOf(key, 16),
      partitionOf(key, 16),
    ]);
    expect(partitionOf('up{service="routing"}', 16)).toBe(fnv1a32('up{service="routing"}') % 16);
  });

  it('does not depend on label order', () => {
    const a = seriesKey('m', { b: '2', a: '1', c: '3' });
    const b = seriesKey('m', { c: '3', a: '1', b: '2' });
    expect(a).toBe(b);
    expect(partitionOf(a, 16)).toBe(partitionOf(b, 16));
  });

  it('escapes label values so distinct label sets never share a key', () => {
    expect(seriesKey('m', { a: 'x",b="y' })).not.toBe(seriesKey('m', { a: 'x', b: 'y' }));
  });

  it('spreads series evenly over partitions', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const p = partitionOf(
        seriesKey('http_requests_total', { service: `svc-${i % 50}`, pod: `pod-${i}` }),
        16,
      );
      counts[p] = (counts[p] ?? 0) + 1;
    }
    for (const c of counts) {
      expect(c).toBeGreaterThan(800);
      expect(c).toBeLessThan(1200);
    }
  });
});
