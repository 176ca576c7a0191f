/**
 * The set-up a team runs on its first day, on loopback: a worker (every role, as `npm start`),
 * Debian's Prometheus scraping itself and the worker, evaluating the shipped rules, sending
 * alerts to Debian's Alertmanager with the shipped config, and remote-writing everything to the
 * worker with the docs' exact snippet (docs/ingest/remote-write.md); plus the demo's services'
 * normal traffic and logs, backfilled for a day and then streamed live, and optionally the
 * login outage. Alertmanager's receivers are pointed at a webhook here that records every
 * notification. `bench/soak.ts` runs it for half an hour; `test/e2e/soak.test.ts` for minutes.
 */
import { type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { cascade, type CascadeRecord } from '../../src/demo/cascade.js';
import { cascadeLogs, type CascadeLogRecord } from '../../src/demo/cascade-logs.js';
import { DEMO_SERVICES, LOG_LEAD_MS } from '../../src/demo/demo-story.js';
import type { IncidentJson } from '../../src/queues/contract.js';
import { startDaemon, type Daemon } from './daemon.js';
import { freePort } from './story.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MIN = 60_000;

export interface AmNotification {
  readonly at: number;
  readonly status: 'firing' | 'resolved';
  readonly groupKey: string;
  readonly alerts: {
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  }[];
}

/** The docs' remote_write snippet (the first YAML block that has one), pointed at `url`. */
export function docsRemoteWrite(url: string): unknown[] {
  const doc = readFileSync(join(ROOT, 'docs/ingest/remote-write.md'), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const block = blocks.find((b) => /^remote_write:/m.test(b));
  if (!block) throw new Error('docs/ingest/remote-write.md has no remote_write snippet');
  const parsed = parse(block) as { remote_write: { url: string }[] };
  return parsed.remote_write.map((rw) => ({ ...rw, url }));
}

/** The shipped Alertmanager config with every receiver sending to `hook` (route and inhibitions kept). */
export function shippedAlertmanager(hook: string): unknown {
  const cfg = parse(readFileSync(join(ROOT, 'config/alertmanager/alertmanager.yml'), 'utf8')) as {
    receivers?: { name: string; webhook_configs?: unknown[] }[];
  };
  // Only the receivers that send somewhere are pointed here; one without integrations (a
  // mute-only receiver) stays silent, as shipped.
  return {
    ...cfg,
    receivers: (cfg.receivers ?? []).map((r) =>
      r.webhook_configs === undefined
        ? r
        : { name: r.name, webhook_configs: [{ url: hook, send_resolved: true }] },
    ),
  };
}

export interface Traffic {
  readonly records: (CascadeRecord | CascadeLogRecord)[];
  /** When auth fails (ms), if the outage is played. */
  readonly outageAt?: number;
}

/**
 * The demo's services' traffic and logs from `start` to `end` (one sample a minute per signal),
 * normal throughout, or with auth failing at `outageAt` (its logs leading by LOG_LEAD_MS).
 */
export function demoTraffic(start: number, end: number, outageAt?: number): Traffic {
  const story = {
    services: DEMO_SERVICES,
    faults: outageAt === undefined ? [] : [{ root: 'auth', at: outageAt, durationMs: 60 * MIN }],
    start,
    end,
    stepMs: MIN,
    seed: 42,
  };
  const records = [...cascade(story), ...cascadeLogs({ ...story, leadMs: LOG_LEAD_MS })].sort(
    (a, b) => a.ts - b.ts,
  );
  return outageAt === undefined ? { records } : { records, outageAt };
}

export interface Stack {
  readonly worker: WorkerProcess;
  readonly prometheus: Daemon;
  readonly alertmanager: Daemon;
  readonly notifications: AmNotification[];
  /** Posts records to the worker's JSON endpoint (NDJSON, in chunks). */
  post(records: readonly object[]): Promise<void>;
  /** Posts every record of `traffic` with ts ≤ now, as time passes, until `untilMs` (wall). */
  stream(traffic: Traffic, fromIndex: number, untilMs: number): Promise<number>;
  counts(sinceMs: number): Promise<SoakCounts>;
  close(): Promise<void>;
}

export interface SoakCounts {
  /** Incidents opened since. */
  readonly incidents: IncidentJson[];
  /** Alertmanager notifications (firing) since. */
  readonly pages: AmNotification[];
  /** Samples Prometheus failed to remote-write for good (4xx), all time. */
  readonly remoteWriteFailed: number;
  /** Prometheus log lines about non-recoverable remote_write errors, all time. */
  readonly remoteWriteErrorLines: number;
  /** Worker log lines at warn or above since. */
  readonly warnings: string[];
}

async function promQuery(url: string, query: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as {
    data?: { result?: { value?: [number, string] }[] };
  };
  return (body.data?.result ?? []).reduce((s, r) => s + Number(r.value?.[1] ?? 0), 0);
}

export async function startStack(o: {
  readonly dir: string;
  readonly redisUrl: string;
  readonly prefix: string;
  /** Prometheus' scrape and evaluation interval (s). */
  readonly scrapeS: number;
  /** Worker config on top of the demo's services and the Alertmanager. */
  readonly workerConfig?: Record<string, unknown>;
}): Promise<Stack> {
  const notifications: AmNotification[] = [];
  const hook: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      try {
        const n = JSON.parse(body) as Omit<AmNotification, 'at'>;
        notifications.push({ ...n, at: Date.now() });
      } catch {
        // not a notification
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((done) => hook.listen(0, '127.0.0.1', done));
  const hookAddr = hook.address();
  const hookUrl = `http://127.0.0.1:${typeof hookAddr === 'object' && hookAddr ? hookAddr.port : 0}/`;

  const amPort = await freePort();
  writeFileSync(join(o.dir, 'alertmanager.yml'), stringify(shippedAlertmanager(hookUrl)));
  const alertmanager = await startDaemon(
    'prometheus-alertmanager',
    [
      `--config.file=${join(o.dir, 'alertmanager.yml')}`,
      `--storage.path=${join(o.dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ],
    amPort,
  );

  const workerPort = await freePort();
  const workerUrl = `http://127.0.0.1:${workerPort}`;
  const config = {
    services: DEMO_SERVICES,
    redis: { prefix: o.prefix },
    notify: { alertmanagers: [alertmanager.url], external_url: workerUrl },
    ...o.workerConfig,
  };
  writeFileSync(join(o.dir, 'worker.yaml'), stringify(config));
  const worker = await startWorkerProcess({
    args: ['--port', String(workerPort), '--config', join(o.dir, 'worker.yaml')],
    env: { REDIS_URL: o.redisUrl },
    timeoutMs: 60_000,
  });

  const promPort = await freePort();
  const promHost = `127.0.0.1:${promPort}`;
  writeFileSync(
    join(o.dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: `${o.scrapeS}s`, evaluation_interval: `${o.scrapeS}s` },
      rule_files: [join(ROOT, 'config/prometheus/rules.yml')],
      alerting: {
        alertmanagers: [{ static_configs: [{ targets: [new URL(alertmanager.url).host] }] }],
      },
      scrape_configs: [
        { job_name: 'prometheus', static_configs: [{ targets: [promHost] }] },
        { job_name: 'aiops-worker', static_configs: [{ targets: [new URL(workerUrl).host] }] },
      ],
      remote_write: docsRemoteWrite(`${workerUrl}/api/v1/write`),
    }),
  );
  const prometheus = await startDaemon(
    'prometheus',
    [
      `--config.file=${join(o.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(o.dir, 'tsdb')}`,
      `--web.listen-address=${promHost}`,
    ],
    promPort,
  );

  const post = async (records: readonly object[]): Promise<void> => {
    for (let i = 0; i < records.length; i += 5000) {
      const res = await fetch(`${workerUrl}/api/v1/samples`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: records
          .slice(i, i + 5000)
          .map((r) => JSON.stringify(r))
          .join('\n'),
      });
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    }
  };

  const logStart = new Map<number, number>();
  return {
    worker,
    prometheus,
    alertmanager,
    notifications,
    post,
    async stream(traffic, fromIndex, untilMs) {
      let i = fromIndex;
      while (Date.now() < untilMs) {
        const now = Date.now();
        let j = i;
        while (j < traffic.records.length && (traffic.records[j]?.ts ?? Infinity) <= now) j++;
        if (j > i) await post(traffic.records.slice(i, j));
        i = j;
        await new Promise((r) => setTimeout(r, Math.min(2000, Math.max(0, untilMs - Date.now()))));
      }
      return i;
    },
    async counts(sinceMs) {
      const res = await fetch(`${workerUrl}/api/v1/incidents?limit=1000`);
      const { incidents } = (await res.json()) as { incidents: IncidentJson[] };
      const failed = await promQuery(
        prometheus.url,
        'sum(prometheus_remote_storage_samples_failed_total) or vector(0)',
      );
      if (!logStart.has(sinceMs)) logStart.set(sinceMs, 0);
      return {
        incidents: incidents.filter((i) => Date.parse(i.opened_at ?? '') >= sinceMs),
        pages: notifications.filter((n) => n.status === 'firing' && n.at >= sinceMs),
        remoteWriteFailed: failed,
        remoteWriteErrorLines: prometheus.logs
          .join('')
          .split('\n')
          .filter((l) => /non-recoverable|HTTP status 4\d\d/i.test(l)).length,
        warnings: worker.logs.filter((l) => {
          try {
            const rec = JSON.parse(l) as { level?: number; time?: number };
            return (rec.level ?? 0) >= 40 && (rec.time ?? 0) >= sinceMs;
          } catch {
            return false;
          }
        }),
      };
    },
    async close() {
      const stop = (c: ChildProcess) =>
        new Promise<void>((done) => {
          if (c.exitCode !== null) {
            done();
            return;
          }
          c.once('exit', () => {
            done();
          });
          c.kill('SIGTERM');
        });
      await Promise.all([stop(prometheus.child), stop(alertmanager.child), stop(worker.child)]);
      hook.close();
    },
  };
}
