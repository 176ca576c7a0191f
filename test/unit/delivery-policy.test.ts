import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { deliveryPolicy, gaveUp, retryDelayMs } from '../../src/notify/delivery-policy.js';

describe('delivery policy', () => {
  const p = deliveryPolicy(parseConfig({}).notify);

  it('defaults: retried for 24 h, from 1 s doubling, at most 5 min apart', () => {
    expect(p).toEqual({ backoffMs: 1000, maxBackoffMs: 300_000, retryForMs: 86_400_000 });
    expect([1, 2, 3, 4].map((n) => retryDelayMs(p, n))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(p, 9)).toBe(256_000);
    expect(retryDelayMs(p, 10)).toBe(300_000);
    expect(retryDelayMs(p, 10_000)).toBe(300_000);
  });

  it("honours a receiver's Retry-After, within the time it has", () => {
    expect(retryDelayMs(p, 1, 30_000)).toBe(30_000);
    expect(retryDelayMs(p, 1, 7 * 86_400_000)).toBe(86_400_000);
  });

  it('gives up once retry_for_ms has passed since it was queued', () => {
    expect(gaveUp(p, 0, 86_399_999)).toBe(false);
    expect(gaveUp(p, 0, 86_400_000)).toBe(true);
  });

  it('a receiver down an hour is tried about 15 times, not 8 in a minute', () => {
    let t = 0;
    let attempts = 0;
    while (t < 3_600_000) {
      attempts += 1;
      t += retryDelayMs(p, attempts);
    }
    expect(attempts).toBeGreaterThan(12);
    expect(attempts).toBeLessThan(30);
  });
});
