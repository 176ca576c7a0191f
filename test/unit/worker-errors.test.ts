/**
 * A stage's workers' `error` events (issue 21, item 6): an outage's connection errors are not
 * ERROR lines (RedisHealth logs the outage once), and other errors are at most one line per
 * stage per period, however many partition workers raise them, with the count left out.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isConnectionError, logWorkerErrors } from '../../src/queues/worker-errors.js';
import { logLines } from '../helpers/log-lines.js';

const capture = () => logLines('debug');

const connectionRefused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
  code: 'ECONNREFUSED',
});

describe('worker errors', () => {
  it('tells an outage from a fault', () => {
    expect(isConnectionError(connectionRefused)).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(
      isConnectionError(
        new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      ),
    ).toBe(true);
    expect(isConnectionError(new Error('LOADING Redis is loading the dataset in memory'))).toBe(
      true,
    );
    expect(isConnectionError(new Error('Missing lock for job 12. moveToFinished'))).toBe(false);
    expect(isConnectionError(new Error('NOSCRIPT No matching script'))).toBe(false);
  });

  it('logs connection errors at debug and other errors once per period for all the workers', () => {
    const { lines, log } = capture();
    const workers = Array.from({ length: 16 }, () => new EventEmitter());
    logWorkerErrors(workers, log, 'detect', (p) => ({ partition: p }), 60_000);
    for (const w of workers) w.emit('error', connectionRefused);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines).toHaveLength(16);
    expect(lines[3]).toMatchObject({ level: 20, partition: 3 });

    lines.length = 0;
    for (const w of workers) w.emit('error', new Error('ERR Error running script'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'detect worker error', partition: 0 });
  });

  it('logs a lost lock at warn: the job runs again', () => {
    const { lines, log } = capture();
    const w = new EventEmitter();
    logWorkerErrors([w], log, 'detect', () => ({ partition: 7 }));
    w.emit('error', new Error('could not renew lock for job 42'));
    expect(lines).toMatchObject([
      { level: 40, msg: "detect worker lost a job's lock; the job runs again", partition: 7 },
    ]);
  });

  it('logs a job whose record is gone (Redis restarted without it) at warn, not as an error', () => {
    const { lines, log } = capture();
    const w = new EventEmitter();
    logWorkerErrors([w], log, 'correlate');
    w.emit(
      'error',
      new Error('Missing key for job repeat:correlate-tick:1796657108648. moveToFinished'),
    );
    expect(lines).toMatchObject([
      {
        level: 40,
        msg: 'correlate worker finished a job whose record Redis no longer holds (lost in a restart, or replaced); nothing runs again',
      },
    ]);
  });

  it('logs the first error it held back, with the count of the others, when the period ends', async () => {
    const { lines, log } = capture();
    const workers = [new EventEmitter(), new EventEmitter()];
    logWorkerErrors(workers, log, 'logs', (p) => ({ partition: p }), 20);
    workers[0]?.emit('error', new Error('first'));
    workers[1]?.emit('error', new Error('OOM command not allowed'));
    workers[1]?.emit('error', new Error('third'));
    workers[0]?.emit('error', new Error('could not renew lock for job 7'));
    // No later error is needed for the held ones to be told.
    await new Promise((r) => setTimeout(r, 40));
    expect(lines.map((l) => [l.level, l.msg, (l.err as { message: string }).message])).toEqual([
      [50, 'logs worker error', 'first'],
      [40, "logs worker lost a job's lock; the job runs again", 'could not renew lock for job 7'],
      [50, 'logs worker error (and 1 more in the last 0.02 s)', 'OOM command not allowed'],
    ]);
    expect(lines[2]).toMatchObject({ partition: 1, more: 1 });
  });
});
