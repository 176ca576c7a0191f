/**
 * The independent scenario suite's generator (bench/independent/, issue 16): what it promises
 * the correlation bench. Scenarios are deterministic per seed; dev and test seeds never meet;
 * the test seeds hold at least 60 scenarios and 60 faults with every confounder class; the
 * topologies are acyclic with shared stores; a fault reaches its callers after each edge's own
 * delay; counters restart at 0 only with their process; a crashed service sends nothing; and
 * every series is accepted by the live record parser under real exporters' names.
 */
import { describe, expect, it } from 'vitest';
import { signalKind } from '../../src/correlate/signal-kind.js';
import { limitsFromConfig, parseRecord } from '../../src/ingest/records.js';
import { parseConfig } from '../../src/config/load.js';
import { generate, SEEDS } from '../../bench/independent/generate.js';
import { drawScenario, MIN, type Scenario } from '../../bench/independent/scenario.js';
import { callOrder } from '../../bench/independent/topology.js';
import { weekendShare } from '../../bench/independent/world.js';

const testScenarios: Scenario[] = SEEDS.test.map(drawScenario);

/** A 1-minute scenario with a fault whose root has callers, for the propagation checks. */
const propagating = SEEDS.dev
  .map(drawScenario)
  .find(
    (s) =>
      s.stepMs === MIN &&
      s.topology.services.length <= 12 &&
      s.faults.some((f) => f.kind === 'errors' && f.rampMs === 0 && f.reach.size > 1),
  );

describe('the independent scenario suite', () => {
  it('is deterministic for a seed, and seeds differ', () => {
    const a = drawScenario(7);
    const b = drawScenario(7);
    expect(
      JSON.stringify({ ...a, faults: a.faults.map((f) => ({ ...f, reach: [...f.reach] })) }),
    ).toBe(JSON.stringify({ ...b, faults: b.faults.map((f) => ({ ...f, reach: [...f.reach] })) }));
    expect(drawScenario(8).topology).not.toEqual(a.topology);
  });

  it('keeps dev and test seeds apart, and the test seeds are enough: 60 scenarios, 60 faults, every class', () => {
    expect(SEEDS.dev.filter((s) => (SEEDS.test as readonly number[]).includes(s))).toEqual([]);
    expect(testScenarios.length).toBeGreaterThanOrEqual(60);
    expect(testScenarios.flatMap((s) => s.faults).length).toBeGreaterThanOrEqual(60);
    const confounders = new Set(testScenarios.flatMap((s) => s.confounders.map((c) => c.type)));
    expect([...confounders].sort()).toEqual(['batch', 'blip', 'deploy', 'gap', 'restart', 'skew']);
    const blipped = new Set(
      testScenarios.flatMap((s) =>
        s.confounders.flatMap((c) => (c.type === 'blip' ? [c.signal] : [])),
      ),
    );
    expect(blipped.size).toBe(5);
    const kinds = new Set(testScenarios.flatMap((s) => s.faults.map((f) => f.kind)));
    expect([...kinds].sort()).toEqual(['crash', 'errors', 'latency', 'saturation']);
    expect(testScenarios.some((s) => s.faults.some((f) => f.concurrent))).toBe(true);
    expect(testScenarios.some((s) => s.faults.length === 0)).toBe(true);
    expect(testScenarios.some((s) => s.faults.some((f) => f.rampMs > 0))).toBe(true);
    expect(new Set(testScenarios.map((s) => s.stepMs))).toEqual(new Set([15_000, MIN]));
  });

  it('draws acyclic topologies of 5-30 services with shared stores and delays of 0-5 min', () => {
    for (const s of testScenarios) {
      const t = s.topology;
      expect(t.services.length).toBeGreaterThanOrEqual(5);
      expect(t.services.length).toBeLessThanOrEqual(30);
      const order = callOrder(t);
      for (const e of t.edges) expect(order.indexOf(e.from)).toBeLessThan(order.indexOf(e.to));
      for (const e of t.edges) expect(e.delayMs).toBeGreaterThanOrEqual(0);
      for (const e of t.edges) expect(e.delayMs).toBeLessThanOrEqual(5 * MIN);
      const stores = t.services.filter((x) => x.role === 'database' || x.role === 'cache');
      expect(stores.length).toBeGreaterThan(0);
      for (const x of stores) expect(t.edges.some((e) => e.to === x.name)).toBe(true);
    }
    const fanIn = testScenarios.filter((s) =>
      s.topology.services.some((x) => s.topology.edges.filter((e) => e.to === x.name).length >= 3),
    );
    expect(fanIn.length).toBeGreaterThan(30);
    expect(
      testScenarios.filter((s) => s.topology.edges.some((e) => e.delayMs === 0)).length,
    ).toBeGreaterThan(30);
  });

  it('moves traffic smoothly into and out of the weekend', () => {
    const monday = Date.UTC(2026, 2, 2);
    let worst = 0;
    for (let t = monday; t < monday + 7 * 86_400_000; t += MIN) {
      worst = Math.max(worst, Math.abs(weekendShare(t + MIN) - weekendShare(t)));
    }
    expect(worst).toBeLessThan(0.01);
    expect(weekendShare(monday + 2 * 86_400_000)).toBe(0);
    expect(weekendShare(monday + 5.5 * 86_400_000)).toBe(1);
  });

  describe('one scenario generated', () => {
    if (!propagating) throw new Error('no dev scenario with a propagating errors fault');
    const g = generate(propagating.seed);
    const s = g.scenario;
    const fault = s.faults.find((f) => f.kind === 'errors' && f.rampMs === 0 && f.reach.size > 1);
    if (!fault) throw new Error('unreachable');

    it('reaches each caller after its own delay, not before', () => {
      const k0 = Math.round((fault.at - s.start) / s.stepMs);
      for (const [name, delay] of fault.reach) {
        const trace = g.world.traces.get(name);
        if (!trace) throw new Error(name);
        const k = k0 + Math.ceil(delay / s.stepMs);
        // Before the fault's trouble arrives: its normal error share; after: more than that.
        expect(trace.err[k0 - 2], name).toBeCloseTo(trace.baseErr, 10);
        if (delay >= 2 * s.stepMs) expect(trace.err[k - 2], name).toBeCloseTo(trace.baseErr, 10);
        expect(trace.err[k + 1] ?? 0, name).toBeGreaterThan(trace.baseErr);
      }
    });

    it('restarts counters at 0 only where the process started afresh, and sends nothing while down', () => {
      for (const x of g.series.filter((y) => y.type === 'counter')) {
        const service = x.labels.job ?? x.labels.service ?? '';
        const trace = g.world.traces.get(service);
        if (!trace) throw new Error(service);
        for (let i = 1; i < x.val.length; i++) {
          if ((x.val[i] as number) >= (x.val[i - 1] as number)) continue;
          const k = Math.round(((x.ts[i] as number) - s.start) / s.stepMs);
          const resetBetween = Array.from(trace.reset.slice(Math.max(0, k - 10), k + 2)).some(
            (r) => r === 1,
          );
          expect(resetBetween, `${x.metric} fell at ${i}`).toBe(true);
        }
      }
      const samples = g.series.reduce((n, x) => n + x.ts.length, 0);
      const down = [...g.world.traces.entries()].reduce(
        (n, [name, t]) =>
          n +
          t.down.reduce((a, d) => a + d, 0) *
            g.series.filter((x) => (x.labels.job ?? x.labels.service) === name).length,
        0,
      );
      expect(samples + down).toBe(g.series.length * g.world.steps);
    });

    it("writes names the live parser takes, with the exporters' kinds", () => {
      const config = parseConfig({
        ingest: { service_labels: ['service', 'job', 'service.name'] },
      });
      const limits = limitsFromConfig(config.ingest);
      for (const x of g.series) {
        const r = parseRecord(
          { ts: x.ts[0], metric: x.metric, labels: x.labels, value: x.val[0], type: x.type },
          limits,
        );
        expect(r.ok, x.metric).toBe(true);
      }
      const names = new Set(g.series.map((x) => x.metric));
      for (const n of names) {
        if (
          n === 'http_server_requests_seconds_count' ||
          n === 'http_request_duration_seconds_count'
        )
          expect(signalKind(n)).toBe('traffic');
        if (n === 'http_request_duration_seconds_sum' || n === 'http_server_request_duration_p99')
          expect(signalKind(n)).toBe('latency');
        if (n === 'process_cpu_seconds_total' || n === 'process_cpu_time_total')
          expect(signalKind(n)).toBe('saturation');
      }
    });
  });
});
