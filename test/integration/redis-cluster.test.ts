/**
 * A 3-master Redis Cluster, started here on loopback, and two worker processes on it
 * (`redis.cluster: true`): samples sent over HTTP are each scored once, in order per series,
 * the partitions' keys spread over more than one master, a spike opens an incident (the
 * anomalies, correlate and incident keys work across slots too), and log lines are mined into
 * templates by the log partitions. Neither process logs a warning or an error.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectorRegistry } from '../../detectors/registry.js';
import { IncidentStore } from '../../src/correlate/incident-store.js';
import { decodeSeriesState } from '../../src/detect/series-state.js';
import { StateStore } from '../../src/detect/state-store.js';
import { KeyLayout } from '../../src/queues/key-layout.js';
import { partitionOf } from '../../src/queues/partition.js';
import { seriesKey } from '../../src/queues/series-key.js';
import { randomPrefix, waitFor } from '../helpers/redis.js';
import { TestRedisCluster } from '../helpers/redis-cluster.js';
import { normalSeries, toNdjson, type MetricLine } from '../helpers/series.js';
import {
  runWorkerCommand,
  startWorkerProcess,
  type WorkerProcess,
} from '../helpers/worker-process.js';

const PARTITIONS = 8;
const SERIES = 40;
const POINTS = 300;
const prefix = randomPrefix();
const layout = new KeyLayout({ prefix, cluster: true, partitions: PARTITIONS });
let cluster: TestRedisCluster;
let redis: Cluster;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  cluster = await TestRedisCluster.start();
  redis = cluster.client();
  const env = {
    REDIS_URL: cluster.url,
    AIOPS_REDIS__CLUSTER: 'true',
    AIOPS_REDIS__PREFIX: prefix,
    AIOPS_QUEUES__PARTITIONS: String(PARTITIONS),
    AIOPS_DETECT__DETECTORS__DEFAULT: 'ewma',
    // Write-behind on the cluster too, checkpointed soon enough for the test to read.
    AIOPS_DETECT__CHECKPOINT_MS: '1000',
    // A short settle time, tick and lateness, so the incident opens within seconds.
    AIOPS_CORRELATE__SETTLE_MS: '3000',
    AIOPS_CORRELATE__TICK_MS: '1000',
    AIOPS_CORRELATE__LATENESS_MS: '1000',
    // Its services are new: no learning day before they may open an incident.
    AIOPS_CORRELATE__LEARNING_MS: '0',
  };
  // Both up before any sample arrives, so either may take any partition's next batch.
  workers.push(
    ...(await Promise.all([
      startWorkerProcess({ env }),
      startWorkerProcess({ args: ['--role', 'detect'], env }),
    ])),
  );
}, 90_000);

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  redis.disconnect();
  await cluster.stop();
}, 60_000);

const statsOf = async (): Promise<Record<string, number>> => {
  const totals: Record<string, number> = {};
  for (const p of layout.allOf('samples')) {
    for (const [k, v] of Object.entries(await redis.hgetall(`${p}:detect:stats`)))
      totals[k] = (totals[k] ?? 0) + Number(v);
  }
  return totals;
};

describe('on a 3-master Redis Cluster', () => {
  it('scores every sample once and in order per series, over several masters, and opens an incident', async () => {
    // Ending now: the live correlator works in event time near the wall clock.
    const t0 = Math.floor(Date.now() / 1000) * 1000 - (POINTS + 5) * 1000;
    const series: MetricLine[][] = Array.from({ length: SERIES }, (_, i) =>
      normalSeries({
        metric: 'request_rate',
        labels: { service: `svc-${i % 5}`, instance: `i-${i}` },
        n: POINTS,
        t0,
        stepMs: 1000,
        level: 500,
        sd: 10,
        seed: 100 + i,
      }),
    );
    const spiky = normalSeries({
      metric: 'login_failures',
      labels: { service: 'auth' },
      n: POINTS,
      t0,
      stepMs: 1000,
      level: 30,
      sd: 3,
      seed: 7,
    });
    for (let k = 0; k < 5; k++)
      spiky.push({
        ts: t0 + (POINTS + k) * 1000,
        metric: 'login_failures',
        labels: { service: 'auth' },
        value: 900,
      });
    const all = [...series, spiky];
    const total = all.reduce((n, s) => n + s.length, 0);

    // Interleaved in time, in chunks of 30 s over every series: each request spans partitions.
    const ingest = workers[0]?.url ?? '';
    for (let from = 0; from < POINTS + 5; from += 30) {
      const chunk = all.flatMap((s) => s.slice(from, from + 30));
      const res = await fetch(`${ingest}/api/v1/samples`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: toNdjson(chunk),
      });
      expect(res.status).toBe(202);
    }
    await waitFor('all samples scored', async () => (await statsOf()).taken === total, 60_000);
    const stats = await statsOf();
    expect(stats.not_newer ?? 0).toBe(0);
    expect(stats.invalid ?? 0).toBe(0);

    // Each series' state has seen its last sample: with not_newer at 0, every batch ran once
    // and in order (an out-of-order or repeated batch would have had samples ignored).
    const detector = detectorRegistry.ewma?.create({});
    if (!detector) throw new Error('no ewma detector');
    const store = new StateStore(redis as never, layout, () => detector);
    const lasts = all.flatMap((s) => {
      const first = s[0];
      const last = s.at(-1);
      return first && last ? [{ key: seriesKey(first.metric, first.labels), ts: last.ts }] : [];
    });
    const lastStored = async (key: string): Promise<number | undefined> => {
      const bytes = await redis.getBuffer(store.stateKey(partitionOf(key, PARTITIONS), key));
      const state = bytes ? decodeSeriesState(detector, bytes) : undefined;
      return state && detector.lastTimestamp(state.det);
    };
    // Checkpointed within a second or two of the last batch.
    await waitFor(
      'every state checkpointed',
      async () => {
        for (const { key, ts } of lasts) if ((await lastStored(key)) !== ts) return false;
        return true;
      },
      10_000,
    );
    for (const { key, ts } of lasts) expect(await lastStored(key), key).toBe(ts);

    // The partitions' keys are spread: more than one master holds sample partitions.
    const nodes = cluster.nodes();
    try {
      const holding = await Promise.all(
        nodes.map(async (n) => {
          const [, keys] = await n.scan('0', 'MATCH', `${prefix}:{samples.*`, 'COUNT', 100_000);
          return keys.length;
        }),
      );
      expect(holding.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    } finally {
      for (const n of nodes) n.disconnect();
    }

    await waitFor(
      'an incident on auth',
      async () => {
        const res = await fetch(`${ingest}/api/v1/incidents`);
        const body = (await res.json()) as { incidents: { root_cause?: { service?: string } }[] };
        return body.incidents.some((i) => JSON.stringify(i).includes('"auth"'));
      },
      60_000,
    );
    expect(workers.every((w) => w.child.exitCode === null)).toBe(true);
    // Log lines of three services (configured ones: /metrics names no other), through the log
    // partitions' state and templates.
    const services = ['auth', 'routing', 'storage'];
    const logs = Array.from({ length: 90 }, (_, i) => ({
      ts: t0 + i * 1000,
      service: services[i % 3],
      level: 'info',
      message: `user ${1000 + i} logged in from 10.0.0.${i % 250}`,
    }));
    const res = await fetch(`${ingest}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: logs.map((l) => JSON.stringify(l)).join('\n'),
    });
    expect(res.status).toBe(202);
    await waitFor(
      'templates of the three services',
      async () => {
        const text = await (await fetch(`${ingest}/metrics`)).text();
        return services.every((name) =>
          new RegExp(`^aiops_log_templates_active\\{service="${name}"\\} [1-9]`, 'm').test(text),
        );
      },
      30_000,
    );

    // Nothing refused or retried on the way (a cross-slot script, transaction or pipeline is
    // an error reply, logged at warn or error wherever it happens). The start's config notes
    // (about the shipped config) and the incident's own line are warnings of another kind.
    const loud = workers.flatMap((w) =>
      w.logs.filter(
        (l) =>
          (/"level":(40|50|60)/.test(l) && !/"msg":"(config: |incident )/.test(l)) ||
          /CROSSSLOT|MOVED|same slot/.test(l),
      ),
    );
    expect(loud).toEqual([]);
  }, 180_000);

  it('ends the incident state watch on the node that holds it (a keyless UNWATCH would not)', async () => {
    const store = new IncidentStore(redis as never, layout.main);
    const peer = cluster.client();
    try {
      for (let round = 0; round < 12; round++) {
        await store.load(() => undefined);
        await store.unwatch();
        // Another process writes the state between this one's load-and-give-up and its next
        // load: the next save must not fail for a watch that should have ended.
        await peer.set(`${layout.main}:correlate:state`, JSON.stringify({ incidents: [] }));
        const state = await store.load(() => undefined);
        await store.save(state, []);
      }
    } finally {
      peer.disconnect();
    }
  });

  it('refuses to start without redis.cluster, saying why', async () => {
    const run = await runWorkerCommand({
      args: ['start', '--port', '0'],
      env: {
        REDIS_URL: cluster.url,
        AIOPS_REDIS__PREFIX: prefix,
        AIOPS_REDIS__CONNECT_TIMEOUT_MS: '2000',
      },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('it is a Redis Cluster node: set redis.cluster: true');
  }, 60_000);
});
