/**
 * The queue action against the real Redis (random prefix): a team's worker gets one
 * `remediation` job with the run's data and the idempotency key as job id; the same run twice
 * leaves one job; a key holding `:` still queues.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { IncidentJson } from '../../src/queues/contract.js';
import type { ActionRun } from '../../src/remediate/actions/action.js';
import { createAction } from '../../src/remediate/actions/create-action.js';
import { queueAction } from '../../src/remediate/actions/queue-action.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { incidentJsonOf } from '../helpers/incident-json.js';

const prefix = randomPrefix();
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
const closers: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  redis.disconnect();
  await deletePrefix(prefix);
});

const incident = (id: string): IncidentJson => incidentJsonOf({ id });

const runOf = (inc: IncidentJson, target = 'auth'): ActionRun => ({
  idempotencyKey: `${inc.id}.restart.0.${target}`,
  hook: 'restart',
  target,
  incident: inc,
  nowMs: Date.now(),
});

function teamQueue(name: string): Queue {
  const q = new Queue(name, { connection: redis, prefix });
  closers.push(() => q.close());
  return q;
}

describe('queue action', () => {
  it("queues one job a team's worker receives, with the run's data and key", async () => {
    const action = queueAction({ type: 'queue', queue: 'team-a' }, { connection: redis, prefix });
    closers.push(() => action.close());
    const workerConnection = redis.duplicate();
    closers.push(() => {
      workerConnection.disconnect();
      return Promise.resolve();
    });
    const got: Job[] = [];
    const worker = new Worker(
      'team-a',
      (job: Job) => {
        got.push(job);
        return Promise.resolve();
      },
      { connection: workerConnection, prefix },
    );
    closers.push(() => worker.close());
    const inc = incident('inc-q1');
    const run = runOf(inc);
    expect(await action.run(run)).toEqual({
      ok: true,
      detail: 'queued team-a/inc-q1.restart.0.auth',
    });
    await waitFor('the remediation job', () => got.length === 1, 10_000);
    const [job] = got;
    expect(job?.name).toBe('remediation');
    expect(job?.id).toBe(run.idempotencyKey);
    expect(job?.data).toEqual({
      hook: 'restart',
      target: 'auth',
      idempotency_key: run.idempotencyKey,
      incident: inc,
    });
    expect(job?.opts.removeOnComplete).toEqual({ age: 86_400 });
  });

  it('the same run twice leaves one job', async () => {
    const action = queueAction({ type: 'queue', queue: 'team-b' }, { connection: redis, prefix });
    closers.push(() => action.close());
    const run = runOf(incident('inc-q2'));
    expect((await action.run(run)).ok).toBe(true);
    expect((await action.run({ ...run, nowMs: run.nowMs + 1000 })).ok).toBe(true);
    const q = teamQueue('team-b');
    expect(await q.count()).toBe(1);
    expect((await q.getWaiting()).map((j) => j.id)).toEqual([run.idempotencyKey]);
  });

  it('a key holding ":" (a service name may) still queues, under an escaped id', async () => {
    const action = createAction(
      { type: 'queue', queue: 'team-c' },
      { externalUrl: 'http://x', env: {}, connection: redis, prefix },
    );
    closers.push(() => action.close());
    const run = runOf(incident('inc-q3'), 'ns:auth');
    const result = await action.run(run);
    expect(result).toEqual({ ok: true, detail: 'queued team-c/inc-q3.restart.0.ns%3Aauth' });
    const job = await teamQueue('team-c').getJob('inc-q3.restart.0.ns%3Aauth');
    expect(job?.data).toMatchObject({ target: 'ns:auth', idempotency_key: run.idempotencyKey });
  });
});
