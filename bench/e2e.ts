/**
 * remote_write → scored, end to end, against VictoriaMetrics in the same run. For each
 * configuration of series per request × requests in flight (1 sample per series):
 *
 * 1. A full worker (every role, `node dist/src/main.js start`, defaults but for a random
 *    redis.prefix and ingest.service_labels [job]) on real Redis gets snappy remote_write bodies on /api/v1/write for `--seconds`.
 *    Accepted: samples of the requests answered 2xx. Scored: the growth of its
 *    `aiops_samples_processed_total` (all outcomes), from the first post until it reaches what
 *    ingest queued or stops growing (`STALL_MS`), within `DRAIN_TIMEOUT_MS` after the last post.
 *    429/503 (backpressure) are counted, and the sender waits the Retry-After (at most
 *    `RETRY_CAP_MS`) and sends the same body again, as Prometheus does.
 * 2. VictoriaMetrics (Debian package victoria-metrics) on loopback gets the same bodies with the
 *    same concurrency for the same seconds: accepted samples/s.
 *
 * Each request in flight is a sender shard with series of its own, as Prometheus' shards are: it
 * sends one request at a time, each a new round of its series 15 s after the previous one, so
 * every sample the worker gets is newer than the last of its series. Bodies are built before the
 * timed runs (enough for `POOL_SAMPLES_PER_SECOND`); a worker that takes more gets bodies built
 * on the spot (counted), while VictoriaMetrics, which does not care, cycles over the prepared
 * rounds.
 *
 * With `--detect-processes N`, N more processes with the `detect` role only share the scoring
 * (the scaling of operations.md); their counters are added to the first one's.
 *
 *   npm run bench -- e2e [--seconds 10] [--series 500,2000] [--inflight 8,32]
 *                        [--detect-processes 0] [--redis redis://127.0.0.1:6379]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { deletePrefix } from '../test/helpers/redis.js';
import { remoteWriteBody, type TestSeries } from '../test/helpers/remote-write.js';
import { benchLabels, startVictoriaMetrics, startWorker } from './ingest.js';

const STEP_MS = 15_000;
const POOL_SAMPLES_PER_SECOND = 200_000;
const RETRY_CAP_MS = 1000;
const STALL_MS = 5000;
const DRAIN_TIMEOUT_MS = 60_000;
const SCRAPE_MS = 250;

const USAGE = `usage: npm run bench -- e2e [options]

  --seconds <n>       seconds of posting per target and configuration (default 10)
  --series <list>     series per request, comma-separated (default 500,2000)
  --inflight <list>   requests in flight, comma-separated (default 8,32)
  --detect-processes <n>
                      more worker processes with the detect role only (default 0)
  --redis <url>       Redis for the worker (default redis://127.0.0.1:6379)
  --help              this text
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '-');
const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? (a / b).toFixed(2) : '-');
const mb = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MB`;
const progress = (line: string): void => void process.stderr.write(`e2e: ${line}\n`);

/** The bodies of one configuration: lane `l` (a request in flight) owns its own series. */
class Bodies {
  readonly #lanes: { series: TestSeries[]; bodies: Buffer[] }[];
  readonly #t0: number;
  /** Bodies built while the worker was posted to, past the prepared rounds. */
  builtDuringRun = 0;

  constructor(seriesPerRequest: number, inflight: number, rounds: number) {
    // Every prepared round in the past (VictoriaMetrics drops samples beyond its retention).
    this.#t0 = Math.floor(Date.now() / STEP_MS) * STEP_MS - (rounds + 1) * STEP_MS;
    this.#lanes = Array.from({ length: inflight }, (_, lane) => ({
      series: Array.from({ length: seriesPerRequest }, (_, i) => ({
        labels: benchLabels(lane * seriesPerRequest + i),
        samples: [{ value: 0, timestamp: 0 }],
      })),
      bodies: [],
    }));
    for (const lane of this.#lanes)
      for (let r = 0; r < rounds; r++) lane.bodies.push(this.#build(lane.series, r));
  }

  get rounds(): number {
    return this.#lanes[0]?.bodies.length ?? 0;
  }

  get bytes(): number {
    return this.#lanes.reduce((n, l) => n + l.bodies.reduce((m, b) => m + b.length, 0), 0);
  }

  #build(series: TestSeries[], round: number): Buffer {
    series.forEach((s, i) => {
      const sample = s.samples[0] as { value: number; timestamp: number };
      sample.value = round * 10 + i; // a counter: it only grows
      sample.timestamp = this.#t0 + round * STEP_MS;
    });
    return remoteWriteBody(series);
  }

  #lane(lane: number): { series: TestSeries[]; bodies: Buffer[] } {
    const l = this.#lanes[lane];
    if (!l) throw new Error(`no lane ${lane}`);
    return l;
  }

  /** Round `round` of `lane`, always new samples (built now when not prepared). */
  fresh(lane: number, round: number): Buffer {
    const l = this.#lane(lane);
    const body = l.bodies[round];
    if (body) return body;
    this.builtDuringRun++;
    return this.#build(l.series, round);
  }

  /** Round `round` of `lane` over the prepared rounds again and again. */
  cycled(lane: number, round: number): Buffer {
    const l = this.#lane(lane);
    return l.bodies[round % l.bodies.length] as Buffer;
  }
}

interface PostStats {
  /** Samples in requests answered 2xx. */
  accepted: number;
  requests: number;
  /** Requests answered 429 or 503. */
  backpressure: number;
  /** Other answers and network errors, by status and message. */
  failed: Map<string, number>;
  startedAt: number;
  endedAt: number;
}

/**
 * Posts for `seconds`, `inflight` lanes each sending one request at a time: 2xx moves the lane to
 * its next round, 429/503 waits the Retry-After (at most RETRY_CAP_MS) and sends it again, any
 * other answer is counted and skipped (Prometheus drops a 4xx).
 */
async function postFor(
  url: string,
  opts: { seconds: number; inflight: number; seriesPerRequest: number },
  body: (lane: number, round: number) => Buffer,
  stats: PostStats,
): Promise<void> {
  const fail = (why: string): void => void stats.failed.set(why, (stats.failed.get(why) ?? 0) + 1);
  stats.startedAt = performance.now();
  const end = stats.startedAt + opts.seconds * 1000;
  await Promise.all(
    Array.from({ length: opts.inflight }, async (_, lane) => {
      let round = 0;
      while (performance.now() < end) {
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-protobuf',
              'content-encoding': 'snappy',
              'x-prometheus-remote-write-version': '0.1.0',
            },
            body: body(lane, round),
          });
        } catch (err) {
          fail(`network: ${(err as Error).message}`);
          await sleep(Math.min(100, Math.max(0, end - performance.now())));
          continue;
        }
        const text = await res.text();
        stats.requests++;
        if (res.ok) {
          stats.accepted += opts.seriesPerRequest;
          round++;
        } else if (res.status === 429 || res.status === 503) {
          stats.backpressure++;
          const after = Number(res.headers.get('retry-after'));
          const wait = Number.isFinite(after) && after > 0 ? after * 1000 : 250;
          await sleep(Math.min(wait, RETRY_CAP_MS, Math.max(0, end - performance.now())));
        } else {
          fail(`${res.status} ${text.slice(0, 160)}`);
          round++;
        }
      }
    }),
  );
  stats.endedAt = performance.now();
}

/** Calls `tick` about every second until `work` settles; then settles as `work` did. */
async function everySecond(work: Promise<void>, tick: () => Promise<void> | void): Promise<void> {
  let settled = false;
  const isSettled = (): boolean => settled;
  void work.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!isSettled()) {
    await Promise.race([sleep(1000), work]);
    if (!isSettled()) await tick();
  }
  await work;
}

const newStats = (): PostStats => ({
  accepted: 0,
  requests: 0,
  backpressure: 0,
  failed: new Map(),
  startedAt: Number.NaN,
  endedAt: Number.NaN,
});

/** What the worker's /metrics says, at `at` (performance.now() when the answer came). */
interface Scrape {
  at: number;
  processed: number;
  byOutcome: Map<string, number>;
  received: number;
  rejected: Map<string, number>;
  rssBytes: number;
  cpuSeconds: number;
}

/** The first worker's scrape, with the scoring figures (processed, CPU) of all of them added. */
async function scrapeAll(urls: readonly string[]): Promise<Scrape> {
  const [first, ...rest] = await Promise.all(urls.map(scrape));
  if (!first) throw new Error('no worker to scrape');
  for (const s of rest) {
    first.processed += s.processed;
    for (const [k, v] of s.byOutcome) first.byOutcome.set(k, (first.byOutcome.get(k) ?? 0) + v);
    first.cpuSeconds += s.cpuSeconds;
  }
  return first;
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  const out: Scrape = {
    at: performance.now(),
    processed: 0,
    byOutcome: new Map(),
    received: 0,
    rejected: new Map(),
    rssBytes: Number.NaN,
    cpuSeconds: Number.NaN,
  };
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, labels = '', raw] = m;
    const value = Number(raw);
    const label = (l: string): string => new RegExp(`${l}="([^"]*)"`).exec(labels)?.[1] ?? '';
    switch (name) {
      case 'aiops_samples_processed_total':
        out.processed += value;
        out.byOutcome.set(label('outcome'), value);
        break;
      case 'aiops_samples_received_total':
        if (label('kind') === 'metric') out.received += value;
        break;
      case 'aiops_ingest_rejected_total':
        out.rejected.set(labels, value);
        break;
      case 'aiops_process_resident_memory_bytes':
        out.rssBytes = value;
        break;
      case 'aiops_process_cpu_seconds_total':
        out.cpuSeconds = value;
        break;
    }
  }
  return out;
}

/** Warnings and errors in the worker's log (pino JSON lines), by level and message. */
class LogTally {
  readonly counts = new Map<string, number>();
  #partial = '';

  readonly feed = (chunk: string): void => {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let key: string | undefined;
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string };
        if ((entry.level ?? 0) >= 40)
          key = `${(entry.level ?? 0) >= 50 ? 'error' : 'warn'}: ${entry.msg ?? '?'}`;
      } catch {
        key = `other: ${line.slice(0, 120)}`;
      }
      if (key !== undefined && (this.counts.has(key) || this.counts.size < 20))
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
  };

  summary(): string {
    if (this.counts.size === 0) return 'no warnings or errors';
    return [...this.counts].map(([k, n]) => `${n}× ${k.slice(0, 160)}`).join('; ');
  }
}

async function redisUsedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

interface WorkerResult {
  post: PostStats;
  /** Samples ingest queued while posted to (its received counter). */
  queued: number;
  /** Growth of aiops_samples_processed_total over the window. */
  scored: number;
  scoredSeconds: number;
  drain: 'caught up' | 'stalled' | 'timed out';
  /** Samples queued but not yet processed when the posting stopped. */
  backlogAtEnd: number;
  /** Seconds from the end of the posting to the last growth of the processed counter. */
  drainSeconds: number;
  byOutcome: Map<string, number>;
  rejected: Map<string, number>;
  peakRss: number;
  cpuCores: number;
  redisMemory: number;
  builtDuringRun: number;
  log: string;
}

const diff = (after: Map<string, number>, before: Map<string, number>): Map<string, number> =>
  new Map(
    [...after]
      .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as [string, number])
      .filter(([, v]) => v !== 0),
  );

async function runWorker(
  tag: string,
  redisUrl: string,
  opts: { seconds: number; inflight: number; seriesPerRequest: number; detectProcesses: number },
  bodies: Bodies,
): Promise<WorkerResult> {
  const prefix = `bench-e2e-${randomBytes(5).toString('hex')}`;
  const logs = new LogTally();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const built0 = bodies.builtDuringRun;
  try {
    const mem0 = await redisUsedMemory(redis);
    progress(`${tag} starting a worker (all roles, redis.prefix ${prefix})`);
    // Defaults, but for the prefix and the label that names a series' service (`job` here).
    const config = `redis:\n  prefix: ${prefix}\ningest:\n  service_labels: [job]\n`;
    const worker = await startWorker({ config, redisUrl, onOutput: logs.feed });
    const detectors = await Promise.all(
      Array.from({ length: opts.detectProcesses }, () =>
        startWorker({ config, redisUrl, roles: 'detect', onOutput: logs.feed }),
      ),
    );
    const urls = [worker.url, ...detectors.map((d) => d.url)];
    const scrape = (): Promise<Scrape> => scrapeAll(urls);
    try {
      const s0 = await scrape();
      let peakRss = s0.rssBytes;
      const stats = newStats();
      const posting = postFor(
        `${worker.url}/api/v1/write`,
        opts,
        (lane, round) => bodies.fresh(lane, round),
        stats,
      );
      await everySecond(posting, async () => {
        const t = Math.round((performance.now() - stats.startedAt) / 1000);
        const s = await scrape().catch(() => undefined);
        if (s) peakRss = Math.max(peakRss, s.rssBytes);
        progress(
          `${tag} worker ${t} s: ${fmt(stats.accepted)} accepted, ` +
            `${s ? fmt(s.processed - s0.processed) : '?'} processed, ` +
            `${stats.backpressure} answered 429/503, rss ${s ? mb(s.rssBytes) : '?'}`,
        );
      });
      // Drain: until processed reaches what ingest queued, stops growing, or the timeout.
      let last = await scrape();
      const atEnd = last;
      const queued = atEnd.received - s0.received;
      const mem1 = await redisUsedMemory(redis);
      let drain: WorkerResult['drain'] = 'timed out';
      let lastTick = performance.now();
      for (;;) {
        peakRss = Math.max(peakRss, last.rssBytes);
        if (last.processed - s0.processed >= queued) {
          drain = 'caught up';
          break;
        }
        const now = performance.now();
        if (now - last.at > STALL_MS) {
          drain = 'stalled';
          break;
        }
        if (now - stats.endedAt > DRAIN_TIMEOUT_MS) break;
        if (now - lastTick >= 2000) {
          lastTick = now;
          progress(
            `${tag} draining: ${fmt(last.processed - s0.processed)} of ${fmt(queued)} processed`,
          );
        }
        await sleep(SCRAPE_MS);
        const s = await scrape();
        if (s.processed > last.processed) last = s;
      }
      const end = await scrape();
      return {
        post: stats,
        queued,
        scored: last.processed - s0.processed,
        scoredSeconds: (last.at - stats.startedAt) / 1000,
        drain,
        backlogAtEnd: queued - (atEnd.processed - s0.processed),
        drainSeconds: Math.max(0, (last.at - stats.endedAt) / 1000),
        byOutcome: diff(last.byOutcome, s0.byOutcome),
        rejected: diff(end.rejected, s0.rejected),
        peakRss,
        cpuCores: (last.cpuSeconds - s0.cpuSeconds) / ((last.at - s0.at) / 1000),
        redisMemory: mem1 - mem0,
        builtDuringRun: bodies.builtDuringRun - built0,
        log: logs.summary(),
      };
    } finally {
      await Promise.all([worker, ...detectors].map((w) => w.stop()));
    }
  } finally {
    await deletePrefix(prefix, redisUrl);
    redis.disconnect();
  }
}

async function runVictoriaMetrics(
  tag: string,
  opts: { seconds: number; inflight: number; seriesPerRequest: number },
  bodies: Bodies,
): Promise<PostStats | undefined> {
  let vm;
  try {
    vm = await startVictoriaMetrics();
  } catch (err) {
    process.stdout.write(
      `  VictoriaMetrics did not run (${(err as Error).message}); apt-get install victoria-metrics\n`,
    );
    return undefined;
  }
  try {
    const stats = newStats();
    const posting = postFor(
      `${vm.url}/api/v1/write`,
      opts,
      (lane, round) => bodies.cycled(lane, round),
      stats,
    );
    await everySecond(posting, () => {
      const t = Math.round((performance.now() - stats.startedAt) / 1000);
      progress(`${tag} VictoriaMetrics ${t} s: ${fmt(stats.accepted)} accepted`);
    });
    return stats;
  } finally {
    await vm.stop();
  }
}

const rate = (s: PostStats | undefined): number =>
  s ? s.accepted / ((s.endedAt - s.startedAt) / 1000) : Number.NaN;

const failures = (s: PostStats): string =>
  [...s.failed].map(([why, n]) => `${n}× ${why}`).join('; ');

function positiveInts(raw: string, what: string): number[] {
  const xs = raw.split(',').map((x) => Number(x.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x <= 0))
    throw new Error(`--${what} wants positive integers, comma-separated (got ${raw})`);
  return xs;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '10' },
      series: { type: 'string', default: '500,2000' },
      inflight: { type: 'string', default: '8,32' },
      redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
      'detect-processes': { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds wants a positive number (got ${values.seconds})`);
  const seriesList = positiveInts(values.series, 'series');
  const inflightList = positiveInts(values.inflight, 'inflight');
  const detectProcesses = Number(values['detect-processes']);
  if (!Number.isInteger(detectProcesses) || detectProcesses < 0)
    throw new Error(`--detect-processes wants 0 or more (got ${values['detect-processes']})`);
  const gc = (globalThis as { gc?: () => void }).gc;

  process.stdout.write(
    `remote_write → scored, ${seconds} s of posting per target; 1 sample per series, 10 labels; ` +
      (detectProcesses > 0 ? `${detectProcesses} more detect process(es); ` : '') +
      `each request in flight owns its series and sends a new round 15 s later each time\n\n`,
  );
  const rows: string[][] = [];
  for (const seriesPerRequest of seriesList) {
    for (const inflight of inflightList) {
      const tag = `[${seriesPerRequest}×${inflight}]`;
      const opts = { seconds, inflight, seriesPerRequest, detectProcesses };
      const rounds = Math.ceil((seconds * POOL_SAMPLES_PER_SECOND) / (seriesPerRequest * inflight));
      progress(`${tag} building ${fmt(rounds * inflight)} bodies (${rounds} rounds per request)`);
      let bodies: Bodies | undefined = new Bodies(seriesPerRequest, inflight, rounds);
      progress(`${tag} bodies: ${mb(bodies.bytes)} compressed`);

      const w = await runWorker(tag, values.redis, opts, bodies);
      const vm = await runVictoriaMetrics(tag, opts, bodies);
      bodies = undefined;
      gc?.();

      const accepted = rate(w.post);
      const scored = w.scored / w.scoredSeconds;
      const vmRate = rate(vm);
      const series = seriesPerRequest * inflight;
      process.stdout.write(
        `${seriesPerRequest} series/request × ${inflight} in flight (${fmt(series)} series): ` +
          `accepted ${fmt(accepted)} samples/s, scored ${fmt(scored)} samples/s, ` +
          `VictoriaMetrics ${fmt(vmRate)} samples/s accepted; ` +
          `scored/VM ${ratio(scored, vmRate)}, accepted/VM ${ratio(accepted, vmRate)}\n`,
      );
      const outcomes = [...w.byOutcome].map(([k, n]) => `${k} ${fmt(n)}`).join(', ');
      const rejected = [...w.rejected].map(([k, n]) => `${k || 'total'} ${fmt(n)}`).join(', ');
      process.stdout.write(
        `  worker: ${fmt(w.post.requests)} requests, ${fmt(w.post.backpressure)} answered 429/503; ` +
          `${fmt(w.post.accepted)} samples accepted, ${fmt(w.queued)} queued, ${fmt(w.scored)} processed ` +
          `(${outcomes || 'none'}) in ${w.scoredSeconds.toFixed(1)} s; ` +
          `backlog when posting stopped ${fmt(w.backlogAtEnd)} samples, drain ${w.drain} ` +
          `${w.drainSeconds.toFixed(1)} s after\n` +
          `  worker: peak RSS ${mb(w.peakRss)}, CPU ${w.cpuCores.toFixed(2)} cores, ` +
          `Redis used_memory ${w.redisMemory >= 0 ? '+' : ''}${mb(w.redisMemory)} when posting stopped` +
          (w.builtDuringRun > 0 ? `, ${fmt(w.builtDuringRun)} bodies built during the run` : '') +
          `\n  worker rejected: ${rejected || 'none'}; log: ${w.log}` +
          (w.post.failed.size > 0 ? `\n  worker failed requests: ${failures(w.post)}` : '') +
          '\n',
      );
      if (vm)
        process.stdout.write(
          `  VictoriaMetrics: ${fmt(vm.requests)} requests, ${fmt(vm.backpressure)} answered 429/503` +
            (vm.failed.size > 0 ? `; failed: ${failures(vm)}` : '') +
            `; bodies cycled over ${rounds} prepared rounds per request\n`,
        );
      process.stdout.write('\n');
      rows.push([
        String(seriesPerRequest),
        String(inflight),
        fmt(series),
        fmt(accepted),
        fmt(scored),
        fmt(vmRate),
        ratio(scored, vmRate),
        ratio(accepted, vmRate),
        fmt(w.post.backpressure),
        w.drain,
      ]);
    }
  }
  const head = [
    'series/req',
    'in flight',
    'series',
    'accepted/s',
    'scored/s',
    'VM accepted/s',
    'scored/VM',
    'accepted/VM',
    '429/503',
    'drain',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join(' | ')} |\n`;
  process.stdout.write(
    line(head) + `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n` + rows.map(line).join(''),
  );
}
