/**
 * The embedded Redis default: with no REDIS_URL, use the Redis on 127.0.0.1:6379 if it
 * answers; else start a private `redis-server` (from PATH) with its data (AOF on) in a folder
 * of ours, and stop it on exit. If neither is possible, fail with one line that says how to fix it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { redisAnswers } from './probe.js';

export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

export interface ResolvedRedis {
  readonly url: string;
  /** configured: REDIS_URL or config; local: the machine's 6379; private: one we started. */
  readonly source: 'configured' | 'local' | 'private';
  /** Stops the private redis-server, if we started one. */
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

const noop = (): Promise<void> => Promise.resolve();

export async function resolveRedis(opts: {
  configuredUrl: string | undefined;
  dataDir: string;
}): Promise<ResolvedRedis> {
  if (opts.configuredUrl) return { url: opts.configuredUrl, source: 'configured', stop: noop };
  if (await redisAnswers(LOCAL_REDIS_URL, 500)) {
    return { url: LOCAL_REDIS_URL, source: 'local', stop: noop };
  }
  return startPrivateRedis(resolve(opts.dataDir));
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => {
        ok(port);
      });
    });
  });
}

/** Starts (or reuses) the private redis-server whose data lives in `dir`. */
export async function startPrivateRedis(dir: string): Promise<ResolvedRedis> {
  mkdirSync(dir, { recursive: true });
  const portFile = resolve(dir, 'port');
  // A private server left running by an earlier run that did not stop cleanly: reuse it.
  if (existsSync(portFile)) {
    const url = `redis://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
    if (await redisAnswers(url, 500))
      return { url, source: 'private', stop: () => shutdownByUrl(url, portFile) };
  }
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--save',
    '',
    '--logfile',
    resolve(dir, 'redis.log'),
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
  ];
  let child: ChildProcess;
  try {
    child = await new Promise<ChildProcess>((ok, fail) => {
      const c = spawn('redis-server', args, { stdio: 'ignore' });
      c.once('spawn', () => {
        ok(c);
      });
      c.once('error', fail);
    });
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'redis-server is not installed'
        : (err as Error).message;
    throw new RedisUnavailableError(
      `no Redis: nothing answers on 127.0.0.1:6379 and a private redis-server could not start (${reason}); ` +
        'install Redis (apt-get install redis-server, brew install redis) or set REDIS_URL=redis://host:6379',
    );
  }
  const url = `redis://127.0.0.1:${port}`;
  const life = { exited: false };
  child.once('exit', () => {
    life.exited = true;
  });
  const deadline = Date.now() + 8000;
  while (!(await redisAnswers(url, 300))) {
    if (life.exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RedisUnavailableError(
        `no Redis: a private redis-server did not start (see ${resolve(dir, 'redis.log')}); ` +
          'set REDIS_URL=redis://host:6379 to use another Redis',
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  writeFileSync(portFile, String(port));
  return {
    url,
    source: 'private',
    stop: async () => {
      if (life.exited) return;
      const done = new Promise<void>((r) =>
        child.once('exit', () => {
          r();
        }),
      );
      child.kill('SIGTERM'); // redis-server flushes the AOF and exits on SIGTERM
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
      rmSync(portFile, { force: true });
    },
  };
}

async function shutdownByUrl(url: string, portFile: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.call('SHUTDOWN');
  } catch {
    // SHUTDOWN closes the connection before answering: that is success.
  }
  client.disconnect();
  rmSync(portFile, { force: true });
}
