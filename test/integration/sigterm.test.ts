/**
 * SIGTERM during load loses no accepted sample: every sample answered 202 is scored, by the
 * stopping process or by the next one. The stopping process exits 0.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL);
const started: WorkerProcess[] = [];

afterAll(async () => {
  for (const w of started) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  redis.disconnect();
  await deletePrefix(prefix);
});

interface LoadResult {
  accepted: number;
  /** Samples of requests that died without an answer: queued or not, we cannot know. */
  unknown: number;
}

async function load(url: string, client: number, stop: { now: boolean }): Promise<LoadResult> {
  const result: LoadResult = { accepted: 0, unknown: 0 };
  let t = Date.UTC(2026, 10, 25);
  for (let round = 0; !stop.now && round < 10_000; round++) {
    const lines: string[] = [];
    for (let k = 0; k < 20; k++) {
      t += 1000;
      for (let s = 0; s < 10; s++) {
        lines.push(
          JSON.stringify({
            ts: t,
            metric: 'load_gauge',
            labels: { service: `svc${client}`, shard: `s${s}` },
            value: 50 + (k % 5),
          }),
        );
      }
    }
    let res: Response;
    try {
      res = await fetch(`${url}/api/v1/samples`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: lines.join('\n'),
      });
      await res.arrayBuffer();
    } catch {
      if (round > 0) result.unknown += lines.length;
      break; // connection refused or reset: the server is gone
    }
    if (res.status !== 202) break; // 503 while closing: not accepted
    result.accepted += lines.length;
  }
  return result;
}

describe('graceful shutdown', () => {
  it('SIGTERM under load loses no accepted sample and exits 0', async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, AIOPS_REDIS__PREFIX: prefix };
    const first = await startWorkerProcess({ env });
    started.push(first);
    const stop = { now: false };
    const loaders = [0, 1, 2, 3].map((c) => load(first.url, c, stop));
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGTERM');
    const code = await first.exited;
    stop.now = true;
    const results = await Promise.all(loaders);
    expect(code).toBe(0);
    expect(first.logs.some((l) => l.includes('"drained":true'))).toBe(true);

    const accepted = results.reduce((n, r) => n + r.accepted, 0);
    const unknown = results.reduce((n, r) => n + r.unknown, 0);
    expect(accepted).toBeGreaterThan(1000);

    // A new process picks up whatever the first left queued.
    const second = await startWorkerProcess({ env });
    started.push(second);
    const taken = async (): Promise<number> =>
      Number((await redis.hget(`${prefix}:detect:stats`, 'taken')) ?? 0);
    await waitFor('every accepted sample scored', async () => (await taken()) >= accepted, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const final = await taken();
    expect(final).toBeGreaterThanOrEqual(accepted);
    expect(final).toBeLessThanOrEqual(accepted + unknown);
    expect(Number((await redis.hget(`${prefix}:detect:stats`, 'not_newer')) ?? 0)).toBe(0);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('exits 0 on SIGTERM with tracing on and no collector listening (the exporter does not hold it)', async () => {
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      AIOPS_REDIS__PREFIX: `${prefix}-trace`,
      AIOPS_TRACING__OTLP_ENDPOINT: 'http://127.0.0.1:9/v1/traces',
    };
    const w = await startWorkerProcess({ env });
    started.push(w);
    const res = await fetch(`${w.url}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ ts: Date.now(), metric: 'm', labels: { service: 'a' }, value: 1 }]),
    });
    expect(res.status).toBe(202);
    const t0 = Date.now();
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8000);
    await deletePrefix(`${prefix}-trace`);
  });
});
