/**
 * `aiops-worker start` fails fast and says why (issue 17), run as a user runs it: an
 * unreachable Redis is one JSON line per retry and exit 1 after `redis.connect_timeout_ms`; a
 * URL that is not a Redis URL, and a port in use, exit 1 at once with their code and docs link,
 * the port before anything touches Redis; the start line names Redis, prefix, roles, config and
 * version; a Redis outage while running is a line when it goes and one when it returns, never
 * a flood of errors or raw stack traces.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { freePort, TestRedisServer } from '../helpers/redis-server.js';
import {
  runWorkerCommand,
  startWorkerProcess,
  type WorkerProcess,
} from '../helpers/worker-process.js';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** Every stderr line that is a JSON log line, and those that are not. */
function split(stderr: string): { json: LogLine[]; other: string[] } {
  const json: LogLine[] = [];
  const other: string[] = [];
  for (const line of stderr.split('\n').filter(Boolean)) {
    try {
      json.push(JSON.parse(line) as LogLine);
    } catch {
      other.push(line);
    }
  }
  return { json, other };
}

const prefixes: string[] = [];
const workers: WorkerProcess[] = [];
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  for (const p of prefixes) await deletePrefix(p);
});

describe('start fails fast', () => {
  it('Redis unreachable: one JSON line per retry, then exit 1 with the reason after the timeout', async () => {
    const port = await freePort();
    const out = await runWorkerCommand({
      args: ['start', '--port', '0'],
      env: {
        REDIS_URL: `redis://:s3cret@127.0.0.1:${port}`,
        AIOPS_REDIS__CONNECT_TIMEOUT_MS: '2000',
      },
    });
    expect(out.code).toBe(1);
    expect(out.ms).toBeLessThan(15_000);
    const { json, other } = split(out.stderr);
    expect(out.stderr).not.toContain('s3cret');
    expect(other).toEqual([
      `aiops-worker: AIOPS_ERR_REDIS_UNAVAILABLE: Redis at redis://:***@127.0.0.1:${port} did not answer within 2 s ` +
        `(${json.filter((l) => l.msg.startsWith('Redis not reachable')).length + 1} attempts; last error: connect ECONNREFUSED 127.0.0.1:${port}). ` +
        'Check that Redis runs and that this host can reach it, and the URL (REDIS_URL wins over redis.url); ' +
        'redis.connect_timeout_ms sets how long start waits',
      '  how to fix: docs/errors.md#aiops_err_redis_unavailable',
    ]);
    const retries = json.filter((l) => l.msg.startsWith('Redis not reachable'));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries.length).toBeLessThanOrEqual(5);
    expect(retries[0]).toMatchObject({
      level: 40,
      redis: `redis://:***@127.0.0.1:${port}`,
      attempt: 1,
      err: `connect ECONNREFUSED 127.0.0.1:${port}`,
      retryInMs: 500,
    });
    expect(retries[0]?.msg).toMatch(
      new RegExp(
        `^Redis not reachable at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}; retrying in 0\\.5 s \\(giving up in [\\d.]+ s\\)$`,
      ),
    );
    // The start line said where it was going, and no port was ever announced.
    expect(json[0]?.msg).toMatch(
      /^aiops-worker \S+ starting: Redis redis:\/\/:\*\*\*@127\.0\.0\.1:/,
    );
    expect(json.map((l) => l.msg)).not.toContain('aiops-worker listening');
    expect(json).toHaveLength(retries.length + 1);
  });

  it('a wrong or missing Redis password: exit 1 at once, no retries', async () => {
    const port = await freePort();
    const redisServer = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', 'right', '--save', ''],
      { stdio: 'ignore' },
    );
    try {
      await waitFor('redis-server with a password', async () => {
        const r = new Redis(`redis://:right@127.0.0.1:${port}`, {
          lazyConnect: true,
          retryStrategy: () => null,
        });
        r.on('error', () => undefined);
        try {
          await r.connect();
          await r.ping();
          return true;
        } catch {
          return false;
        } finally {
          r.disconnect();
        }
      });
      const wrong = await runWorkerCommand({
        args: ['start', '--port', '0'],
        env: { REDIS_URL: `redis://:wrong@127.0.0.1:${port}` },
      });
      expect(wrong.code).toBe(1);
      expect(split(wrong.stderr).other).toEqual([
        `aiops-worker: AIOPS_ERR_REDIS_UNAVAILABLE: Redis at redis://:***@127.0.0.1:${port} refused the credentials ` +
          '(WRONGPASS invalid username-password pair or user is disabled.): check the user and password in REDIS_URL / redis.url',
        '  how to fix: docs/errors.md#aiops_err_redis_unavailable',
      ]);
      const none = await runWorkerCommand({
        args: ['start', '--port', '0'],
        env: { REDIS_URL: `redis://127.0.0.1:${port}` },
      });
      expect(none.code).toBe(1);
      expect(split(none.stderr).other[0]).toBe(
        `aiops-worker: AIOPS_ERR_REDIS_UNAVAILABLE: Redis at redis://127.0.0.1:${port} needs a password ` +
          '(NOAUTH Authentication required.): give it in the URL, redis://:PASSWORD@host:6379 (REDIS_URL or redis.url; redis.url_file reads it from a file)',
      );
      for (const out of [wrong, none]) {
        expect(split(out.stderr).json.map((l) => l.msg)).not.toContainEqual(
          expect.stringMatching(/^Redis not reachable/),
        );
      }
    } finally {
      redisServer.kill('SIGTERM');
    }
  });

  it('a REDIS_URL that is not a Redis URL: exit 1 at once, saying what is wrong with it', async () => {
    const out = await runWorkerCommand({
      args: ['start', '--port', '0'],
      env: { REDIS_URL: 'redis:/redis-host' },
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      '  - REDIS_URL (environment variable): "redis:/redis-host" is not a Redis URL: write two slashes after "redis:", as in redis://redis-host',
    );
    expect(out.stderr).toMatch(/^aiops-worker: AIOPS_ERR_CONFIG_INVALID: invalid configuration /);
    expect(out.stderr).toContain('how to fix: docs/errors.md#aiops_err_config_invalid');
    expect(split(out.stderr).json).toEqual([]);
  });

  it('port in use: one line with the code, exit 1, and nothing written to Redis', async () => {
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const addr = holder.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const prefix = randomPrefix();
    prefixes.push(prefix);
    try {
      const out = await runWorkerCommand({
        args: ['start', '--port', String(port)],
        env: { REDIS_URL: TEST_REDIS_URL, AIOPS_REDIS__PREFIX: prefix },
      });
      expect(out.code).toBe(1);
      expect(out.stderr).toBe(
        `aiops-worker: AIOPS_ERR_SERVER_PORT_UNAVAILABLE: cannot listen on 127.0.0.1:${port}: the port is in use by another process (another aiops-worker?); ` +
          'stop the other process, or give another port: --port N, AIOPS_SERVER__PORT=N or server.port\n' +
          '  how to fix: docs/errors.md#aiops_err_server_port_unavailable\n',
      );
    } finally {
      await new Promise((r) => holder.close(r));
    }
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const [, keys] = await redis.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
      expect(keys).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('the start line names Redis (no password), prefix, roles, config file and version', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const w = await startWorkerProcess({
      args: ['--role', 'ingest,detect'],
      env: { REDIS_URL: TEST_REDIS_URL, AIOPS_REDIS__PREFIX: prefix },
    });
    workers.push(w);
    const start = w.logs
      .map((l) => JSON.parse(l) as LogLine)
      .find((l) => l.msg.includes(' starting: '));
    expect(start).toMatchObject({
      level: 30,
      version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown,
      redis: TEST_REDIS_URL,
      redisFrom: 'REDIS_URL',
      prefix,
      roles: ['ingest', 'detect'],
      config: expect.stringMatching(/config\/default\.yaml$/) as unknown,
    });
    expect(start?.msg).toMatch(
      new RegExp(
        `^aiops-worker \\S+ starting: Redis ${TEST_REDIS_URL.replaceAll('.', '\\.')}, prefix "${prefix}", roles ingest,detect, config \\S+config/default\\.yaml$`,
      ),
    );
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  });

  it('a Redis outage while running: one ERROR line when it goes, one line when it returns, no stack traces', async () => {
    const server = await TestRedisServer.start();
    const prefix = randomPrefix();
    const w = await startWorkerProcess({
      env: { REDIS_URL: server.url, AIOPS_REDIS__PREFIX: prefix },
    });
    workers.push(w);
    try {
      const before = w.logs.length;
      await server.down();
      await new Promise((r) => setTimeout(r, 5000));
      await server.up();
      await waitFor(
        'Redis reachable again',
        () => w.logs.some((l) => l.includes('Redis reachable again')),
        30_000,
      );
      const during = w.logs.slice(before);
      const { json, other } = split(during.join('\n'));
      expect(other).toEqual([]);
      const errors = json.filter((l) => l.level >= 50);
      expect(errors).toEqual([
        expect.objectContaining({
          component: 'redis',
          redis: server.url,
          msg: expect.stringMatching(
            /^Redis unreachable \(.+\); reconnecting\. Ingest answers 503 and jobs wait until it is back$/,
          ) as unknown,
        }),
      ]);
      expect(json.filter((l) => l.msg.startsWith('Redis reachable again after'))).toHaveLength(1);
      expect(json.length).toBeLessThan(20);
    } finally {
      w.child.kill('SIGTERM');
      await w.exited;
      await server.down();
    }
  });
});
