/**
 * Schedules and works pull runs. Each configured query and scrape target gets a BullMQ job
 * scheduler on the `pull` queue (`upsertJobScheduler`, every `interval_ms`), so schedules live
 * in Redis and survive restarts. A schedule that no running process has configured any more is
 * removed once its lease runs out (schedule-leases.ts), so processes with different
 * configurations, as during a rolling deploy, keep each other's schedules. The worker runs up to
 * eight sources side by side, and a run also holds its source's lock in Redis, so a query or
 * target never runs twice at once, even across processes (pull-runs.ts).
 */
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/schema.js';
import { JobNames, QueueNames, type PullJob } from '../../queues/contract.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Metrics } from '../../telemetry/metrics.js';
import type { IngestWriter } from '../ingest-writer.js';
import type { RecordLimits } from '../records.js';
import { PullReporter } from './pull-reporter.js';
import {
  pullJobSourceId,
  querySourceId,
  runQuery,
  runScrape,
  scrapeSourceId,
  type PullDeps,
  type SeriesAdmission,
} from './pull-runs.js';
import { PullStore } from './pull-store.js';
import { ScheduleLeases } from './schedule-leases.js';
import { logWorkerErrors } from '../../queues/worker-errors.js';

export interface PullOptions {
  /** A worker connection (`maxRetriesPerRequest: null`). */
  readonly connection: Redis;
  readonly prefix: string;
  readonly settings: Config['pull'];
  readonly writer: Pick<IngestWriter, 'write'>;
  /** The series limits the push routes apply (main's SeriesLimiter); none when unset. */
  readonly series?: SeriesAdmission | undefined;
  readonly limits: RecordLimits;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly now?: () => number;
  /** How long a schedule outlives the last process that has it configured (default 90 s). */
  readonly leaseMs?: number;
  /** How long a run of a source this process lacks is handed back (default 10 s). */
  readonly handBackForMs?: number;
}

/** A schedule nobody renews is removed this long after its last renewal. */
const LEASE_MS = 90_000;

export interface RunningPull {
  /** Undefined when this process has no pull sources (it still renews and prunes schedules). */
  readonly worker: Worker | undefined;
  /** Stops taking runs; waits for the one in progress (its samples are queued or retried). */
  close(force?: boolean): Promise<void>;
  /** Renews this process's leases and schedules its sources again (Redis lost them). */
  reassert(): Promise<void>;
}

interface Schedule {
  readonly every: number;
  readonly name: string;
  readonly data: PullJob;
}

/** Scheduler id → schedule, for every configured query and scrape target. */
export function pullSchedules(settings: Config['pull']): Map<string, Schedule> {
  const out = new Map<string, Schedule>();
  for (const src of settings.prometheus) {
    for (const q of src.queries) {
      out.set(querySourceId(src, q), {
        every: q.interval_ms,
        name: JobNames.PullQuery,
        data: { kind: 'query', source: src.name, query: q.name },
      });
    }
  }
  for (const t of settings.scrape) {
    out.set(scrapeSourceId(t), {
      every: t.interval_ms,
      name: JobNames.PullScrape,
      data: { kind: 'scrape', target: t.name },
    });
  }
  return out;
}

/** Upserts these schedulers. */
async function schedule(
  queue: Queue,
  schedules: ReadonlyMap<string, Schedule>,
  ids: Iterable<string>,
): Promise<void> {
  for (const id of ids) {
    const s = schedules.get(id);
    if (!s) continue;
    // One attempt: the next run is the retry, and the watermark keeps the window.
    await queue.upsertJobScheduler(
      id,
      { every: s.every },
      {
        name: s.name,
        data: s.data,
        opts: { attempts: 1, removeOnComplete: true, removeOnFail: 100 },
      },
    );
  }
}

/**
 * Renews our leases, schedules again any of ours that is missing (another process may have
 * removed it in the moment between reading an expired lease and our renewal, or after Redis'
 * clock jumped) or runs at another interval (a process with an older configuration wrote it
 * last), and removes the schedulers whose lease ran out.
 */
async function prune(
  o: PullOptions,
  queue: Queue,
  leases: ScheduleLeases,
  schedules: ReadonlyMap<string, Schedule>,
): Promise<void> {
  const own = [...schedules.keys()];
  const existing = new Map(
    (await queue.getJobSchedulers(0, -1)).map((s) => [s.key, Number(s.every)] as const),
  );
  const stale = own.filter((id) => existing.get(id) !== schedules.get(id)?.every);
  if (stale.length > 0) {
    await schedule(queue, schedules, stale);
    o.log.info(
      { schedulers: stale },
      'pull schedules missing or changed in Redis; scheduled again',
    );
  }
  for (const id of await leases.sweep(own, [...existing.keys()])) {
    await queue.removeJobScheduler(id);
    o.log.info({ scheduler: id }, 'pull schedule no longer configured by any process; removed');
  }
}

/**
 * A run of a source missing from this process's configuration is handed back, after 100 ms,
 * then twice as long each time up to a second, for up to ten seconds from the first hand-back;
 * then it is dropped. Time rather than a count: a process that has the source may have all its
 * run slots busy with slow catch-up queries for a while.
 */
const HAND_BACK_FOR_MS = 10_000;
const handBackDelay = (tries: number): number => Math.min(100 * 2 ** (tries - 1), 1000);

/** Pull runs one process works at once at most (each source still one at a time). */
const MAX_CONCURRENT_RUNS = 8;

/**
 * Starts pull ingest: schedules this configuration's sources and works pull runs. Every
 * process with the ingest role runs it, even with no sources, to renew and prune schedules.
 */
export async function startPull(o: PullOptions): Promise<RunningPull> {
  const schedules = pullSchedules(o.settings);
  const own = [...schedules.keys()];
  const leaseMs = o.leaseMs ?? LEASE_MS;
  const queue = new Queue(QueueNames.pull, { connection: o.connection, prefix: o.prefix });
  const leases = new ScheduleLeases(o.connection, o.prefix, leaseMs);
  // Leases first: a sweep of another process between our upsert and our first renewal would
  // otherwise see a schedule it may take for expired.
  const reassert = async (): Promise<void> => {
    await leases.renew(own);
    await schedule(queue, schedules, own);
  };
  await reassert();
  await prune(o, queue, leases, schedules);
  // Renew three times per lease, so one missed renewal does not lose a schedule.
  let renewing: Promise<void> | undefined;
  const renewal = setInterval(() => {
    renewing ??= prune(o, queue, leases, schedules)
      .catch((err: unknown) => {
        o.log.warn({ err }, 'pull schedule leases not renewed; retrying');
      })
      .finally(() => (renewing = undefined));
  }, leaseMs / 3);
  renewal.unref();
  const stopRenewing = async (): Promise<void> => {
    clearInterval(renewal);
    await renewing;
  };
  if (schedules.size === 0) {
    return {
      worker: undefined,
      reassert,
      async close() {
        await stopRenewing();
        await queue.close();
      },
    };
  }
  const deps: PullDeps = {
    writer: o.writer,
    series: o.series,
    limits: o.limits,
    metrics: o.metrics,
    store: new PullStore(o.connection, o.prefix),
    reporter: new PullReporter(o.metrics.registry, o.log),
    maxScrapeBytes: o.settings.max_scrape_bytes,
    maxScrapeSamples: o.settings.max_scrape_samples,
    now: o.now ?? Date.now,
  };
  const sources = new Map(o.settings.prometheus.map((s) => [s.name, s]));
  const targets = new Map(o.settings.scrape.map((t) => [t.name, t]));
  const reporter = deps.reporter;
  const run = async (job: Job<PullJob>, token?: string): Promise<void> => {
    const data = job.data;
    if (data.kind === 'query') {
      const src = sources.get(data.source);
      const q = src?.queries.find((x) => x.name === data.query);
      if (src && q) return runQuery(deps, src, q);
    } else {
      const t = targets.get(data.target);
      if (t) return runScrape(deps, t);
    }
    // Scheduled by a process with another configuration (a rolling deploy changing the pull
    // section): hand the run back a few times, so a process that has the source takes it.
    const tries = (data.handedBack ?? 0) + 1;
    const now = Date.now();
    const since = data.handedBackAt ?? now;
    if (now - since < (o.handBackForMs ?? HAND_BACK_FOR_MS) && token !== undefined) {
      await job.updateData({ ...data, handedBack: tries, handedBackAt: since });
      await job.moveToDelayed(now + handBackDelay(tries), token);
      throw new DelayedError();
    }
    reporter.notConfigured(pullJobSourceId(data), tries);
  };
  const worker = new Worker<PullJob>(QueueNames.pull, run, {
    connection: o.connection,
    prefix: o.prefix,
    // Sources run side by side (a slow catch-up query must not hold scrapes back); the run
    // lock keeps each source to one run at a time, across ticks and processes.
    concurrency: Math.min(MAX_CONCURRENT_RUNS, schedules.size),
  });
  logWorkerErrors([worker], o.log, 'pull');
  worker.on('failed', (job, err) => {
    o.log.warn({ err, job: job?.name }, 'pull run failed');
  });
  o.log.info({ schedules: own }, 'pull ingest scheduled');
  return {
    worker,
    reassert,
    async close(force = false) {
      await stopRenewing();
      await worker.close(force);
      await queue.close();
    },
  };
}
