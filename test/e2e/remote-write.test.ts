/**
 * A real Prometheus (Debian's) scrapes a fixture exporter every second and remote-writes to the
 * worker (remote_write 1.0, snappy protobuf, as it ships). The worker's /metrics shows those
 * series scored, and Prometheus reports no failed or dropped samples.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';
import { startDaemon } from '../helpers/daemon.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { freePort } from '../helpers/story.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const prefix = randomPrefix();
const dir = mkdtempSync(join(tmpdir(), 'aiops-rw-'));
let worker: WorkerProcess | undefined;
let prometheus: ChildProcess | undefined;
let exporter: Server | undefined;

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  exporter?.close();
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await deletePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

/** A metric of Prometheus' own /metrics, summed over its series. */
async function promValue(prom: string, name: string): Promise<number> {
  const text = await (await fetch(`${prom}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

describe('Prometheus remote-writes to the worker', () => {
  beforeAll(() => {
    requireBinary('prometheus', 'prometheus');
  });

  it('series scraped by Prometheus arrive over remote_write and are scored', async () => {
    worker = await startWorkerProcess({
      args: ['--role', 'ingest,detect'],
      env: { REDIS_URL: TEST_REDIS_URL, AIOPS_REDIS__PREFIX: prefix },
    });
    let requests = 0;
    exporter = createServer((_req, res) => {
      requests += 7;
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(
        [
          '# TYPE fixture_requests_total counter',
          `fixture_requests_total{path="/login"} ${requests}`,
          '# TYPE fixture_temperature gauge',
          `fixture_temperature ${20 + (requests % 3)}`,
          '',
        ].join('\n'),
      );
    });
    const exporterPort = await freePort();
    await new Promise<void>((done) => exporter?.listen(exporterPort, '127.0.0.1', done));
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: fixture',
        `    static_configs: [{ targets: ['127.0.0.1:${exporterPort}'] }]`,
        'remote_write:',
        `  - url: ${worker.url}/api/v1/write`,
        '    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s }',
      ].join('\n'),
    );
    const daemon = await startDaemon(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--storage.remote.flush-deadline=1s',
      ],
      promPort,
    );
    prometheus = daemon.child;
    const prom = daemon.url;
    const scored = (text: string, metric: string): boolean =>
      text
        .split('\n')
        .some((l) => l.startsWith(`aiops_anomaly_score{service="fixture",metric="${metric}"`));
    let metrics = '';
    await waitFor(
      'the fixture series scored by the worker',
      async () => {
        metrics = await (await fetch(`${worker?.url ?? ''}/metrics`)).text();
        return scored(metrics, 'fixture_temperature') && scored(metrics, 'fixture_requests_total');
      },
      60_000,
    );
    // Prometheus' own series (up, scrape_*) come too: every sample it sends is taken.
    expect(metrics).toMatch(/aiops_samples_received_total\{kind="metric"\} [1-9]/);
    expect(await promValue(prom, 'prometheus_remote_storage_samples_total')).toBeGreaterThan(0);
    expect(await promValue(prom, 'prometheus_remote_storage_samples_failed_total')).toBe(0);
    expect(await promValue(prom, 'prometheus_remote_storage_samples_dropped_total')).toBe(0);
  });
});
