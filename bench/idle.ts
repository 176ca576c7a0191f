/**
 * The cost of a worker with no traffic: one worker process (the built CLI, `dist/src/main.js
 * start`, all roles, the shipped config/default.yaml) on a Redis of its own; after start-up and
 * `--settle` seconds, for `--seconds` (60) it prints the Redis commands per second the worker
 * sends (INFO stats, less the bench's own INFO calls), the top commands (INFO commandstats),
 * the connections it holds, and its CPU (user + system, /proc) as a share of one core.
 *
 *   npm run bench -- idle [--seconds 60] [--settle 10] [--config config/default.yaml]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { TestRedisServer } from '../test/helpers/redis-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The window's CPU is also printed per slice this long (s). */
const SLICE_S = 10;

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

function infoField(info: string, name: string): number {
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : Number.NaN;
}

/** calls per command from INFO commandstats. */
function commandCalls(info: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '60' },
      settle: { type: 'string', default: '10' },
      config: { type: 'string', default: 'config/default.yaml' },
    },
  });
  const seconds = Number(values.seconds);
  const settle = Number(values.settle);
  const redisServer = await TestRedisServer.start();
  const admin = new Redis(redisServer.url);
  const child = spawn(
    process.execPath,
    [
      // For profiles, as in bench/ingest.ts: AIOPS_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR".
      ...(process.env.AIOPS_BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []),
      'dist/src/main.js',
      'start',
      '--config',
      values.config,
      '--port',
      '0',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: redisServer.url },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    const started = Date.now();
    process.stdout.write(`idle: worker pid ${child.pid} on ${redisServer.url}, starting\n`);
    // Started when its log says it listens (or give up after 60 s).
    while (!/listening|"msg":"aiops-worker started/.test(stderr)) {
      if (Date.now() - started > 60_000 || child.exitCode !== null) {
        throw new Error(`the worker did not start:\n${stderr.slice(-2000)}`);
      }
      await sleep(200);
    }
    process.stdout.write(`started in ${Date.now() - started} ms; settling ${settle} s\n`);
    await sleep(settle * 1000);
    const pid = child.pid as number;
    const stats0 = await admin.info('stats');
    const cmds0 = commandCalls(await admin.info('commandstats'));
    const cpu0 = cpuSeconds(pid);
    const t0 = Date.now();
    // CPU per slice of the window too: a one-off (V8's collection of the start-up garbage, a
    // first scheduler run) shows apart from the steady cost.
    const slices: number[] = [];
    for (let left = seconds, last = cpu0; left > 0; left -= SLICE_S) {
      const wait = Math.min(SLICE_S, left);
      await sleep(wait * 1000);
      const now = cpuSeconds(pid);
      slices.push((100 * (now - last)) / wait);
      last = now;
    }
    const elapsed = (Date.now() - t0) / 1000;
    const cpu1 = cpuSeconds(pid);
    const sorted = [...slices].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    const cmds1 = commandCalls(await admin.info('commandstats'));
    const stats1 = await admin.info('stats');
    const clients = infoField(await admin.info('clients'), 'connected_clients') - 1;
    // The bench's own calls in between: two INFO (commandstats, stats) at the end.
    const own = 2;
    const total =
      infoField(stats1, 'total_commands_processed') -
      infoField(stats0, 'total_commands_processed') -
      own;
    const top = [...cmds1]
      .map(([c, n]) => [c, n - (cmds0.get(c) ?? 0)] as const)
      .filter(([c, n]) => n > 0 && !(c === 'info'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8);
    process.stdout.write(
      `\nno traffic for ${elapsed.toFixed(0)} s:\n` +
        `  Redis commands: ${(total / elapsed).toFixed(1)}/s (${total} in all)\n` +
        `  connections: ${clients}\n` +
        `  CPU: ${((100 * (cpu1 - cpu0)) / elapsed).toFixed(2)}% of one core; ` +
        `per ${SLICE_S} s: ${slices.map((x) => x.toFixed(2)).join(', ')} (median ${median.toFixed(2)}%)\n` +
        `  top commands: ${top.map(([c, n]) => `${c} ${(n / elapsed).toFixed(1)}/s`).join(', ')}\n`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    admin.disconnect();
    await redisServer.down();
  }
}
