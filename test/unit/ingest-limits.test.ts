import type { Queue } from 'bullmq';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { startRejectionLog } from '../../src/ingest/rejection-log.js';
import { RejectionCounter } from '../../src/telemetry/rejection-counter.js';
import { resolveTokens } from '../../src/ingest/bearer-auth.js';
import { medianLag, QueueBacklog } from '../../src/ingest/queue-backlog.js';
import type { MetricSample } from '../../src/ingest/records.js';
import { SeriesLimiter, type SeriesLimits } from '../../src/ingest/series-limiter.js';

const sample = (name: string, service = 'auth'): MetricSample => ({
  kind: 'metric',
  series: {
    key: `${name}{service="${service}"}`,
    metric: name,
    service,
    labels: { service },
    counter: false,
  },
  ts: 1,
  value: 1,
});
const limits: SeriesLimits = {
  maxActive: 1000,
  maxActivePerService: 1000,
  maxNewPerMinute: 1000,
  idleMs: 60_000,
};

describe('SeriesLimiter', () => {
  it('passes every sample of active series untouched, with no allocation of a new array', () => {
    const l = new SeriesLimiter(limits, () => 0);
    const batch = [sample('a'), sample('b'), sample('a')];
    expect(l.admit(batch).samples).toBe(batch);
    expect(l.admit(batch).samples).toBe(batch);
    expect(l.active).toBe(2);
  });

  it('refuses new series past max_active_series and names the limit', () => {
    const l = new SeriesLimiter({ ...limits, maxActive: 2 }, () => 0);
    const out = l.admit([sample('a'), sample('b'), sample('c'), sample('c'), sample('a')]);
    expect(out.samples.map((s) => s.series.metric)).toEqual(['a', 'b', 'a']);
    expect(out.rejections).toEqual([
      {
        reason: 'series_limit',
        samples: 2,
        message: expect.stringMatching(/max_active_series\)/) as unknown,
        // The first refused sample, so a route can name its line.
        index: 2,
      },
    ]);
  });

  it('admits new series at max_new_series_per_minute: a burst waits for the bucket to refill', () => {
    let now = 0;
    const l = new SeriesLimiter(
      { ...limits, maxNewPerMinute: 60, idleMs: 24 * 3_600_000 },
      () => now,
    );
    const batch = Array.from({ length: 100 }, (_, i) => sample(`m${i}`));
    const first = l.admit(batch);
    expect(first.samples).toHaveLength(60);
    expect(first.rejections[0]?.reason).toBe('new_series_rate');
    expect(first.rejections[0]?.samples).toBe(40);
    now = 10_000; // 10 s: 10 more tokens
    expect(l.admit(batch).samples).toHaveLength(70);
    now = 3_600_000; // the bucket holds one minute at most: 60 tokens, 30 needed
    expect(l.admit(batch).samples).toHaveLength(100);
    const more = Array.from({ length: 100 }, (_, i) => sample(`n${i}`));
    expect(l.admit(more).samples).toHaveLength(30);
  });

  it('forgets idle series, so their room goes to new ones', () => {
    let now = 0;
    const l = new SeriesLimiter({ ...limits, maxActivePerService: 2, idleMs: 60_000 }, () => now);
    l.admit([sample('a'), sample('b')]);
    expect(l.admit([sample('c')]).samples).toHaveLength(0);
    now = 30_000;
    l.admit([sample('a')]); // a stays active
    now = 70_000; // b idle for 70 s
    expect(l.admit([sample('c')]).samples).toHaveLength(0); // forgotten only by a sweep
    l.sweep();
    const out = l.admit([sample('c')]);
    expect(out.samples).toHaveLength(1);
    expect(l.activeOf('auth')).toBe(2);
  });
});

describe('SeriesLimiter, after a restart and with long keys', () => {
  it('does not apply the new-series rate during the warm-up (every series is new after a restart)', () => {
    let now = 0;
    const l = new SeriesLimiter({ ...limits, maxNewPerMinute: 10, warmupMs: 60_000 }, () => now);
    const batch = Array.from({ length: 500 }, (_, i) => sample(`m${i}`));
    expect(l.admit(batch).samples).toHaveLength(500);
    now = 60_000;
    const more = Array.from({ length: 50 }, (_, i) => sample(`n${i}`));
    expect(l.admit(more).samples).toHaveLength(10);
  });

  it('remembers long series keys by a hash, still telling series apart', () => {
    const l = new SeriesLimiter({ ...limits, maxActive: 3 }, () => 0);
    const long = (i: number) => sample(`${'x'.repeat(5000)}_${i}`);
    expect(l.admit([long(1), long(2), long(1)]).samples).toHaveLength(3);
    expect(l.active).toBe(2);
    expect(l.admit([long(1), long(3), long(4)]).samples).toHaveLength(2);
  });
});

describe('resolveTokens', () => {
  it('checks each presented token against every configured one (secrets arrive resolved by the config loader)', () => {
    const auth = resolveTokens([
      { name: 'a', token: 'token-from-config-1' },
      { name: 'b', token: 'token-from-config-2', sources: ['loki'] },
    ]);
    expect(auth?.check('Bearer token-from-config-1', 'otlp')).toBe('a');
    expect(auth?.check('Bearer token-from-config-2', 'loki')).toBe('b');
    expect(() => auth?.check('Bearer token-from-config-2', 'otlp')).toThrow(/may not send to otlp/);
    expect(resolveTokens([])).toBeUndefined();
    expect(() => resolveTokens([{ name: 'c', token: 'short' }])).toThrow(
      /"c": the token is shorter than 16 characters/,
    );
  });
});

describe('QueueBacklog', () => {
  const queues = (waiting: { n: number; fail?: boolean }): Queue[] => [
    {
      getJobCounts: () =>
        waiting.fail
          ? Promise.reject(new Error('down'))
          : Promise.resolve({ wait: waiting.n, delayed: 0 }),
    } as unknown as Queue,
    { getJobCounts: () => Promise.resolve({ wait: 0, prioritized: 0 }) } as unknown as Queue,
  ];

  it('goes over at the high-water mark and back only under 80% of it; a failed poll keeps the state', async () => {
    const w = { n: 0, fail: false };
    const b = new QueueBacklog({
      queues: queues(w),
      highWater: 100,
      pollMs: 1000,
      log: pino({ level: 'silent' }),
    });
    await b.poll();
    expect(b.overloaded).toBe(false);
    w.n = 100;
    await b.poll();
    expect(b.overloaded).toBe(true);
    expect(b.retryAfterSeconds).toBe(5);
    w.n = 85;
    await b.poll();
    expect(b.overloaded).toBe(true);
    w.fail = true;
    await b.poll();
    expect(b.overloaded).toBe(true);
    w.fail = false;
    w.n = 79;
    await b.poll();
    expect(b.overloaded).toBe(false);
  });

  it('goes over when the oldest waiting job is older than the lag mark, however few jobs wait', async () => {
    const w = { n: 3, oldest: (Date.now() - 1000) as number | undefined };
    const lagging = {
      getJobCounts: () => Promise.resolve({ wait: w.n }),
      getRanges: () => Promise.resolve(w.oldest === undefined ? [] : ['7']),
      getBackend: () => ({
        client: Promise.resolve({ hget: () => Promise.resolve(String(w.oldest)) }),
        toKey: (id: string) => `q:${id}`,
      }),
    } as unknown as Queue;
    const b = new QueueBacklog({
      queues: [lagging],
      highWater: 1000,
      highWaterLagMs: 30_000,
      pollMs: 1000,
      log: pino({ level: 'silent' }),
    });
    await b.poll();
    expect(b.overloaded).toBe(false);
    expect(b.lagMs).toBeGreaterThanOrEqual(1000);
    w.oldest = Date.now() - 31_000;
    await b.poll();
    expect(b.overloaded).toBe(true);
    expect(b.reason).toMatch(
      /scoring is 31(\.\d)? s behind .*past ingest.queue_high_water_lag_ms \(30 s\)/,
    );
    // Retry-After grows with the lag as with the job count: 5 s at the mark.
    expect(b.retryAfterSeconds).toBe(5);
    // Hysteresis: back only under 80% of the mark (24 s).
    w.oldest = Date.now() - 25_000;
    await b.poll();
    expect(b.overloaded).toBe(true);
    w.oldest = undefined;
    await b.poll();
    expect(b.lagMs).toBe(0);
    expect(b.overloaded).toBe(false);
  });

  it('takes the median partition: one stuck partition does not push back, most behind does', () => {
    const now = 1_000_000;
    const stuck = [now - 90_000, ...Array.from({ length: 15 }, () => undefined)];
    expect(medianLag(stuck, now)).toBe(0);
    const most = Array.from({ length: 16 }, (_, i) => (i < 9 ? now - 40_000 : now - 1000));
    expect(medianLag(most, now)).toBe(40_000);
    // A timestamp that is not a number counts as no lag, not as NaN for all.
    expect(medianLag([now - 5000, Number.NaN, now - 7000], now)).toBe(5000);
  });

  it('after an idle spell (or between sparse senders), a request waits for a fresh read', async () => {
    const w = { n: 150, fail: false };
    let reads = 0;
    const counted = {
      getJobCounts: () => {
        reads++;
        return w.fail ? Promise.reject(new Error('down')) : Promise.resolve({ wait: w.n });
      },
    } as unknown as Queue;
    const b = new QueueBacklog({
      queues: [counted],
      highWater: 100,
      pollMs: 10,
      log: pino({ level: 'silent' }),
    });
    const quiet = (): Promise<void> => new Promise((r) => setTimeout(r, 120));
    b.start();
    await b.poll();
    expect(b.overloaded).toBe(true);
    // The detectors drained the queues while nobody asked: the next request is not refused.
    w.n = 0;
    await quiet();
    await b.refreshIfStale();
    expect(b.overloaded).toBe(false);
    // The other way: a backlog built up while nobody asked is seen by the next request.
    w.n = 150;
    await quiet();
    await b.refreshIfStale();
    expect(b.overloaded).toBe(true);
    // A read that fails keeps the last state, however old.
    w.fail = true;
    w.n = 0;
    await quiet();
    await b.refreshIfStale();
    expect(b.overloaded).toBe(true);
    // Recent reads: no wait, no extra read.
    w.fail = false;
    await b.poll();
    const before = reads;
    await b.refreshIfStale();
    expect(reads).toBe(before);
    await b.stop();
  });

  it('reads the queues only on demand, at most once per pollMs: an idle worker asks Redis nothing', async () => {
    vi.useFakeTimers();
    try {
      let reads = 0;
      const counted = {
        getJobCounts: () => {
          reads++;
          return Promise.resolve({ wait: 150 });
        },
      } as unknown as Queue;
      const b = new QueueBacklog({
        queues: [counted],
        highWater: 100,
        pollMs: 1000,
        log: pino({ level: 'silent' }),
      });
      b.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(reads).toBe(1);
      // A minute with no request and no scrape: no read.
      await vi.advanceTimersByTimeAsync(60_000);
      expect(reads).toBe(1);
      // A burst of requests: one read, in the background; they see the last state.
      for (let i = 0; i < 50; i++) expect(b.overloaded).toBe(true);
      await vi.advanceTimersByTimeAsync(0);
      expect(reads).toBe(2);
      await vi.advanceTimersByTimeAsync(500);
      expect(b.overloaded).toBe(true);
      expect(reads).toBe(2);
      await vi.advanceTimersByTimeAsync(600);
      expect(b.overloaded).toBe(true);
      await vi.advanceTimersByTimeAsync(0);
      expect(reads).toBe(3);
      await b.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('startRejectionLog', () => {
  it('logs one summary line per interval however many samples were refused, and none when none were', () => {
    vi.useFakeTimers();
    try {
      const lines: {
        level: number;
        msg: string;
        by_reason: Record<string, number>;
        examples: Record<string, string>;
      }[] = [];
      const log = pino(
        { level: 'info' },
        { write: (l: string) => lines.push(JSON.parse(l) as never) },
      );
      const counter = new RejectionCounter(new Registry());
      const rl = startRejectionLog(counter, log, 60_000);
      for (let i = 0; i < 10_000; i++) counter.inc({ reason: 'too_many_labels' }, 1, `series ${i}`);
      counter.inc({ reason: 'series_limit' }, 500, 'over the limit');
      expect(lines).toHaveLength(0);
      vi.advanceTimersByTime(60_000);
      expect(lines).toHaveLength(1);
      expect(lines[0]?.msg).toBe('ingest rejected 10500 records in the last interval');
      expect(lines[0]?.by_reason).toEqual({ too_many_labels: 10_000, series_limit: 500 });
      expect(lines[0]?.examples).toEqual({
        too_many_labels: 'series 0',
        series_limit: 'over the limit',
      });
      expect(lines[0]?.level).toBe(40); // warn
      vi.advanceTimersByTime(120_000);
      expect(lines).toHaveLength(1);
      // Only NaN values (routine in Prometheus data): counted, logged at info.
      counter.inc({ reason: 'nan_value' }, 170, 'go_gc_duration_seconds{quantile="0"}: NaN');
      vi.advanceTimersByTime(60_000);
      expect(lines).toHaveLength(2);
      expect(lines[1]?.level).toBe(30); // info
      // NaN beside a real problem: a warning again.
      counter.inc({ reason: 'nan_value' }, 3);
      counter.inc({ reason: 'backlog' });
      rl.stop(); // flushes what is pending
      expect(lines).toHaveLength(3);
      expect(lines[2]?.level).toBe(40);
    } finally {
      vi.useRealTimers();
    }
  });

  it('says once, at info, that meta-series are dropped, and leaves them out of every summary', () => {
    vi.useFakeTimers();
    try {
      const lines: {
        level: number;
        msg: string;
        by_reason?: Record<string, number>;
        example?: string;
      }[] = [];
      const log = pino(
        { level: 'info' },
        { write: (l: string) => lines.push(JSON.parse(l) as never) },
      );
      const counter = new RejectionCounter(new Registry());
      const rl = startRejectionLog(counter, log, 60_000);
      const example =
        "ALERTS is not scored: Prometheus' alert state (ingest.drop_meta_series, ingest.keep_meta_series)";
      counter.inc({ reason: 'meta_series' }, 84, example);
      vi.advanceTimersByTime(60_000);
      expect(lines).toHaveLength(1);
      expect(lines[0]?.level).toBe(30); // info, never a warning
      expect(lines[0]?.msg).toMatch(/^ingest drops the monitoring stack's own series/);
      expect(lines[0]?.example).toBe(example);
      // Every later minute: counted, not logged.
      for (let i = 0; i < 40; i++) {
        counter.inc({ reason: 'meta_series' }, 84, example);
        vi.advanceTimersByTime(60_000);
      }
      expect(lines).toHaveLength(1);
      // Beside a real problem, the summary counts the problem only.
      counter.inc({ reason: 'meta_series' }, 84, example);
      counter.inc({ reason: 'missing_service' }, 2, 'job:up:sum has none of the service labels');
      rl.stop();
      expect(lines).toHaveLength(2);
      expect(lines[1]?.level).toBe(40);
      expect(lines[1]?.by_reason).toEqual({ missing_service: 2 });
    } finally {
      vi.useRealTimers();
    }
  });
});
