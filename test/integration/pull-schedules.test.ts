/**
 * Real Redis: pull schedules of processes with different configurations (a rolling deploy that
 * changes the pull section) are kept while any process renews them, and removed one lease time
 * after the last one stops; a schedule nobody ever renewed is removed one lease time after it
 * is first seen.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startPull, type RunningPull } from '../../src/ingest/pull/pull-worker.js';
import { JobNames, QueueNames } from '../../src/queues/contract.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { startFakeExporter } from '../helpers/fake-prometheus.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';

const LEASE_MS = 900;
let redis: Redis;
const running: RunningPull[] = [];
const prefixes: string[] = [];

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.close(true);
  for (const prefix of prefixes.splice(0)) await deletePrefix(prefix);
});

afterAll(() => {
  redis.disconnect();
});

/**
 * A process's pull with scrape targets of these names; hourly (no run happens in the test)
 * unless `urls` gives a target's URL, which is then scraped every `everyMs`.
 */
async function start(
  prefix: string,
  targets: string[],
  urls: Record<string, string> = {},
  everyMs = 1000,
  metrics = createMetrics('test'),
  handBackForMs = 1000,
): Promise<RunningPull> {
  const config = parseConfig({
    redis: { prefix },
    pull: {
      scrape: targets.map((name) => ({
        name,
        url: urls[name] ?? 'http://127.0.0.1:9/metrics',
        interval_ms: urls[name] ? everyMs : 3_600_000,
        service: 'fixture',
      })),
    },
  });
  // Its own connection, as a process of its own has.
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const pull = await startPull({
    connection,
    prefix,
    settings: config.pull,
    writer: { write: () => Promise.resolve() },
    limits: {
      serviceLabels: ['service'],
      maxLabels: 30,
      maxLabelNameLength: 128,
      maxLabelValueLength: 1024,
    },
    metrics,
    log: pino({ level: 'silent' }),
    leaseMs: LEASE_MS,
    handBackForMs,
  });
  const stopped = {
    worker: pull.worker,
    reassert: () => pull.reassert(),
    async close(force?: boolean) {
      await pull.close(force);
      connection.disconnect();
    },
  };
  running.push(stopped);
  return stopped;
}

async function schedulers(prefix: string): Promise<string[]> {
  const queue = new Queue(QueueNames.pull, { connection: redis, prefix });
  const keys = (await queue.getJobSchedulers(0, -1)).map((s) => s.key).sort();
  await queue.close();
  return keys;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('pull schedules across processes', () => {
  it('processes with different configurations keep each other’s schedules while they run', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const old = await start(prefix, ['auth', 'routing']);
    // The new configuration drops routing and adds storage; the old process still runs.
    await start(prefix, ['auth', 'storage']);
    expect(await schedulers(prefix)).toEqual(['scrape/auth', 'scrape/routing', 'scrape/storage']);
    // Several lease times with both running: every schedule is renewed by someone.
    await sleep(LEASE_MS * 3);
    expect(await schedulers(prefix)).toEqual(['scrape/auth', 'scrape/routing', 'scrape/storage']);

    // The old process stops: routing stays for a lease time, then the new process removes it.
    await old.close();
    running.splice(running.indexOf(old), 1);
    const stopped = Date.now();
    await sleep(LEASE_MS / 3);
    expect(await schedulers(prefix)).toContain('scrape/routing');
    await waitFor(
      'the routing schedule removed',
      async () => !(await schedulers(prefix)).includes('scrape/routing'),
      LEASE_MS * 5,
    );
    // Its last renewal was up to a third of a lease before it stopped.
    expect(Date.now() - stopped).toBeGreaterThanOrEqual((LEASE_MS * 2) / 3 - 50);
    expect(await schedulers(prefix)).toEqual(['scrape/auth', 'scrape/storage']);
    // Its lease is forgotten with it; the running process's leases are kept.
    expect(Object.keys(await redis.hgetall(`${prefix}:pull:leases`)).sort()).toEqual([
      'scrape/auth',
      'scrape/storage',
    ]);
  });

  it('a process schedules its own again when another removed it (a sweep racing a start)', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    await start(prefix, ['auth']);
    const queue = new Queue(QueueNames.pull, { connection: redis, prefix });
    await queue.removeJobScheduler('scrape/auth');
    await queue.close();
    expect(await schedulers(prefix)).toEqual([]);
    await waitFor(
      'the auth schedule back',
      async () => (await schedulers(prefix)).includes('scrape/auth'),
      LEASE_MS * 2,
    );
  });

  it('a process puts its own interval back when an older configuration wrote another', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    await start(prefix, ['auth']);
    const queue = new Queue(QueueNames.pull, { connection: redis, prefix });
    await queue.upsertJobScheduler('scrape/auth', { every: 60_000 }, { name: 'x' });
    const every = async (): Promise<number> =>
      Number((await queue.getJobSchedulers(0, -1)).find((j) => j.key === 'scrape/auth')?.every);
    expect(await every()).toBe(60_000);
    await waitFor(
      'the configured interval back',
      async () => (await every()) === 3_600_000,
      LEASE_MS * 2,
    );
    await queue.close();
  });

  it('a run taken by a process without its source is handed back until one that has it runs it', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const body = '# TYPE fixture_up gauge\nfixture_up 1\n';
    const a = await startFakeExporter(body, 'text/plain; version=0.0.4');
    const b = await startFakeExporter(body, 'text/plain; version=0.0.4');
    try {
      // Two processes, each with one of the targets, both scraping every second, handing runs
      // back for as long as the shipped default (10 s). A handed-back run goes to whichever
      // process fetches first, often the one that handed it back, so it may take several tries
      // (and seconds): what must hold is that no run is dropped. With a 1 s window (3 tries)
      // about one run in ten was.
      const metrics = [createMetrics('a'), createMetrics('b')] as const;
      await start(prefix, ['a', 'a2', 'a3'], { a: a.url }, 1000, metrics[0], 10_000);
      await start(prefix, ['b', 'b2', 'b3'], { b: b.url }, 1000, metrics[1], 10_000);
      const from = { a: a.accepts.length, b: b.accepts.length, at: Date.now() };
      await sleep(10_000);
      const dropped = await Promise.all(
        metrics.map(async (m) =>
          (await m.registry.getMetricsAsJSON())
            .filter((x) => x.name === 'aiops_pull_runs_total')
            .flatMap((x) => x.values)
            .filter((v) => v.labels.outcome === 'not_configured')
            .reduce((n, v) => n + v.value, 0),
        ),
      );
      expect(dropped).toEqual([0, 0]);
      // Runs reach their targets. Those still being handed back at the end of the window land
      // after it: late, not lost (the counter above says none was dropped). A run can bounce
      // between the processes for seconds, so the count in the window is only bounded loosely.
      const runs = Math.floor((Date.now() - from.at) / 1000);
      expect(a.accepts.length - from.a).toBeGreaterThanOrEqual(runs / 2);
      expect(b.accepts.length - from.b).toBeGreaterThanOrEqual(runs / 2);
    } finally {
      for (const p of running.splice(0)) await p.close(true);
      await a.close();
      await b.close();
    }
  }, 30_000);

  it('a run no process has the source of is dropped after its hand-backs, and counted', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const metrics = createMetrics('test');
    await start(prefix, ['auth'], {}, 1000, metrics);
    const queue = new Queue(QueueNames.pull, { connection: redis, prefix });
    await queue.add(JobNames.PullScrape, { kind: 'scrape', target: 'ghost' });
    await queue.close();
    await waitFor(
      'the ghost run counted',
      async () =>
        (await metrics.registry.metrics()).includes(
          'aiops_pull_runs_total{source="scrape/ghost",outcome="not_configured"} 1',
        ),
      5000,
    );
  });

  it('a schedule nobody renews (made before leases existed) is removed a lease time after it is first seen, also by a process without sources', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const queue = new Queue(QueueNames.pull, { connection: redis, prefix });
    await queue.upsertJobScheduler('scrape/legacy', { every: 3_600_000 }, { name: 'x' });
    await queue.close();
    const pull = await start(prefix, []);
    expect(pull.worker).toBeUndefined();
    expect(await schedulers(prefix)).toEqual(['scrape/legacy']);
    await waitFor(
      'the legacy schedule removed',
      async () => (await schedulers(prefix)).length === 0,
      LEASE_MS * 5,
    );
    expect(await redis.hlen(`${prefix}:pull:leases`)).toBe(0);
  });
});
