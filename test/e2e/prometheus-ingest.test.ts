/**
 * One real Prometheus (Debian's) and one worker, both ways at once: Prometheus scrapes a
 * fixture exporter every second and remote-writes to the worker (remote_write 1.0, snappy
 * protobuf, as it ships), while the worker's pull reader reads the same series back from that
 * Prometheus with query_range (relabelled `job="fixture-pulled"`, its range split into many
 * small calls by a tiny `max_points_per_query`) and also scrapes the exporter directly. The
 * worker's /metrics shows all three sets scored; Prometheus reports no failed or dropped
 * samples and no refused query.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';
import {
  showsScore,
  startFixtureExporter,
  startFixturePrometheus,
} from '../helpers/prometheus-fixture.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { freePort } from '../helpers/story.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const ROOT = join(import.meta.dirname, '../..');
const prefix = randomPrefix();
const dir = mkdtempSync(join(tmpdir(), 'aiops-prom-ingest-'));
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

/** Sum of the lines of a /metrics text that start with `start`. */
function sumOf(text: string, start: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(start))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

describe('a real Prometheus remote-writes to the worker, and the worker pulls from it', () => {
  beforeAll(() => {
    requireBinary('prometheus', 'prometheus');
  });

  it('remote_write, the query_range reader and direct scraping all end in scored series', async () => {
    const fixture = await startFixtureExporter();
    exporter = fixture.server;
    // The worker's port is chosen first: Prometheus writes to it, and the worker reads from
    // Prometheus (Prometheus retries its writes until the worker listens).
    const workerPort = await freePort();
    const daemon = await startFixturePrometheus(dir, fixture, [
      'remote_write:',
      `  - url: http://127.0.0.1:${workerPort}/api/v1/write`,
      '    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s }',
    ]);
    prometheus = daemon.child;
    const configFile = join(dir, 'worker.yaml');
    writeFileSync(
      configFile,
      stringify({
        ingest: { service_labels: ['service', 'job'] },
        pull: {
          prometheus: [
            {
              name: 'local',
              url: daemon.url,
              latency_offset_ms: 2000,
              catch_up_ms: 30_000,
              max_points_per_query: 5,
              timeout_ms: 5000,
              queries: [
                {
                  name: 'fixture',
                  // Relabelled, so the pulled series are told apart from the remote-written ones.
                  query: 'label_replace({job="fixture"}, "job", "fixture-pulled", "", "")',
                  step_ms: 1000,
                  interval_ms: 1000,
                },
              ],
            },
          ],
          scrape: [
            { name: 'direct', url: fixture.url, interval_ms: 1000, service: 'fixture-direct' },
          ],
        },
      }),
    );
    worker = await startWorkerProcess({
      args: ['--role', 'ingest,detect', '--config', configFile, '--port', String(workerPort)],
      env: { REDIS_URL: TEST_REDIS_URL, AIOPS_REDIS__PREFIX: prefix },
    });
    expect(worker.url).toBe(`http://127.0.0.1:${workerPort}`);
    let metrics = '';
    await waitFor(
      'the fixture series remote-written, pulled from Prometheus and scraped directly, scored',
      async () => {
        metrics = await (await fetch(`${worker?.url ?? ''}/metrics`)).text();
        return ['fixture', 'fixture-pulled', 'fixture-direct'].every(
          (service) =>
            showsScore(metrics, service, 'fixture_temperature') &&
            showsScore(metrics, service, 'fixture_requests_total'),
        );
      },
      60_000,
    );
    expect(metrics).toMatch(/aiops_pull_up\{source="prometheus\/local\/fixture"\} 1/);
    expect(metrics).toMatch(/aiops_pull_up\{source="scrape\/direct"\} 1/);
    expect(metrics).not.toMatch(/aiops_pull_failures_total\{/);
    // Prometheus writes (and the query reads back) `up` and `scrape_*` of the fixture job:
    // meta-series, counted and not scored. Nothing else is refused.
    const reasons = [...metrics.matchAll(/^aiops_ingest_rejected_total\{reason="(\w+)"\}/gm)];
    expect(reasons.map((m) => m[1])).toEqual(['meta_series']);
    expect(showsScore(metrics, 'fixture', 'up')).toBe(false);

    const prom = await (await fetch(`${daemon.url}/metrics`)).text();
    // remote_write: every sample Prometheus sent was taken.
    expect(sumOf(prom, 'prometheus_remote_storage_samples_total')).toBeGreaterThan(0);
    expect(sumOf(prom, 'prometheus_remote_storage_samples_failed_total')).toBe(0);
    expect(sumOf(prom, 'prometheus_remote_storage_samples_dropped_total')).toBe(0);
    // Pull: the 31-instant catch-up range went out as calls of at most 5 points each.
    const calls = sumOf(
      prom,
      'prometheus_http_requests_total{code="200",handler="/api/v1/query_range"}',
    );
    expect(calls).toBeGreaterThanOrEqual(7);
    expect(sumOf(prom, 'prometheus_http_requests_total{code="4')).toBe(0);
  });

  it('promtool accepts the prometheus.yml snippet of docs/ingest/remote-write.md', () => {
    requireBinary('promtool', 'prometheus');
    const page = readFileSync(join(ROOT, 'docs/ingest/remote-write.md'), 'utf8');
    const snippet = /```yaml\n([\s\S]*?)```/.exec(page)?.[1] ?? '';
    expect(snippet).toContain('write_relabel_configs');
    const file = join(dir, 'snippet.yml');
    writeFileSync(file, `global: { scrape_interval: 15s }\n${snippet}`);
    const out = execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });
});
