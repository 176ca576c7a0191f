/**
 * Partition leases on the real Redis: one process takes every partition; a second one joining
 * gets a fair share, handed over by the first (its hook runs before the lease is deleted); a
 * process that stops ticking loses its partitions when its leases expire, and learns so on its
 * next tick; a stopped process hands everything over at once.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { PartitionLeases, type LeaseHooks } from '../../src/detect/partition-leases.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';

const redis = new Redis(TEST_REDIS_URL);
const prefixes: string[] = [];
const log = pino({ level: 'silent' });

afterAll(async () => {
  redis.disconnect();
  for (const p of prefixes) await deletePrefix(p);
});

/** A process's leases with hooks that record what happened, in order. */
function member(prefix: string, name: string, opts: { leaseMs: number; partitions?: number }) {
  const events: string[] = [];
  const leasesKey = `${prefix}:detect:leases`;
  const hooks: LeaseHooks = {
    acquired: (p) => {
      events.push(`acquired ${p}`);
      return Promise.resolve();
    },
    released: async (p) => {
      // The lease is still ours while the hook runs (states are checkpointed under it).
      const v = await redis.hget(leasesKey, String(p));
      events.push(`released ${p} ${v?.startsWith(`${name}|`) ? 'while held' : 'after'}`);
    },
    lost: (p) => {
      events.push(`lost ${p}`);
      return Promise.resolve();
    },
  };
  const leases = new PartitionLeases(redis, prefix, name, hooks, log, {
    partitions: opts.partitions ?? 16,
    leaseMs: opts.leaseMs,
    renewMs: 60_000, // the tests tick by hand
  });
  return { leases, events };
}

const fresh = (): string => {
  const p = randomPrefix();
  prefixes.push(p);
  return p;
};

describe('partition leases', () => {
  it('a lone process takes every partition; a second one gets a fair share handed over', async () => {
    const prefix = fresh();
    const a = member(prefix, 'a', { leaseMs: 10_000 });
    const b = member(prefix, 'b', { leaseMs: 10_000 });
    await a.leases.tick();
    expect(a.leases.held).toHaveLength(16);
    expect(a.events.filter((e) => e.startsWith('acquired'))).toHaveLength(16);

    await b.leases.tick(); // joins: all held, takes none
    expect(b.leases.held).toEqual([]);
    expect(b.leases.members).toBe(2);
    await a.leases.tick(); // sees two members: hands over its 8 highest
    await waitFor(
      'the handover',
      async () => (await redis.hlen(`${prefix}:detect:leases`)) === 8 + 2, // and 2 heartbeats
      5000,
    );
    expect(a.leases.held).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(a.events.filter((e) => e.startsWith('released'))).toEqual(
      [8, 9, 10, 11, 12, 13, 14, 15].map((p) => `released ${p} while held`),
    );
    await b.leases.tick();
    expect(b.leases.held).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    // Stable: more ticks change nothing.
    await a.leases.tick();
    await b.leases.tick();
    expect(a.leases.held).toHaveLength(8);
    expect(b.leases.held).toHaveLength(8);
    expect(a.events.some((e) => e.startsWith('lost'))).toBe(false);
  });

  it('a process that stops renewing loses its partitions once its leases expire', async () => {
    const prefix = fresh();
    const a = member(prefix, 'a', { leaseMs: 400, partitions: 4 });
    const b = member(prefix, 'b', { leaseMs: 400, partitions: 4 });
    await a.leases.tick();
    await b.leases.tick();
    expect(a.leases.held).toHaveLength(4);
    expect(b.leases.held).toHaveLength(0);
    // `a` freezes (no ticks); `b` keeps ticking and takes the partitions as they expire: at
    // the first tick that finds a member fewer, no more than its last share (2), then all.
    await new Promise((r) => setTimeout(r, 500));
    await b.leases.tick();
    expect(b.leases.members).toBe(1);
    expect(b.leases.held).toHaveLength(2);
    await b.leases.tick();
    expect(b.leases.held).toEqual([0, 1, 2, 3]);
    // `a` wakes up: it holds nothing now, and is told so for each partition.
    await a.leases.tick();
    expect(a.events.filter((e) => e.startsWith('lost')).sort()).toEqual([
      'lost 0',
      'lost 1',
      'lost 2',
      'lost 3',
    ]);
    expect(a.leases.held).toEqual([]);
  });

  it('a stopped process hands every partition over at once', async () => {
    const prefix = fresh();
    const a = member(prefix, 'a', { leaseMs: 10_000, partitions: 4 });
    const b = member(prefix, 'b', { leaseMs: 10_000, partitions: 4 });
    await a.leases.tick();
    await b.leases.tick();
    await a.leases.stop();
    expect(a.events.filter((e) => e.startsWith('released'))).toHaveLength(4);
    // No lease is left; `a` is marked as gone, so `b` takes all at once.
    expect((await redis.hkeys(`${prefix}:detect:leases`)).sort()).toEqual(['m:a', 'm:b']);
    expect(await redis.hget(`${prefix}:detect:leases`, 'm:a')).toMatch(/^left:\d+$/);
    await b.leases.tick();
    expect(b.leases.held).toEqual([0, 1, 2, 3]);
  });

  it('takes its leases back after Redis lost them, without a handover', async () => {
    const prefix = fresh();
    const a = member(prefix, 'a', { leaseMs: 10_000, partitions: 4 });
    await a.leases.tick();
    await redis.del(`${prefix}:detect:leases`);
    await a.leases.tick();
    expect(a.leases.held).toEqual([0, 1, 2, 3]);
    expect(a.events.filter((e) => !e.startsWith('acquired'))).toEqual([]);
    expect(a.events).toHaveLength(4);
  });

  it('after Redis lost the leases, each process takes its own back, none grabs them all', async () => {
    const prefix = fresh();
    const a = member(prefix, 'a', { leaseMs: 10_000 });
    const b = member(prefix, 'b', { leaseMs: 10_000 });
    await a.leases.tick();
    await b.leases.tick();
    await a.leases.tick(); // hands 8 over
    await waitFor(
      'the handover',
      async () => (await redis.hlen(`${prefix}:detect:leases`)) === 10,
      5000,
    );
    await b.leases.tick();
    const heldA = a.leases.held;
    const heldB = b.leases.held;
    expect(heldA).toHaveLength(8);
    expect(heldB).toHaveLength(8);
    await redis.del(`${prefix}:detect:leases`);
    // `a` ticks first and sees one member only: it takes its own 8 back, not all 16.
    await a.leases.tick();
    expect(a.leases.held).toEqual(heldA);
    await b.leases.tick();
    expect(b.leases.held).toEqual(heldB);
    await a.leases.tick();
    await b.leases.tick();
    expect(a.leases.held).toEqual(heldA);
    expect(b.leases.held).toEqual(heldB);
    for (const m of [a, b]) expect(m.events.filter((e) => e.startsWith('lost'))).toEqual([]);
  });
});
