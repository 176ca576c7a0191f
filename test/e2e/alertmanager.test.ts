/**
 * End to end with a real Alertmanager (Debian's `prometheus-alertmanager`, on loopback, no
 * cluster), its webhook receiver pointing at this test. A simulated cascade produces exactly one
 * notification group naming auth as root cause; restarting the worker in the middle sends no
 * second page; after recovery the resolve arrives.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, queueAnomalies, storyAnomalies } from '../helpers/story.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { requireBinary } from '../helpers/binaries.js';
import { startDaemon } from '../helpers/daemon.js';

const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL);
const dir = mkdtempSync(join(tmpdir(), 'aiops-am-'));
const workers: WorkerProcess[] = [];
let am: ChildProcess | undefined;
let receiver: Server | undefined;

afterAll(async () => {
  am?.kill('SIGTERM');
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  receiver?.close();
  redis.disconnect();
  await deletePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

interface Notification {
  status: 'firing' | 'resolved';
  groupKey: string;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

function listen(server: Server): Promise<number> {
  return new Promise((done) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      done(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

describe('Alertmanager receives one correlated alert', () => {
  beforeAll(() => {
    requireBinary('prometheus-alertmanager', 'prometheus-alertmanager');
  });
  it('one notification group naming auth; no second page across a worker restart; then the resolve', async () => {
    const received: Notification[] = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as Notification);
        res.writeHead(200).end();
      });
    });
    const hookPort = await listen(receiver);
    const amPort = await freePort();
    writeFileSync(
      join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: test',
        '  group_by: [incident]',
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: test',
        '    webhook_configs:',
        `      - url: http://127.0.0.1:${hookPort}/hook`,
        '        send_resolved: true',
      ].join('\n'),
    );
    const daemon = await startDaemon(
      'prometheus-alertmanager',
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
      ],
      amPort,
    );
    am = daemon.child;
    const { logs: amLogs, url: amUrl } = daemon;

    const env = {
      REDIS_URL: TEST_REDIS_URL,
      AIOPS_REDIS__PREFIX: prefix,
      AIOPS_CORRELATE__SETTLE_MS: '2000',
      AIOPS_CORRELATE__TICK_MS: '1000',
      AIOPS_CORRELATE__LATENESS_MS: '500',
      AIOPS_CORRELATE__QUIET_MS: '15000',
      AIOPS_NOTIFY__ALERTMANAGERS: `["${amUrl}"]`,
      AIOPS_NOTIFY__RESEND_MS: '1000',
    };
    const start = async () => {
      const w = await startWorkerProcess({ args: ['--role', 'correlate,notify'], env });
      workers.push(w);
      return w;
    };
    const first = await start();

    const t = Date.now() - 1500;
    await queueAnomalies(redis, prefix, storyAnomalies(t));

    const fail = (err: unknown): never => {
      throw new Error(
        `${String(err)}\nreceived: ${JSON.stringify(received)}\nalertmanager log:\n${amLogs.join('').slice(-2000)}`,
      );
    };
    await waitFor(
      'the firing notification',
      () => received.some((n) => n.status === 'firing'),
      30_000,
    ).catch(fail);

    // Restart the worker in the middle of the incident.
    first.child.kill('SIGTERM');
    await first.exited;
    await start();
    await waitFor('the resolve', () => received.some((n) => n.status === 'resolved'), 60_000).catch(
      fail,
    );
    // A little longer: nothing else may come.
    await new Promise((r) => setTimeout(r, 3000));

    const firing = received.filter((n) => n.status === 'firing');
    expect(firing, 'firing notifications').toHaveLength(1);
    const alert = firing[0]?.alerts[0];
    expect(firing[0]?.alerts).toHaveLength(1);
    expect(alert?.labels).toMatchObject({
      alertname: 'AiopsIncident',
      root_cause: 'auth',
      severity: 'critical',
      service: 'auth',
    });
    expect(alert?.annotations.summary).toMatch(
      /^auth is the root cause \(\d+%\); routing, storage affected|^auth is the root cause \(\d+%\); storage, routing affected/,
    );
    const resolved = received.filter((n) => n.status === 'resolved');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.groupKey).toBe(firing[0]?.groupKey);
    expect(resolved[0]?.alerts[0]?.labels.incident).toBe(alert?.labels.incident);
  }, 120_000);
});
