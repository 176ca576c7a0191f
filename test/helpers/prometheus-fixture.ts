/**
 * The end-to-end Prometheus setup: a fixture exporter (a counter and a gauge that move on
 * every scrape) and a real Prometheus (Debian's) scraping it every second on loopback, with a
 * temp data dir. Tests add what Prometheus should do besides (remote_write) as YAML lines.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { startDaemon, type Daemon } from './daemon.js';
import { freePort } from './story.js';

export interface FixtureExporter {
  readonly server: Server;
  /** `http://127.0.0.1:port/metrics` */
  readonly url: string;
  /** `127.0.0.1:port`, as a scrape target. */
  readonly target: string;
}

/** `fixture_requests_total{path="/login"}` (counter) and `fixture_temperature` (gauge). */
export async function startFixtureExporter(): Promise<FixtureExporter> {
  let requests = 0;
  const server = createServer((_req, res) => {
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
  const port = await freePort();
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${port}/metrics`, target: `127.0.0.1:${port}` };
}

/** Prometheus scraping the exporter (job `fixture`) every second, plus `extraConfig` lines. */
export async function startFixturePrometheus(
  dir: string,
  exporter: FixtureExporter,
  extraConfig: readonly string[] = [],
): Promise<Daemon> {
  const promPort = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: fixture',
      `    static_configs: [{ targets: ['${exporter.target}'] }]`,
      ...extraConfig,
    ].join('\n'),
  );
  return startDaemon(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--storage.remote.flush-deadline=1s',
    ],
    promPort,
  );
}

/** Whether a worker's /metrics text shows a score for the series of `service` and `metric`. */
export function showsScore(metricsText: string, service: string, metric: string): boolean {
  return metricsText
    .split('\n')
    .some((l) => l.startsWith(`aiops_anomaly_score{service="${service}",metric="${metric}"`));
}
