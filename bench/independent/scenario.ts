/**
 * One scenario of the independent suite, drawn from a seed: a topology, a step (15 s or 1 min),
 * two weeks from a Monday, the first day for learning; then faults (a step or a slow ramp of
 * errors, latency, saturation, or a crash, at one service, spreading to its callers with each
 * edge's own delay), and confounders that are not faults: one-sample blips on every kind of
 * signal, restarts, daily and weekly batch jobs, deploys that move a level, scrape gaps, clock
 * skew between services, and an unrelated service failing during a cascade (a fault of its own).
 */
import { random, type Random } from './random.js';
import { dependentsOf, randomTopology, type Topology } from './topology.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
/** Monday 2026-03-02 00:00 UTC. */
export const SUITE_T0 = Date.UTC(2026, 2, 2);

export type FaultKind = 'errors' | 'latency' | 'saturation' | 'crash';

export interface Fault {
  readonly root: string;
  readonly kind: FaultKind;
  readonly at: number;
  readonly durationMs: number;
  /** 0: a step; else the effect grows linearly over this long. */
  readonly rampMs: number;
  /** Error share added at the root (errors, saturation, crash: 1). */
  readonly errors: number;
  /** Latency factor at the root. */
  readonly latency: number;
  /** The root and every service that calls it, directly or not, with the delay to each. */
  readonly reach: ReadonlyMap<string, number>;
  /** What the root calls: their traffic falls when it fails. */
  readonly callees: readonly string[];
  /** Drawn as "an unrelated service failing during a cascade" of the fault before it. */
  readonly concurrent: boolean;
}

export type Confounder =
  | {
      readonly type: 'blip';
      readonly service: string;
      readonly signal: BlipSignal;
      readonly at: number;
      readonly factor: number;
    }
  | {
      readonly type: 'restart';
      readonly service: string;
      readonly at: number;
      readonly downSteps: number;
    }
  | {
      readonly type: 'batch';
      readonly service: string;
      readonly every: 'day' | 'week';
      readonly firstAt: number;
      readonly durationMs: number;
      readonly factor: number;
    }
  | {
      readonly type: 'deploy';
      readonly service: string;
      readonly at: number;
      readonly what: 'latency' | 'memory' | 'cpu';
      readonly factor: number;
    }
  | {
      readonly type: 'gap';
      readonly service: string;
      readonly at: number;
      readonly durationMs: number;
    }
  | { readonly type: 'skew'; readonly service: string; readonly offsetMs: number };

export type BlipSignal = 'traffic' | 'errors' | 'latency' | 'cpu' | 'memory';

export interface Scenario {
  readonly seed: number;
  readonly name: string;
  readonly topology: Topology;
  readonly stepMs: number;
  readonly start: number;
  readonly end: number;
  /** Incidents before this are "during learning". */
  readonly learnedFrom: number;
  readonly faults: readonly Fault[];
  readonly confounders: readonly Confounder[];
}

function drawFault(r: Random, t: Topology, root: string, at: number, concurrent: boolean): Fault {
  const role = t.services.find((s) => s.name === root)?.role;
  const kind: FaultKind = r.pick(
    role === 'database' || role === 'cache'
      ? (['latency', 'saturation', 'crash', 'errors'] as const)
      : (['errors', 'errors', 'latency', 'saturation', 'crash'] as const),
  );
  const ramp = kind !== 'crash' && r.chance(0.3);
  return {
    root,
    kind,
    at,
    durationMs: Math.round(r.uniform(15, 60)) * MIN,
    rampMs: ramp ? Math.round(r.uniform(10, 30)) * MIN : 0,
    errors:
      kind === 'crash'
        ? 1
        : kind === 'errors'
          ? r.uniform(0.1, 0.6)
          : kind === 'saturation'
            ? r.uniform(0.02, 0.1)
            : 0,
    latency:
      kind === 'latency'
        ? r.uniform(3, 10)
        : kind === 'saturation'
          ? r.uniform(2, 5)
          : kind === 'errors'
            ? r.uniform(1, 1.5)
            : 1,
    reach: dependentsOf(t, root),
    callees: t.edges.filter((e) => e.from === root).map((e) => e.to),
    concurrent,
  };
}

export function drawScenario(seed: number): Scenario {
  const r = random(seed);
  const size = r.int(5, 30);
  const topology = randomTopology(r.fork('topology'), size);
  const stepMs = r.chance(1 / 3) ? 15_000 : MIN;
  const start = SUITE_T0;
  const end = start + 14 * DAY;
  const learnedFrom = start + DAY;
  const names = topology.services.map((s) => s.name);
  const fr = r.fork('faults');
  const faults: Fault[] = [];
  // One scenario in eight has no fault: confounders only.
  const nFaults = fr.chance(1 / 8) ? 0 : fr.int(1, 2);
  for (let i = 0; i < nFaults; i++) {
    // Days 2-14, away from the last hours so the incident can play out; onsets at any second.
    const at = learnedFrom + Math.round(fr.uniform(2 * HOUR, 12.8 * DAY) / 1000) * 1000;
    if (faults.some((f) => Math.abs(f.at - at) < 3 * HOUR)) continue;
    const f = drawFault(fr, topology, fr.pick(names), at, false);
    faults.push(f);
    // An unrelated service failing during the cascade: its reach shares nothing with this one.
    if (fr.chance(0.3)) {
      const free = names.filter((n) => {
        const reach = dependentsOf(topology, n);
        return [...reach.keys()].every((x) => !f.reach.has(x) && !f.callees.includes(x));
      });
      if (free.length > 0) {
        const at2 = at + Math.round(fr.uniform(0, 10 * MIN) / 1000) * 1000;
        faults.push(drawFault(fr, topology, fr.pick(free), at2, true));
      }
    }
  }
  faults.sort((a, b) => a.at - b.at);

  const cr = r.fork('confounders');
  const confounders: Confounder[] = [];
  const anyTime = (): number =>
    start + Math.round(cr.uniform(HOUR, 14 * DAY - HOUR) / stepMs) * stepMs;
  const signals: BlipSignal[] = ['traffic', 'errors', 'latency', 'cpu', 'memory'];
  for (let i = cr.int(3, 15); i > 0; i--) {
    confounders.push({
      type: 'blip',
      service: cr.pick(names),
      signal: cr.pick(signals),
      at: anyTime(),
      factor: cr.uniform(3, 10),
    });
  }
  for (let i = cr.int(1, 3); i > 0; i--) {
    confounders.push({
      type: 'restart',
      service: cr.pick(names),
      at: anyTime(),
      downSteps: cr.int(1, 4),
    });
  }
  // Batch jobs start in the learning day (a weekly one on the first Monday), so each run after
  // it has been seen before at that time of day or week.
  for (let i = cr.int(0, 2); i > 0; i--) {
    const every = cr.chance(0.6) ? 'day' : 'week';
    confounders.push({
      type: 'batch',
      service: cr.pick(names),
      every,
      firstAt: start + Math.round(cr.uniform(HOUR, 22 * HOUR) / MIN) * MIN,
      durationMs: Math.round(cr.uniform(10, 40)) * MIN,
      factor: cr.uniform(2, 5),
    });
  }
  for (let i = cr.int(1, 3); i > 0; i--) {
    confounders.push({
      type: 'deploy',
      service: cr.pick(names),
      at: anyTime(),
      what: cr.pick(['latency', 'memory', 'cpu'] as const),
      factor: cr.chance(0.5) ? cr.uniform(1.1, 1.3) : cr.uniform(0.75, 0.9),
    });
  }
  for (let i = cr.int(0, 3); i > 0; i--) {
    confounders.push({
      type: 'gap',
      service: cr.pick(names),
      at: anyTime(),
      durationMs: Math.round(cr.uniform(5, 30)) * MIN,
    });
  }
  if (cr.chance(0.5)) {
    for (let i = cr.int(1, 3); i > 0; i--) {
      const offset = Math.round(cr.uniform(5, 90)) * 1000 * (cr.chance(0.5) ? 1 : -1);
      confounders.push({ type: 'skew', service: cr.pick(names), offsetMs: offset });
    }
  }
  const name = `#${seed} ${names.length} services, ${stepMs / 1000} s, ${faults.length} fault${faults.length === 1 ? '' : 's'}`;
  return { seed, name, topology, stepMs, start, end, learnedFrom, faults, confounders };
}
