import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createMetrics } from '../../src/telemetry/metrics.js';
import {
  BUSY_SHARE,
  EventLoopMetrics,
  QUIET_CHECKS,
  nextProbeState,
} from '../../src/telemetry/event-loop-metrics.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Holds the event loop for `ms` (a stall). */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

function value(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} not in the exposition`);
  return Number(m[1]);
}

describe('nextProbeState', () => {
  it('starts the probe on a busy check and pauses it after the quiet checks in a row', () => {
    let s = nextProbeState(false, 0, BUSY_SHARE * 2);
    expect(s).toEqual({ running: true, quietChecks: 0 });
    for (let i = 1; i < QUIET_CHECKS; i++) {
      s = nextProbeState(s.running, s.quietChecks, 0);
      expect(s.running).toBe(true);
    }
    s = nextProbeState(s.running, s.quietChecks, 0);
    expect(s).toEqual({ running: false, quietChecks: 0 });
  });

  it('a busy check in between starts the quiet count again', () => {
    let s = nextProbeState(true, QUIET_CHECKS - 1, BUSY_SHARE * 10);
    expect(s).toEqual({ running: true, quietChecks: 0 });
    s = nextProbeState(s.running, s.quietChecks, BUSY_SHARE / 2);
    expect(s).toEqual({ running: true, quietChecks: 1 });
  });

  it('stays paused while the process is quiet', () => {
    expect(nextProbeState(false, 0, BUSY_SHARE)).toEqual({ running: false, quietChecks: 0 });
  });
});

describe('EventLoopMetrics', () => {
  const made: EventLoopMetrics[] = [];
  afterEach(() => {
    for (const m of made.splice(0)) m.stop();
  });

  it('sees a stall once busy, reads 0 while paused, and counts the active time', async () => {
    const registry = new Registry();
    const loop = new EventLoopMetrics(registry, 't_');
    made.push(loop);
    expect(loop.probing).toBe(false); // paused until a check finds work
    let text = await registry.metrics();
    expect(value(text, 't_nodejs_eventloop_lag_max_seconds')).toBe(0);
    expect(value(text, 't_nodejs_eventloop_delay_probe_active')).toBe(0);

    block(30); // busy: far above 1% of the time since construction
    loop.check();
    expect(loop.probing).toBe(true);
    await sleep(30); // the probe samples every 10 ms
    block(150); // a stall the probe sees
    await sleep(30);
    text = await registry.metrics();
    expect(value(text, 't_nodejs_eventloop_delay_probe_active')).toBe(1);
    expect(value(text, 't_nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.14);
    expect(value(text, 't_nodejs_eventloop_lag_min_seconds')).toBeGreaterThan(0);
    expect(value(text, 't_nodejs_eventloop_active_seconds_total')).toBeGreaterThanOrEqual(0.1);

    // Each scrape reads the delays since the previous one.
    await sleep(40);
    text = await registry.metrics();
    expect(value(text, 't_nodejs_eventloop_lag_max_seconds')).toBeLessThan(0.14);

    for (let i = 0; i < QUIET_CHECKS; i++) {
      loop.check(BUSY_SHARE / 2);
    }
    expect(loop.probing).toBe(false);
    text = await registry.metrics();
    expect(value(text, 't_nodejs_eventloop_delay_probe_active')).toBe(0);
    // Paused since before that scrape: nothing measured since.
    text = await registry.metrics();
    expect(value(text, 't_nodejs_eventloop_lag_p99_seconds')).toBe(0);
  });

  it('keeps what it measured until a scrape reads it, and never records a pause as a delay', async () => {
    const registry = new Registry();
    const loop = new EventLoopMetrics(registry, 't_');
    made.push(loop);
    loop.check(BUSY_SHARE * 2);
    await sleep(30);
    block(150);
    await sleep(30);
    for (let i = 0; i < QUIET_CHECKS; i++) loop.check(BUSY_SHARE / 2);
    expect(loop.probing).toBe(false);
    // Paused before any scrape: the stall is still there for the next one.
    let text = await registry.metrics();
    expect(value(text, 't_nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.14);
    // A pause of 300 ms, then the probe runs again: no 300 ms delay appears.
    await sleep(300);
    loop.check(BUSY_SHARE * 2);
    await sleep(60);
    text = await registry.metrics();
    expect(value(text, 't_nodejs_eventloop_lag_min_seconds')).toBeGreaterThan(0);
    expect(value(text, 't_nodejs_eventloop_lag_max_seconds')).toBeLessThan(0.14);
  });

  it("replaces prom-client's delay gauges in the worker's registry, once each", async () => {
    const metrics = createMetrics('test');
    made.push(metrics.eventLoop);
    const text = await metrics.registry.metrics();
    for (const stat of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99']) {
      const name = `aiops_nodejs_eventloop_lag_${stat}_seconds`;
      expect(text.match(new RegExp(`^# TYPE ${name} gauge$`, 'gm'))).toHaveLength(1);
      expect(text).toMatch(new RegExp(`^# HELP ${name} .*while the process has work`, 'm'));
    }
    // prom-client's own figures stay: the lag at scrape time, GC, heap, CPU.
    expect(text).toMatch(/^aiops_nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^aiops_process_cpu_seconds_total /m);
  });
});
