/**
 * A real Prometheus (Debian's) scrapes a fixture exporter every second and remote-writes to the
 * worker (remote_write 1.0, snappy protobuf, as it ships). The worker's /metrics shows those
 * series scored, and Prometheus reports no failed or dropped samples.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';
import {
  showsScore,
  startFixtureExporter,
  startFixturePrometheus,
} from '../helpers/prometheus-fixture.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
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
    const fixture = await startFixtureExporter();
    exporter = fixture.server;
    const daemon = await startFixturePrometheus(dir, fixture, [
      'remote_write:',
      `  - url: ${worker.url}/api/v1/write`,
      '    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s }',
    ]);
    prometheus = daemon.child;
    const prom = daemon.url;
    let metrics = '';
    await waitFor(
      'the fixture series scored by the worker',
      async () => {
        metrics = await (await fetch(`${worker?.url ?? ''}/metrics`)).text();
        return (
          showsScore(metrics, 'fixture', 'fixture_temperature') &&
          showsScore(metrics, 'fixture', 'fixture_requests_total')
        );
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
