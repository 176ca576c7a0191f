/**
 * A throwaway Redis Cluster of three masters on free loopback ports (Debian's redis-server in
 * cluster mode, joined by `redis-cli --cluster create`), stopped by PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { redisAnswers } from '../../src/redis/probe.js';
import { waitFor } from './redis.js';
import { freePort } from './redis-server.js';

export class TestRedisCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'aiops-cluster-'));
  readonly ports: number[];
  readonly #children: ChildProcess[] = [];

  private constructor(ports: number[]) {
    this.ports = ports;
  }

  /** Three masters, all 16,384 slots assigned, `cluster_state:ok` on every node. */
  static async start(masters = 3): Promise<TestRedisCluster> {
    const ports: number[] = [];
    while (ports.length < masters) {
      const port = await freePort();
      // The cluster bus listens on port + 10000: both must be free.
      if (port < 55_000 && !ports.includes(port)) ports.push(port);
    }
    const c = new TestRedisCluster(ports);
    try {
      await c.#up();
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /** The seed node's URL (any node would do). */
  get url(): string {
    return `redis://127.0.0.1:${this.ports[0] ?? 0}`;
  }

  /** A cluster client for the test's own reads. */
  client(): Cluster {
    return new Cluster(this.ports.map((port) => ({ host: '127.0.0.1', port })));
  }

  /** One plain client per master, for per-node reads (DBSIZE, SCAN). */
  nodes(): Redis[] {
    return this.ports.map((port) => new Redis(port, '127.0.0.1'));
  }

  async #up(): Promise<void> {
    for (const port of this.ports) {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          this.dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '5000',
          '--appendonly',
          'no',
          '--save',
          '',
        ],
        { stdio: 'ignore' },
      );
      this.#children.push(child);
    }
    for (const port of this.ports) {
      await waitFor(
        `cluster node ${port} up`,
        () => redisAnswers(`redis://127.0.0.1:${port}`, 200),
        10_000,
      );
    }
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...this.ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0) {
      throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    }
    const nodes = this.nodes();
    try {
      await waitFor(
        'cluster_state:ok on every node',
        async () =>
          (await Promise.all(nodes.map((n) => n.cluster('INFO')))).every((info) =>
            /cluster_state:ok/.test(info),
          ),
        20_000,
      );
    } finally {
      for (const n of nodes) n.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map(async (child) => {
        if (child.exitCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
