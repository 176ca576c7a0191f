/**
 * The workers' view of the suppressions (detect/suppression-cache.ts): read in the background,
 * a stable `check` over the latest list, and a failed read that keeps the last list and is
 * logged once until a read succeeds again.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SuppressionCache } from '../../src/detect/suppression-cache.js';
import type { Suppression } from '../../src/detect/suppressions.js';

const sup = (pattern: string): Suppression => ({
  id: `sup-${pattern}`,
  service: 'auth',
  pattern,
  created_at: 0,
  expires_at: null,
  created_by: 'test',
  note: '',
  incident: null,
});

function logged() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => lines.push(JSON.parse(s) as { level: number; msg: string }) },
  );
  return { log, lines };
}

describe('SuppressionCache', () => {
  it('matches nothing before the first read, then the latest list', async () => {
    let list: Suppression[] = [sup('a_*')];
    const { log } = logged();
    const cache = new SuppressionCache({ list: () => Promise.resolve(list) }, log, 60_000);
    expect(cache.check('auth', 'a_x', 'a_x', 1)).toBe(false);
    await cache.start();
    expect(cache.check('auth', 'a_x', 'a_x', 1)).toBe(true);
    list = [sup('b_*')];
    await cache.refresh();
    expect(cache.check('auth', 'a_x', 'a_x', 1)).toBe(false);
    expect(cache.check('auth', 'b_x', 'b_x', 1)).toBe(true);
    expect(cache.list).toEqual(list);
    cache.stop();
  });

  it('keeps the last list when a read fails, and says so once until one succeeds', async () => {
    let fail = false;
    const { log, lines } = logged();
    const store = {
      list: () => (fail ? Promise.reject(new Error('Redis away')) : Promise.resolve([sup('a_*')])),
    };
    const cache = new SuppressionCache(store, log, 60_000);
    await cache.refresh();
    fail = true;
    await cache.refresh();
    await cache.refresh();
    expect(cache.check('auth', 'a_x', 'a_x', 1)).toBe(true);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      'suppressions could not be read; keeping the last list',
    ]);
    fail = false;
    await cache.refresh();
    expect(lines.map((l) => l.msg)).toContain('suppressions read again');
  });

  it('joins a read in flight instead of starting another', async () => {
    let reads = 0;
    const { log } = logged();
    const cache = new SuppressionCache(
      {
        list: async () => {
          reads += 1;
          await new Promise((r) => setTimeout(r, 10));
          return [];
        },
      },
      log,
      60_000,
    );
    await Promise.all([cache.refresh(), cache.refresh(), cache.refresh()]);
    expect(reads).toBe(1);
  });
});
