import Fastify from 'fastify';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { registerHealthRoutes } from '../../src/api/health-routes.js';
import { readinessChecks } from '../../src/service/shutdown.js';
import {
  newRunOf,
  RedisRunWatch,
  refusesInfo,
  type RunProbe,
} from '../../src/redis/redis-run-watch.js';
import { logLines } from '../helpers/log-lines.js';

const A = 'aaaaaaaa11111111';
const B = 'bbbbbbbb22222222';

describe('newRunOf', () => {
  const cases: [string, string | undefined, RunProbe, ReturnType<typeof newRunOf>][] = [
    ['same run, sentinel there', A, { sentinel: true, runId: A }, undefined],
    ['no INFO, sentinel there', undefined, { sentinel: true, runId: undefined }, undefined],
    ['first run id seen', undefined, { sentinel: true, runId: A }, undefined],
    [
      'restarted empty',
      A,
      { sentinel: false, runId: B },
      { lostData: true, reason: 'Redis restarted empty (run_id aaaaaaaa → bbbbbbbb)' },
    ],
    [
      'FLUSHALL: same run, sentinel gone',
      A,
      { sentinel: false, runId: A },
      { lostData: true, reason: 'Redis lost its data (run_id aaaaaaaa)' },
    ],
    [
      'sentinel gone, no INFO',
      undefined,
      { sentinel: false, runId: undefined },
      { lostData: true, reason: 'Redis lost its data (run_id ?)' },
    ],
    [
      'restarted with its data (AOF)',
      A,
      { sentinel: true, runId: B },
      { lostData: false, reason: 'Redis restarted (run_id aaaaaaaa → bbbbbbbb)' },
    ],
  ];
  it.each(cases)('%s', (_name, last, probe, want) => {
    expect(newRunOf(last, probe)).toEqual(want);
  });
});

/** A Redis of one key and a run id, answering the watch's one command (the swap script). */
class FakeRedis {
  runId = A;
  keys = new Map<string, string>();
  down = false;
  calls = 0;
  eval(
    _script: string,
    _n: number,
    key: string,
    _ttl: number,
    value: number,
  ): Promise<[string, string]> {
    this.calls++;
    if (this.down) return Promise.reject(new Error('Connection is closed.'));
    const held = this.keys.get(key) ?? '';
    this.keys.set(key, String(value));
    return Promise.resolve([held, this.runId]);
  }
}

function setup(o: { reassertMs?: number; failReassert?: () => boolean } = {}) {
  const redis = new FakeRedis();
  const { log, lines } = logLines();
  const seen: (string | undefined)[] = [];
  const lost: boolean[] = [];
  let reasserts = 0;
  const watch: RedisRunWatch = new RedisRunWatch({
    redis: redis as unknown as Redis,
    sentinelKey: 'p:run:w1',
    reassert: ({ lostData }) => {
      seen.push(watch.pending());
      lost.push(lostData);
      if (o.failReassert?.()) return Promise.reject(new Error('READONLY'));
      reasserts++;
      return Promise.resolve();
    },
    log,
    checkMs: 60_000,
    ...(o.reassertMs === undefined ? {} : { reassertMs: o.reassertMs }),
  });
  return { redis, lines, watch, seen, lost, reasserts: () => reasserts };
}

const msgs = (lines: { level: number; msg: string }[]) => lines.map((l) => [l.level, l.msg]);

describe('RedisRunWatch', () => {
  it('does nothing while the run and the sentinel stay', async () => {
    const { watch, reasserts, lines } = setup();
    await watch.start();
    await watch.check();
    await watch.check();
    expect(reasserts()).toBe(0);
    expect(watch.pending()).toBeUndefined();
    expect(lines).toEqual([]);
    await watch.stop();
  });

  it('re-asserts once on a FLUSHALL: not ready meanwhile, one warn line, one info line', async () => {
    const { redis, watch, reasserts, lines, seen, lost } = setup();
    await watch.start();
    redis.keys.clear();
    await watch.check();
    expect(reasserts()).toBe(1);
    // The stages hear that data was lost (remediation fails closed on it).
    expect(lost).toEqual([true]);
    expect(seen).toEqual([
      'Redis lost its data (run_id aaaaaaaa): re-asserting queues and schedulers',
    ]);
    expect(watch.pending()).toBeUndefined();
    // The sentinel is back: the next checks are quiet.
    await watch.check();
    expect(reasserts()).toBe(1);
    expect(msgs(lines)).toEqual([
      [40, 'Redis lost its data (run_id aaaaaaaa): re-asserting queues and schedulers'],
      [30, 'queues and schedulers re-asserted after the Redis restart'],
    ]);
    await watch.stop();
  });

  it('re-asserts after a restart empty, and stays pending while Redis refuses', async () => {
    let fail = true;
    const { redis, watch, reasserts, lines } = setup({ failReassert: () => fail });
    await watch.start();
    redis.down = true;
    await watch.check(); // Redis away: nothing known, nothing logged.
    expect(watch.pending()).toBeUndefined();
    redis.down = false;
    redis.runId = B;
    redis.keys.clear();
    await watch.check();
    await watch.check();
    const reason =
      'Redis restarted empty (run_id aaaaaaaa → bbbbbbbb): re-asserting queues and schedulers';
    expect(watch.pending()).toBe(reason);
    fail = false;
    await watch.check();
    expect(reasserts()).toBe(1);
    expect(watch.pending()).toBeUndefined();
    expect(msgs(lines)).toEqual([
      [40, reason],
      [40, 're-asserting queues and schedulers failed; retrying'],
      [30, 'queues and schedulers re-asserted after the Redis restart'],
    ]);
    await watch.stop();
  });

  it('re-asserts at info after a restart that kept the data', async () => {
    const { redis, watch, reasserts, lines } = setup();
    await watch.start();
    redis.runId = B;
    await watch.check();
    expect(reasserts()).toBe(1);
    expect(msgs(lines)[0]).toEqual([
      30,
      'Redis restarted (run_id aaaaaaaa → bbbbbbbb): re-asserting queues and schedulers',
    ]);
    await watch.check();
    expect(reasserts()).toBe(1);
    await watch.stop();
  });

  it('claims no loss when Redis was away at start: re-asserts once, with lostData false', async () => {
    const { redis, watch, reasserts, lost, lines } = setup();
    redis.down = true;
    await watch.start(); // the sentinel could not be written
    redis.down = false;
    await watch.check();
    expect(reasserts()).toBe(1);
    expect(lost).toEqual([false]);
    expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([
      'Redis run not noted at start; checking again shortly',
    ]);
    // Noted now: a FLUSHALL afterwards is a loss.
    redis.keys.clear();
    await watch.check();
    expect(lost).toEqual([false, true]);
    await watch.stop();
  });

  it('keeps a loss seen while a re-assertion of a mere restart is unfinished', async () => {
    let fail = true;
    const { redis, watch, lost } = setup({ failReassert: () => fail });
    await watch.start();
    redis.runId = B; // restarted, data kept
    await watch.check();
    redis.keys.clear(); // then lost
    await watch.check();
    fail = false;
    await watch.check();
    expect(lost).toEqual([false, true, true]);
    await watch.stop();
  });

  it('gives up INFO only when Redis refuses it, not on a passing state', () => {
    const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
    // As Redis 7.0 answers a script whose INFO was renamed, or refused by the user's ACL.
    expect(
      refusesInfo(
        reply('ERR Unknown Redis command called from script script: 1a2b, on @user_script:3.'),
      ),
    ).toBe(true);
    expect(
      refusesInfo(
        reply(
          "ERR The user executing the script can't run this command or subcommand script: 1a2b, on @user_script:3.",
        ),
      ),
    ).toBe(true);
    expect(refusesInfo(reply("ERR unknown command 'INFO'"))).toBe(true);
    expect(refusesInfo(reply('NOPERM this user has no permissions to run the info command'))).toBe(
      true,
    );
    expect(refusesInfo(reply('ERR This Redis command is not allowed from script'))).toBe(true);
    expect(refusesInfo(reply('LOADING Redis is loading the dataset in memory'))).toBe(false);
    expect(refusesInfo(reply("READONLY You can't write against a read only replica."))).toBe(false);
    expect(refusesInfo(reply('BUSY Redis is busy running a script.'))).toBe(false);
    expect(refusesInfo(new Error('Connection is closed.'))).toBe(false);
  });

  it('tells a Redis that went back in time (a replica that lagged, a restored snapshot) as lost data', async () => {
    const { redis, watch, lost, lines } = setup();
    await watch.start();
    await watch.check();
    const snapshot = new Map(redis.keys);
    await watch.check();
    await watch.check();
    // Failover to a replica that has the sentinel as it was two checks ago.
    redis.keys = snapshot;
    redis.runId = B;
    await watch.check();
    expect(lost).toEqual([true]);
    expect(msgs(lines)[0]).toEqual([
      40,
      'Redis went back to older data (a replica that lagged, or a restored snapshot; run_id aaaaaaaa → bbbbbbbb): re-asserting queues and schedulers',
    ]);
    // Its own value again from then on: quiet.
    await watch.check();
    await watch.check();
    expect(lost).toEqual([true]);
    await watch.stop();
  });

  it('takes a swap whose answer was lost as landed, not as going back in time', async () => {
    const { redis, watch, lost } = setup();
    await watch.start();
    await watch.check();
    // The next swap lands, but its answer never arrives.
    const evalOnce = redis.eval.bind(redis);
    redis.eval = (...args: Parameters<FakeRedis['eval']>) =>
      evalOnce(...args).then(() => Promise.reject(new Error('Connection is closed.')));
    await watch.check();
    redis.eval = evalOnce;
    await watch.check();
    await watch.check();
    expect(lost).toEqual([]);
    await watch.stop();
  });

  it('re-asserts every reassertMs regardless, quietly', async () => {
    const { watch, reasserts, lines } = setup({ reassertMs: 30 });
    await watch.start();
    await watch.check();
    expect(reasserts()).toBe(0);
    await new Promise((r) => setTimeout(r, 40));
    await watch.check();
    await watch.check();
    expect(reasserts()).toBe(1);
    expect(lines).toEqual([]);
    await watch.stop();
  });
});

describe('/readyz while a re-assertion is pending', () => {
  it('is 503 with the reason under the redis check, 200 once done', async () => {
    const app = Fastify();
    let pending: string | undefined =
      'Redis restarted empty (run_id a → b): re-asserting queues and schedulers';
    const producer = { ping: () => Promise.resolve('PONG') } as unknown as Redis;
    registerHealthRoutes(app, readinessChecks(producer, [], {}, { pending: () => pending }));
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 'not ready',
      checks: { redis: 'failing' },
      reasons: [pending],
    });
    pending = undefined;
    const again = await app.inject({ method: 'GET', url: '/readyz' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ status: 'ready', checks: { redis: 'ok' } });
    await app.close();
  });
});
