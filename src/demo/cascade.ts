/**
 * Cascading outages as data, for any dependency graph: every service reports an error ratio,
 * a p99 latency and a request rate once a `stepMs`; a fault at a root service raises its error
 * ratio and latency (at once, or ramping over `rampMs`), the services that depend on it follow
 * one `hopMs` per hop, and the services it calls see their request rate fall (their caller
 * stopped calling). Deterministic for a seed. Used by the correlation tests, bench/correlate.ts
 * and the demo.
 */
import { serviceGraph } from '../correlate/graph.js';

export interface CascadeRecord {
  readonly ts: number;
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Fault {
  readonly root: string;
  /** Event time of the onset (ms). */
  readonly at: number;
  readonly durationMs: number;
  /** 0: a step; else the root's error ratio climbs linearly over this long. */
  readonly rampMs?: number;
}

export interface CascadeOptions {
  readonly services: Readonly<Record<string, { readonly depends_on: readonly string[] }>>;
  readonly faults: readonly Fault[];
  readonly start: number;
  readonly end: number;
  readonly stepMs: number;
  readonly seed: number;
  /** Delay per hop of the cascade (default 60 s). */
  readonly hopMs?: number;
  /**
   * Also write the OpenTelemetry service-graph counter of each edge,
   * `traces_service_graph_request_total{client,server}` (labelled with the client's service),
   * as the Collector's servicegraph connector does: the correlator can discover the graph.
   */
  readonly serviceGraphMetrics?: boolean;
}

export const SIGNALS = {
  errors: 'http_error_ratio',
  latency: 'http_latency_p99_seconds',
  traffic: 'http_requests_per_second',
} as const;

export interface FaultEffect {
  readonly fault: Fault;
  /** The root and every service that depends on it, with the delay of each. */
  readonly failing: ReadonlyMap<string, number>;
  /** Services the root calls that do not fail themselves: their traffic falls. */
  readonly trafficDrop: ReadonlySet<string>;
  /** Every service the fault touches. */
  readonly affected: ReadonlySet<string>;
}

export function faultEffect(
  services: CascadeOptions['services'],
  fault: Fault,
  hopMs = 60_000,
): FaultEffect {
  const g = serviceGraph(services);
  const failing = new Map<string, number>([[fault.root, 0]]);
  const queue = [fault.root];
  while (queue.length > 0) {
    const s = queue.shift() as string;
    for (const d of g.dependents(s)) {
      if (!failing.has(d)) {
        failing.set(d, (failing.get(s) ?? 0) + hopMs);
        queue.push(d);
      }
    }
  }
  const trafficDrop = new Set(g.dependencies(fault.root).filter((d) => !failing.has(d)));
  return { fault, failing, trafficDrop, affected: new Set([...failing.keys(), ...trafficDrop]) };
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Records in time order. */
export function cascade(o: CascadeOptions): CascadeRecord[] {
  const rand = prng(o.seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const effects = o.faults.map((f) => faultEffect(o.services, f, o.hopMs));
  const names = Object.keys(o.services);
  // Each service has its own scale of traffic and latency.
  const base = new Map(
    names.map((s) => [s, { rps: 200 + 1800 * rand(), p99: 0.05 + 0.3 * rand(), phase: rand() }]),
  );
  const out: CascadeRecord[] = [];
  const edges = names.flatMap((s) => (o.services[s]?.depends_on ?? []).map((d) => [s, d] as const));
  const calls = new Map(edges.map(([c, sv]) => [`${c}>${sv}`, 0]));
  for (let ts = o.start; ts <= o.end; ts += o.stepMs) {
    if (o.serviceGraphMetrics) {
      for (const [client, server] of edges) {
        const k = `${client}>${server}`;
        const n =
          (calls.get(k) ?? 0) +
          Math.round((base.get(client)?.rps ?? 100) * (o.stepMs / 1000) * (0.9 + 0.2 * rand()));
        calls.set(k, n);
        out.push({
          ts,
          metric: 'traces_service_graph_request_total',
          labels: { service: client, client, server },
          value: n,
        });
      }
    }
    for (const s of names) {
      const b = base.get(s) ?? { rps: 1000, p99: 0.1, phase: 0 };
      const daily = 1 + 0.3 * Math.sin(2 * Math.PI * ((ts / 86_400_000 + b.phase) % 1));
      let errRatio = 0.005;
      let latency = b.p99;
      let traffic = b.rps * daily;
      for (const e of effects) {
        const since = ts - e.fault.at;
        if (since < 0 || since >= e.fault.durationMs) continue;
        const delay = e.failing.get(s);
        if (delay !== undefined && since >= delay) {
          const root = delay === 0;
          const ramp = root && e.fault.rampMs ? Math.min(1, since / e.fault.rampMs) : 1;
          errRatio += (root ? 0.25 : 0.12) * ramp;
          latency *= 1 + (root ? 2 : 1) * ramp;
        }
        if (e.trafficDrop.has(s) && since >= (o.hopMs ?? 60_000)) traffic *= 0.4;
      }
      // Binomial noise of a ratio over a minute of traffic; a few % on latency and traffic.
      const requests = traffic * (o.stepMs / 1000);
      const errNoise = Math.sqrt((errRatio * (1 - errRatio)) / Math.max(1, requests)) * gauss();
      const labels = { service: s };
      out.push(
        { ts, metric: SIGNALS.errors, labels, value: Math.max(0, errRatio + errNoise) },
        { ts, metric: SIGNALS.latency, labels, value: latency * (1 + 0.04 * gauss()) },
        { ts, metric: SIGNALS.traffic, labels, value: traffic * (1 + 0.02 * gauss()) },
      );
    }
  }
  return out;
}
