/**
 * End to end with a real Prometheus (Debian's `prometheus`, installed by .ci/run): it scrapes
 * a worker (OpenMetrics, as Prometheus asks for it first) and evaluates the shipped
 * config/prometheus/rules.yml. During a simulated auth outage, ALERTS shows the root-cause
 * alert firing, and nothing else (the per-series rules are opt-in). Also: `promtool check
 * rules` and `promtool check config` pass on the shipped files.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, queueAnomalies, storyAnomalies } from '../helpers/story.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { requireBinary } from '../helpers/binaries.js';
import { startDaemon } from '../helpers/daemon.js';

const ROOT = resolve(import.meta.dirname, '../..');
const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL);
const dir = mkdtempSync(join(tmpdir(), 'aiops-prom-'));
let worker: WorkerProcess | undefined;
let prometheus: ChildProcess | undefined;

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  redis.disconnect();
  await deletePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus scrapes the worker and evaluates the shipped rules', () => {
  beforeAll(() => {
    requireBinary('prometheus', 'prometheus');
    requireBinary('promtool', 'prometheus');
  });
  it('promtool accepts the shipped rules and config', () => {
    const rules = execFileSync(
      'promtool',
      ['check', 'rules', join(ROOT, 'config/prometheus/rules.yml')],
      { encoding: 'utf8' },
    );
    expect(rules).toMatch(/SUCCESS: \d+ rules found/);
    const config = execFileSync(
      'promtool',
      ['check', 'config', join(ROOT, 'config/prometheus/prometheus.yml')],
      { encoding: 'utf8' },
    );
    expect(config).toContain('SUCCESS');
  });

  it('during a simulated auth outage ALERTS{alertstate="firing"} holds the root-cause alert', async () => {
    worker = await startWorkerProcess({
      args: ['--role', 'correlate'],
      env: {
        REDIS_URL: TEST_REDIS_URL,
        AIOPS_REDIS__PREFIX: prefix,
        AIOPS_CORRELATE__SETTLE_MS: '2000',
        AIOPS_CORRELATE__TICK_MS: '1000',
        AIOPS_CORRELATE__LATENESS_MS: '500',
      },
    });
    const target = new URL(worker.url).host;
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${join(ROOT, 'config/prometheus/rules.yml')}']`,
        'scrape_configs:',
        '  - job_name: aiops-worker',
        `    static_configs: [{ targets: ['${target}'] }]`,
      ].join('\n'),
    );
    const daemon = await startDaemon(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      promPort,
    );
    prometheus = daemon.child;
    const { logs, url: prom } = daemon;
    await waitFor('the worker scraped', async () => {
      const r = (await (await fetch(`${prom}/api/v1/query?query=up`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      return r.data.result[0]?.value[1] === '1';
    });

    // The outage: auth fails, routing follows, storage loses traffic.
    const t = Date.now() - 1500;
    await queueAnomalies(redis, prefix, storyAnomalies(t));

    interface Alert {
      metric: Record<string, string>;
    }
    let firing: Alert[] = [];
    await waitFor(
      'the AiopsIncident alert firing in Prometheus',
      async () => {
        const q = encodeURIComponent('ALERTS{alertstate="firing",alertname="AiopsIncident"}');
        const r = (await (await fetch(`${prom}/api/v1/query?query=${q}`)).json()) as {
          data: { result: Alert[] };
        };
        firing = r.data.result;
        return firing.length > 0;
      },
      40_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nprometheus log:\n${logs.join('').slice(-3000)}`);
    });
    expect(firing).toHaveLength(1);
    expect(firing[0]?.metric).toMatchObject({
      root_cause: 'auth',
      severity: 'critical',
      service: 'auth',
    });
    // The rendered description lists the affected services.
    const rules = (await (await fetch(`${prom}/api/v1/alerts`)).json()) as {
      data: { alerts: { labels: Record<string, string>; annotations: Record<string, string> }[] };
    };
    const page = rules.data.alerts.find((a) => a.labels.alertname === 'AiopsIncident');
    expect(page?.annotations.summary).toMatch(/root cause auth/);
    expect(page?.annotations.description).toMatch(/routing/);
    expect(page?.annotations.description).toMatch(/storage/);

    // One incident, one alert: the default rule set has no per-series rule (they are opt-in,
    // config/prometheus/rules-per-series.yml) and nothing else is firing or pending.
    const loaded = (await (await fetch(`${prom}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    const names = loaded.data.groups.flatMap((g) => g.rules.map((r) => r.name));
    expect(names).toContain('AiopsNotificationsFailing');
    expect(names).not.toContain('AiopsAnomalyHigh');
    expect(names).not.toContain('AiopsServiceAnomalous');
    const all = (await (
      await fetch(`${prom}/api/v1/query?query=${encodeURIComponent('ALERTS')}`)
    ).json()) as { data: { result: Alert[] } };
    expect(all.data.result.map((a) => a.metric.alertname)).toEqual(['AiopsIncident']);
  }, 90_000);
});
