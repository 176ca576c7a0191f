/**
 * Pull ingest against a real Prometheus (Debian's), which scrapes the fixture exporter every
 * second: the worker's query_range reader reads those series back from Prometheus (its range
 * split into many small calls by a tiny `max_points_per_query`), the worker also scrapes the
 * exporter directly, and its /metrics shows both sets of series scored.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const prefix = randomPrefix();
const dir = mkdtempSync(join(tmpdir(), 'aiops-pull-'));
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

describe('pull ingest from a real Prometheus and a /metrics target', () => {
  beforeAll(() => {
    requireBinary('prometheus', 'prometheus');
  });

  it('query_range reader and direct scrape both end in scored series', async () => {
    const fixture = await startFixtureExporter();
    exporter = fixture.server;
    const daemon = await startFixturePrometheus(dir, fixture);
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
                { name: 'fixture', query: '{job="fixture"}', step_ms: 1000, interval_ms: 1000 },
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
      args: ['--role', 'ingest,detect', '--config', configFile],
      env: { REDIS_URL: TEST_REDIS_URL, AIOPS_REDIS__PREFIX: prefix },
    });
    let metrics = '';
    await waitFor(
      'the fixture series pulled from Prometheus and scraped directly, scored',
      async () => {
        metrics = await (await fetch(`${worker?.url ?? ''}/metrics`)).text();
        return (
          showsScore(metrics, 'fixture', 'fixture_temperature') &&
          showsScore(metrics, 'fixture', 'fixture_requests_total') &&
          showsScore(metrics, 'fixture-direct', 'fixture_temperature') &&
          showsScore(metrics, 'fixture-direct', 'fixture_requests_total')
        );
      },
      60_000,
    );
    expect(metrics).toMatch(/aiops_pull_up\{source="prometheus\/local\/fixture"\} 1/);
    expect(metrics).toMatch(/aiops_pull_up\{source="scrape\/direct"\} 1/);
    expect(metrics).not.toMatch(/aiops_pull_failures_total\{/);
    // The 31-instant catch-up range went out as calls of at most 5 points each.
    const prom = await (await fetch(`${daemon.url}/metrics`)).text();
    const calls = sumOf(
      prom,
      'prometheus_http_requests_total{code="200",handler="/api/v1/query_range"}',
    );
    expect(calls).toBeGreaterThanOrEqual(7);
    expect(sumOf(prom, 'prometheus_http_requests_total{code="4')).toBe(0);
  });
});
