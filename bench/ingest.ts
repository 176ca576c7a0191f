/**
 * remote_write ingest benchmark, with a real payload shape (500 series × 10 labels, one sample
 * each, as a Prometheus shard sends them):
 *
 * 1. Decode, one thread: snappy + protobuf + validation + series key + partition hash, in
 *    samples/s. Ours (hand-written) against protobufjs + snappyjs doing the same work, in the
 *    same run (the ratio is the figure; the machine is shared and noisy).
 * 2. End to end over HTTP: accepted samples/s into the queues of an ingest-only worker on real
 *    Redis (its own process, from `dist/`), and the same payloads posted to VictoriaMetrics'
 *    /api/v1/write on loopback (Debian package victoria-metrics), in the same run, with the ratio.
 *
 * Decode is per core: CPU time of this process, after a warm-up of at least a second, ours and
 * the library alternating over 11 rounds (medians).
 *
 *   npm run bench -- ingest [--seconds 5] [--concurrency 8] [--redis redis://127.0.0.1:6379]
 *                           [--decode-only]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import protobuf from 'protobufjs';
import { uncompress } from 'snappyjs';
import { parseConfig } from '../src/config/load.js';
import { limitsFromConfig } from '../src/ingest/records.js';
import { withUncompressedBlock } from '../src/ingest/remote-write/snappy-block.js';
import { toSamples } from '../src/ingest/remote-write/to-samples.js';
import { decodeWriteRequest } from '../src/ingest/remote-write/write-request.js';
import { partitionOf } from '../src/queues/partition.js';
import { seriesKey } from '../src/queues/series-key.js';
import { deletePrefix } from '../test/helpers/redis.js';
import { remoteWriteBody } from '../test/helpers/remote-write.js';

const SERIES = 500;
const LABELS = 10;

/** The labels of series `s` of the bench payloads: 10 labels, a job of 20, unique per `s`. */
export function benchLabels(s: number): Record<string, string> {
  return Object.fromEntries([
    ['__name__', `http_requests_total`],
    ['job', `svc-${s % 20}`],
    ['instance', `10.0.${s % 7}.${s}:9100`],
    ...Array.from({ length: LABELS - 3 }, (_, l) => [`label_${l}`, `value-${(s * 31 + l) % 97}`]),
  ]) as Record<string, string>;
}

function payload(round: number): Buffer {
  const t = Date.UTC(2026, 10, 25) + round * 15_000;
  return remoteWriteBody(
    Array.from({ length: SERIES }, (_, s) => ({
      labels: benchLabels(s),
      samples: [{ value: round * 10 + s, timestamp: t }],
    })),
  );
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;

function decodeRates(bodies: Buffer[]): { ours: number; library: number; oursWall: number } {
  const limits = limitsFromConfig(parseConfig({ ingest: { service_labels: ['job'] } }).ingest);
  const root = protobuf.Root.fromJSON({
    nested: {
      WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
      TimeSeries: {
        fields: {
          labels: { rule: 'repeated', type: 'Label', id: 1 },
          samples: { rule: 'repeated', type: 'Sample', id: 2 },
        },
      },
      Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
      Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
    },
  });
  const WriteRequest = root.lookupType('WriteRequest');
  let sink = 0;
  const ours = (): void => {
    for (const b of bodies) {
      const out = toSamples(withUncompressedBlock(b, 64 << 20, decodeWriteRequest), limits);
      for (const s of out.samples) sink += partitionOf(s.series.key, 16);
    }
  };
  const library = (): void => {
    for (const b of bodies) {
      const req = WriteRequest.toObject(WriteRequest.decode(uncompress(b)), { longs: Number }) as {
        timeseries: { labels: { name: string; value: string }[]; samples: { value: number }[] }[];
      };
      for (const ts of req.timeseries) {
        const labels: Record<string, string> = {};
        let name = '';
        for (const l of ts.labels) {
          if (l.name === '__name__') name = l.value;
          else labels[l.name] = l.value;
        }
        const key = seriesKey(name, labels);
        sink += ts.samples.length * partitionOf(key, 16);
      }
    }
  };
  // Warm up both for real (TurboFan needs more than one pass), then alternate them so both see
  // the same noise on a shared machine. Per core is CPU time (user + system, this process): a
  // busy machine stretches wall time with time spent waiting for a core, not decoding.
  const warm = (fn: () => void): void => {
    const until = performance.now() + 1000;
    for (let i = 0; i < 5 || performance.now() < until; i++) fn();
  };
  warm(ours);
  warm(library);
  const runs = { ours: [] as number[], library: [] as number[], oursWall: [] as number[] };
  for (let r = 0; r < 11; r++) {
    for (const [name, fn] of [
      ['ours', ours],
      ['library', library],
    ] as const) {
      const cpu = process.cpuUsage();
      const t = performance.now();
      fn();
      const wall = (performance.now() - t) / 1000;
      const used = process.cpuUsage(cpu);
      runs[name].push((bodies.length * SERIES) / ((used.user + used.system) / 1e6));
      if (name === 'ours') runs.oursWall.push((bodies.length * SERIES) / wall);
    }
  }
  const result = {
    ours: median(runs.ours),
    library: median(runs.library),
    oursWall: median(runs.oursWall),
  };
  if (sink === -1) process.stdout.write('');
  return result;
}

/** A port free on loopback now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const exited = (child: ChildProcess): boolean =>
  child.exitCode !== null || child.signalCode !== null;

/** Polls `url` until it answers 200 (at most ~20 s); fails at once if `child` exits. */
export async function waitReady(url: string, what: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (exited(child)) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode})`);
    if ((await fetch(url).catch(() => undefined))?.ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer ${url}`);
}

/** Stops a child process and waits for it to exit (killed if it takes over 10 s). */
export async function stop(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const done = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(kill);
}

/** A worker or VictoriaMetrics run by a bench: its URL on loopback, and how to stop it. */
export interface BenchProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Stops it, waits for it to exit and removes its temp folder. */
  stop(): Promise<void>;
}

/**
 * Starts a worker as its own process (the built `dist/`, as `npm start` runs it) with `config`
 * (YAML) on `redisUrl`, and waits until it is ready. `onOutput` sees its log (stdout, stderr).
 */
export async function startWorker(opts: {
  config: string;
  redisUrl: string;
  roles?: string;
  onOutput?: (chunk: string) => void;
}): Promise<BenchProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'aiops-bench-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, opts.config);
  const port = await freePort();
  const main = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
  const worker = spawn(
    process.execPath,
    [
      // For profiles: AIOPS_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (the worker
      // writes its profile when the bench stops it).
      ...(process.env.AIOPS_BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []),
      main,
      'start',
      '-c',
      config,
      '-p',
      String(port),
      '-r',
      opts.roles ?? 'all',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: opts.redisUrl } },
  );
  // Its log, shown only when it does not come up.
  let log = '';
  for (const stream of [worker.stdout, worker.stderr])
    stream.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      log = (log + text).slice(-4000);
      opts.onOutput?.(text);
    });
  const url = `http://127.0.0.1:${port}`;
  const stopWorker = async (): Promise<void> => {
    await stop(worker);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(`${url}/readyz`, 'the worker', worker);
  } catch (err) {
    process.stdout.write(log);
    await stopWorker();
    throw err;
  }
  return { url, child: worker, stop: stopWorker };
}

/** Starts VictoriaMetrics (Debian package victoria-metrics) on loopback, on a temp folder. */
export async function startVictoriaMetrics(): Promise<BenchProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aiops-vm-'));
  const port = await freePort();
  const vm = spawn(
    'victoria-metrics',
    [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dataDir}`, '-loggerLevel=ERROR'],
    { stdio: 'ignore' },
  );
  // Not installed: waitReady reports it exited (ENOENT), rather than an unhandled 'error'.
  vm.on('error', () => undefined);
  const url = `http://127.0.0.1:${port}`;
  const stopVm = async (): Promise<void> => {
    // Wait for it to exit: it still writes its data folder on the way out (ENOTEMPTY).
    await stop(vm);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(`${url}/health`, 'VictoriaMetrics', vm);
  } catch (err) {
    await stopVm();
    throw err;
  }
  return { url, child: vm, stop: stopVm };
}

/**
 * Runs an ingest-only worker as its own process, as VictoriaMetrics runs in its own, so the
 * bench's HTTP client does not share its event loop; posts the bodies to it and returns the
 * samples/s it accepted.
 */
async function postToWorker(
  prefix: string,
  redisUrl: string,
  bodies: Buffer[],
  seconds: number,
  concurrency: number,
): Promise<number> {
  // Nothing consumes the queues here: a high-water mark past what the run can fill, so the
  // figure is what ingest accepts, not when backpressure starts.
  const worker = await startWorker({
    config: `redis:\n  prefix: ${prefix}\ningest:\n  service_labels: [job]\n  queue_high_water_jobs: 10000000\n`,
    redisUrl,
    roles: 'ingest',
  });
  try {
    return await post(`${worker.url}/api/v1/write`, bodies, seconds, concurrency);
  } finally {
    await worker.stop();
  }
}

/** Posts the bodies round-robin for `seconds` with `concurrency` in flight; samples/s accepted. */
async function post(
  url: string,
  bodies: Buffer[],
  seconds: number,
  concurrency: number,
): Promise<number> {
  let accepted = 0;
  const failed = new Map<string, number>();
  let i = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const body = bodies[i++ % bodies.length] as Buffer;
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-protobuf',
            'content-encoding': 'snappy',
            'x-prometheus-remote-write-version': '0.1.0',
          },
          body,
        });
        const text = await res.text();
        if (res.status >= 200 && res.status < 300) accepted += SERIES;
        else {
          const why = `${res.status} ${text.slice(0, 160)}`;
          failed.set(why, (failed.get(why) ?? 0) + 1);
        }
      }
    }),
  );
  for (const [why, n] of failed)
    process.stdout.write(`  (${n} requests failed at ${url}: ${why})\n`);
  return accepted / ((performance.now() - started) / 1000);
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '8' },
      redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
      'decode-only': { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const bodies = Array.from({ length: 40 }, (_, r) => payload(r));
  process.stdout.write(
    `payload: ${SERIES} series × ${LABELS} labels, 1 sample each; ${Math.round(bodies.reduce((n, b) => n + b.length, 0) / bodies.length)} bytes compressed\n\n`,
  );
  const d = decodeRates(bodies);
  process.stdout.write(
    `decode, one thread (snappy + protobuf + validation + series key + partition), per core (CPU time):\n` +
      `  ours:                 ${Math.round(d.ours).toLocaleString('en')} samples/s (wall: ${Math.round(d.oursWall).toLocaleString('en')})\n` +
      `  protobufjs+snappyjs:  ${Math.round(d.library).toLocaleString('en')} samples/s\n` +
      `  ratio ours/library:   ${(d.ours / d.library).toFixed(2)}\n\n`,
  );

  if (values['decode-only']) return;
  const prefix = `bench-ingest-${process.pid}`;
  let ourRate: number;
  try {
    ourRate = await postToWorker(prefix, values.redis, bodies, seconds, concurrency);
  } finally {
    await deletePrefix(prefix, values.redis);
  }

  let vmRate = Number.NaN;
  try {
    const vm = await startVictoriaMetrics();
    try {
      vmRate = await post(`${vm.url}/api/v1/write`, bodies, seconds, concurrency);
    } finally {
      await vm.stop();
    }
  } catch (err) {
    process.stdout.write(
      `  VictoriaMetrics did not run (${(err as Error).message}); apt-get install victoria-metrics\n`,
    );
  }
  process.stdout.write(
    `end to end over HTTP (${concurrency} in flight, ${seconds} s each, same machine):\n` +
      `  aiops-worker /api/v1/write -> Redis queues: ${Math.round(ourRate).toLocaleString('en')} samples/s accepted\n` +
      `  VictoriaMetrics /api/v1/write:              ${Math.round(vmRate).toLocaleString('en')} samples/s accepted\n` +
      `  ratio worker/VictoriaMetrics:               ${(ourRate / vmRate).toFixed(2)}\n`,
  );
}
