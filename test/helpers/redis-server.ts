/** A throwaway redis-server on a free loopback port, stopped by PID. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisAnswers } from '../../src/redis/probe.js';
import { waitFor } from './redis.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        resolve(typeof addr === 'object' && addr ? addr.port : 0);
      });
    });
  });
}

export class TestRedisServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'aiops-redis-'));
  readonly port: number;
  #child: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<TestRedisServer> {
    const s = new TestRedisServer(await freePort());
    await s.up();
    return s;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) on the same port and folder: the AOF brings its data back. */
  async up(): Promise<void> {
    this.#child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    await waitFor('redis-server up', () => redisAnswers(this.url, 200), 10_000);
  }

  /** Stops the server, deletes its AOF, and starts it again: same port, no data (a new run). */
  async restartEmpty(): Promise<void> {
    await this.down();
    for (const f of readdirSync(this.dir))
      rmSync(join(this.dir, f), { recursive: true, force: true });
    await this.up();
  }

  async down(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}
