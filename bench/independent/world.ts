/**
 * What each service of a scenario does, step by step, before any exporter names it: requests
 * per second, the share that fails, mean latency, CPU (cores) and memory (bytes), and whether
 * it can be scraped. Traffic enters at the edges (daily and weekly seasonality, each service its
 * own) and flows down the calls; trouble flows up: a caller fails on the share of its requests
 * that need a failing callee, after that edge's delay. Faults and confounders apply here.
 */
import type { Random } from './random.js';
import { DAY, HOUR, type Fault, type Scenario } from './scenario.js';
import { callOrder, calleesOf, callersOf } from './topology.js';

export interface ServiceTrace {
  readonly rps: Float64Array;
  readonly err: Float64Array;
  /** Mean latency, seconds. */
  readonly lat: Float64Array;
  readonly cpu: Float64Array;
  readonly mem: Float64Array;
  /** 1 where no scrape happened (crash, restart, scrape gap). */
  readonly down: Uint8Array;
  /** 1 where the process started afresh: its counters begin again at 0. */
  readonly reset: Uint8Array;
  /** Its normal latency and error share (what a team's static rule compares against). */
  readonly baseLat: number;
  readonly baseErr: number;
}

export interface World {
  readonly steps: number;
  readonly traces: ReadonlyMap<string, ServiceTrace>;
}

/** How far into a fault the step at time t is: 0 outside it, else its ramp (0 → 1). */
export function faultLevel(f: Fault, t: number): number {
  const since = t - f.at;
  if (since < 0 || since >= f.durationMs) return 0;
  return f.rampMs > 0 ? Math.min(1, (since + 1) / f.rampMs) : 1;
}

export function simulate(s: Scenario, r: Random): World {
  const steps = Math.floor((s.end - s.start) / s.stepMs) + 1;
  const t = s.topology;
  const at = (k: number): number => s.start + k * s.stepMs;
  const idx = (time: number): number => Math.round((time - s.start) / s.stepMs);
  const traces = new Map<string, ServiceTrace>();
  const base = new Map(
    t.services.map((x) => [
      x.name,
      {
        external: x.role === 'edge' || x.role === 'island' ? r.uniform(50, 2000) : 0,
        daily: r.uniform(0.2, 0.6),
        peakHour: r.uniform(10, 20),
        weekend: r.uniform(0.5, 1),
        err: r.uniform(0.0005, 0.01),
        lat: x.role === 'cache' ? r.uniform(0.0005, 0.003) : r.uniform(0.005, 0.3),
        cores: r.uniform(0.2, 4),
        mem: r.uniform(2e8, 8e9),
        leakPerDay: r.chance(0.3) ? r.uniform(0.01, 0.05) : 0,
      },
    ]),
  );
  for (const x of t.services) {
    traces.set(x.name, {
      rps: new Float64Array(steps),
      err: new Float64Array(steps),
      lat: new Float64Array(steps),
      cpu: new Float64Array(steps),
      mem: new Float64Array(steps),
      down: new Uint8Array(steps),
      reset: new Uint8Array(steps),
      baseLat: base.get(x.name)?.lat ?? 0.1,
      baseErr: base.get(x.name)?.err ?? 0.001,
    });
  }
  const tr = (name: string): ServiceTrace => traces.get(name) as ServiceTrace;

  // Own effects per service and step: error share added, latency factor, CPU factor, and how
  // much of its outgoing calls it stops making (it fails before calling on).
  const ownErr = new Map(t.services.map((x) => [x.name, new Float64Array(steps)]));
  const ownLat = new Map(t.services.map((x) => [x.name, new Float64Array(steps).fill(1)]));
  const ownCpu = new Map(t.services.map((x) => [x.name, new Float64Array(steps).fill(1)]));
  const ownMem = new Map(t.services.map((x) => [x.name, new Float64Array(steps).fill(1)]));
  const trafficFactor = new Map(t.services.map((x) => [x.name, new Float64Array(steps).fill(1)]));
  for (const f of s.faults) {
    const from = Math.max(0, idx(f.at));
    const to = Math.min(steps, idx(f.at + f.durationMs) + 1);
    for (let k = from; k < to; k++) {
      const level = faultLevel(f, at(k));
      if (level === 0) continue;
      add(ownErr, f.root, k, f.errors * level);
      mul(ownLat, f.root, k, 1 + (f.latency - 1) * level);
      if (f.kind === 'saturation') mul(ownCpu, f.root, k, 1 + 2 * level);
      if (f.kind === 'crash') tr(f.root).down[k] = 1;
    }
    if (f.kind === 'crash' && to < steps) tr(f.root).reset[to] = 1;
  }
  for (const c of s.confounders) {
    switch (c.type) {
      case 'restart': {
        const k0 = idx(c.at);
        for (let k = k0; k < Math.min(steps, k0 + c.downSteps); k++) tr(c.service).down[k] = 1;
        const up = k0 + c.downSteps;
        if (up < steps) tr(c.service).reset[up] = 1;
        // A process warming up: two busy steps.
        for (let k = up; k < Math.min(steps, up + 2); k++) mul(ownCpu, c.service, k, 2);
        break;
      }
      case 'gap': {
        for (let k = idx(c.at); k < Math.min(steps, idx(c.at + c.durationMs)); k++)
          tr(c.service).down[k] = 1;
        break;
      }
      case 'batch': {
        const period = c.every === 'day' ? DAY : 7 * DAY;
        for (let run = c.firstAt; run < s.end; run += period) {
          for (let k = idx(run); k < Math.min(steps, idx(run + c.durationMs)); k++) {
            mul(trafficFactor, c.service, k, c.factor);
            mul(ownLat, c.service, k, 1.3);
          }
        }
        break;
      }
      case 'deploy': {
        const series = c.what === 'latency' ? ownLat : c.what === 'cpu' ? ownCpu : ownMem;
        const a = series.get(c.service) as Float64Array;
        for (let k = Math.max(0, idx(c.at)); k < steps; k++) a[k] = (a[k] ?? 1) * c.factor;
        break;
      }
      default:
        break;
    }
  }

  // Traffic: callers first. A caller passes on what it does not fail early (a crashed or
  // erroring service calls less).
  const order = callOrder(t);
  const noise = new Map(t.services.map((x) => [x.name, 0]));
  for (let k = 0; k < steps; k++) {
    const time = at(k);
    const hourOfDay = (((time % DAY) + DAY) % DAY) / HOUR;
    for (const name of order) {
      const b = base.get(name);
      if (!b) continue;
      const n = 0.97 * (noise.get(name) ?? 0) + 0.03 * r.gauss();
      noise.set(name, n);
      let rps = 0;
      if (b.external > 0) {
        const season = 1 + b.daily * Math.cos((2 * Math.PI * (hourOfDay - b.peakHour)) / 24);
        const week = 1 - (1 - b.weekend) * weekendShare(time);
        rps = b.external * season * week * (1 + 0.5 * n);
      }
      for (const e of callersOf(t, name)) {
        const caller = tr(e.from);
        const passes =
          caller.down[k] === 1 && isCrashed(s, e.from, time)
            ? 0
            : 1 - 0.8 * Math.min(1, (ownErr.get(e.from) as Float64Array)[k] ?? 0);
        rps += (caller.rps[k] ?? 0) * e.callsPerRequest * passes;
      }
      tr(name).rps[k] = rps * ((trafficFactor.get(name) as Float64Array)[k] ?? 1);
    }
  }
  // Errors and latency: callees first, each edge's trouble arriving after its delay.
  const excessErr = (name: string, k: number): number => {
    if (k < 0) return 0;
    const x = tr(name);
    if (x.down[k] === 1 && isCrashed(s, name, at(k))) return 1;
    return Math.max(0, (x.err[k] ?? 0) - x.baseErr);
  };
  const excessLat = (name: string, k: number): number => {
    if (k < 0) return 0;
    const x = tr(name);
    // A crashed callee: connection refused or timing out, about half a second each.
    if (x.down[k] === 1 && isCrashed(s, name, at(k))) return 0.5;
    return Math.max(0, (x.lat[k] ?? 0) - x.baseLat);
  };
  for (const name of [...order].reverse()) {
    const b = base.get(name);
    const x = tr(name);
    if (!b) continue;
    const callees = calleesOf(t, name);
    const mean = b.external > 0 ? b.external : 1;
    let leak = 1;
    for (let k = 0; k < steps; k++) {
      if (x.reset[k] === 1) leak = 1;
      leak += (b.leakPerDay * s.stepMs) / DAY;
      let err = b.err + ((ownErr.get(name) as Float64Array)[k] ?? 0);
      let lat = b.lat * ((ownLat.get(name) as Float64Array)[k] ?? 1);
      for (const e of callees) {
        const lag = k - Math.round(e.delayMs / s.stepMs);
        err += e.share * excessErr(e.to, lag);
        lat += e.share * e.callsPerRequest * excessLat(e.to, lag);
      }
      x.err[k] = Math.min(1, err);
      x.lat[k] = lat;
      const load = b.external > 0 ? (x.rps[k] ?? 0) / mean : 1;
      x.cpu[k] =
        b.cores * (0.3 + 0.7 * Math.min(3, load)) * ((ownCpu.get(name) as Float64Array)[k] ?? 1);
      x.mem[k] = b.mem * leak * ((ownMem.get(name) as Float64Array)[k] ?? 1);
    }
    if (b.external === 0) {
      // CPU follows the traffic that reaches it, relative to its own mean.
      let sum = 0;
      for (let k = 0; k < steps; k++) sum += x.rps[k] ?? 0;
      const m = sum / steps || 1;
      for (let k = 0; k < steps; k++) {
        x.cpu[k] =
          b.cores *
          (0.3 + 0.7 * Math.min(3, (x.rps[k] ?? 0) / m)) *
          ((ownCpu.get(name) as Float64Array)[k] ?? 1);
      }
    }
  }
  return { steps, traces };
}

/**
 * How much of a weekend the time is: 0 on weekdays, 1 from Saturday 06:00 to Sunday 18:00,
 * easing in from Friday 18:00 and out until Monday 06:00 (traffic does not jump at midnight).
 */
export function weekendShare(time: number): number {
  // Hours since Monday 00:00 UTC (1970-01-05 was a Monday).
  const h = ((((time - 4 * DAY) % (7 * DAY)) + 7 * DAY) % (7 * DAY)) / HOUR;
  const ease = (x: number): number => {
    const c = Math.min(1, Math.max(0, x));
    return c * c * (3 - 2 * c);
  };
  const fridayEvening = 4 * 24 + 18;
  const sundayEvening = 6 * 24 + 18;
  if (h < fridayEvening) return h < 6 ? 1 - ease(h / 6 + 0.5) : 0;
  if (h < sundayEvening) return ease((h - fridayEvening) / 12);
  return 1 - ease((h - sundayEvening) / 12);
}

type Columns = ReadonlyMap<string, Float64Array>;
const add = (m: Columns, name: string, k: number, x: number): void => {
  const a = m.get(name);
  if (a) a[k] = (a[k] ?? 0) + x;
};
const mul = (m: Columns, name: string, k: number, x: number): void => {
  const a = m.get(name);
  if (a) a[k] = (a[k] ?? 0) * x;
};

const isCrashed = (s: Scenario, name: string, time: number): boolean =>
  s.faults.some((f) => f.kind === 'crash' && f.root === name && faultLevel(f, time) > 0);
