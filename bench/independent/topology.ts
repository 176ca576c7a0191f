/**
 * Random service topologies for the independent suite: 5-30 services in layers (edge,
 * APIs, backends), shared databases and caches that many services call (fan-in), services that
 * call several others (fan-out), and sometimes a component that shares nothing with the rest.
 * Each service reports through one exporter family, as real ones do.
 */
import type { Random } from './random.js';

export type Role = 'edge' | 'api' | 'backend' | 'database' | 'cache' | 'island';

/** How a service's metrics are named (exporters.ts). */
export type ExporterFamily = 'prometheus' | 'micrometer' | 'otel' | 'postgres' | 'redis';

export interface Edge {
  readonly from: string;
  readonly to: string;
  /** Calls to `to` per request `from` serves. */
  readonly callsPerRequest: number;
  /** Share of `from`'s requests that need `to`: how much of `to`'s failure `from` feels. */
  readonly share: number;
  /** How long `to`'s trouble takes to show at `from` (0-5 min; sometimes none). */
  readonly delayMs: number;
}

export interface ServiceSpec {
  readonly name: string;
  readonly role: Role;
  readonly exporter: ExporterFamily;
}

export interface Topology {
  readonly services: readonly ServiceSpec[];
  readonly edges: readonly Edge[];
}

const APP_NAMES = [
  'auth',
  'routing',
  'mailbox',
  'checkout',
  'cart',
  'catalog',
  'search',
  'payments',
  'ledger',
  'notifications',
  'profile',
  'sessions',
  'inventory',
  'shipping',
  'pricing',
  'recommendations',
  'billing',
  'orders',
  'users',
  'media',
  'reviews',
  'fraud',
  'tax',
  'quotes',
  'images',
  'feeds',
  'chat',
  'reports',
  'webhooks',
  'audit',
];
const EDGE_NAMES = ['gateway', 'frontend', 'mobile-bff', 'edge-proxy'];
const DB_NAMES = ['postgres-main', 'postgres-orders', 'mysql-accounts', 'postgres-analytics'];
const CACHE_NAMES = ['redis-sessions', 'redis-cache', 'memcached-pages'];

function shuffled<T>(r: Random, xs: readonly T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

export function randomTopology(r: Random, size: number): Topology {
  const nStores = Math.max(1, Math.min(6, Math.round(size / 5) + r.int(-1, 1)));
  const nDb = Math.max(1, Math.ceil(nStores / 2));
  const nCache = nStores - nDb;
  const nIsland = size >= 8 && r.chance(0.5) ? r.int(1, 2) : 0;
  const nEdge = size >= 12 ? 2 : 1;
  const nApps = Math.max(1, size - nStores - nIsland - nEdge);
  const nApi = Math.max(1, Math.round(nApps * r.uniform(0.3, 0.5)));
  const nBackend = nApps - nApi;
  const apps = shuffled(r, APP_NAMES);
  const take = (n: number): string[] => apps.splice(0, n);
  const services: ServiceSpec[] = [];
  const appFamily = (): ExporterFamily => r.pick(['prometheus', 'micrometer', 'otel'] as const);
  for (const name of shuffled(r, EDGE_NAMES).slice(0, nEdge))
    services.push({ name, role: 'edge', exporter: appFamily() });
  for (const name of take(nApi)) services.push({ name, role: 'api', exporter: appFamily() });
  for (const name of take(nBackend))
    services.push({ name, role: 'backend', exporter: appFamily() });
  for (const name of shuffled(r, DB_NAMES).slice(0, nDb))
    services.push({ name, role: 'database', exporter: 'postgres' });
  for (const name of shuffled(r, CACHE_NAMES).slice(0, nCache))
    services.push({ name, role: 'cache', exporter: 'redis' });
  for (const name of take(nIsland)) services.push({ name, role: 'island', exporter: appFamily() });

  const of = (...roles: Role[]): ServiceSpec[] => services.filter((s) => roles.includes(s.role));
  const edges: Edge[] = [];
  const edge = (from: string, to: string): void => {
    if (from === to || edges.some((e) => e.from === from && e.to === to)) return;
    edges.push({
      from,
      to,
      callsPerRequest: r.uniform(0.3, 2.5),
      share: r.uniform(0.4, 1),
      delayMs: r.chance(0.2) ? 0 : Math.round(r.uniform(5, 300)) * 1000,
    });
  };
  const stores = of('database', 'cache');
  const apis = of('api');
  const backends = of('backend');
  // Edges call APIs (fan-out); APIs call backends and stores; backends call later backends
  // (kept acyclic by order) and stores. Stores call nothing.
  for (const e of of('edge'))
    for (const a of apis) if (apis.length <= 3 || r.chance(0.6)) edge(e.name, a.name);
  for (const a of apis) {
    if (!edges.some((x) => x.to === a.name)) edge(r.pick(of('edge')).name, a.name);
    const n = r.int(1, 3);
    for (let i = 0; i < n; i++)
      edge(a.name, r.pick(backends.length > 0 && r.chance(0.7) ? backends : stores).name);
  }
  backends.forEach((b, i) => {
    if (!edges.some((x) => x.to === b.name)) edge(r.pick(apis).name, b.name);
    const later = backends.slice(i + 1);
    if (later.length > 0 && r.chance(0.4)) edge(b.name, r.pick(later).name);
    const n = r.int(1, 2);
    for (let k = 0; k < n; k++) edge(b.name, r.pick(stores).name);
  });
  for (const s of stores)
    if (!edges.some((x) => x.to === s.name)) edge(r.pick([...apis, ...backends]).name, s.name);
  // An island: one service, or two calling each other one way, sharing nothing.
  const islands = of('island');
  if (islands.length === 2)
    edge((islands[0] as ServiceSpec).name, (islands[1] as ServiceSpec).name);
  return { services, edges };
}

/** The services-that-call-it of a service, and what it calls. */
export const callersOf = (t: Topology, s: string): Edge[] => t.edges.filter((e) => e.to === s);
export const calleesOf = (t: Topology, s: string): Edge[] => t.edges.filter((e) => e.from === s);

/** Callers first: every service after all that call it. */
export function callOrder(t: Topology): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const visit = (s: string): void => {
    if (done.has(s)) return;
    done.add(s);
    for (const e of callersOf(t, s)) visit(e.from);
    order.push(s);
  };
  for (const s of t.services) visit(s.name);
  return order;
}

/** Every service that calls `s`, directly or through others, with the earliest delay. */
export function dependentsOf(t: Topology, s: string): Map<string, number> {
  const out = new Map<string, number>([[s, 0]]);
  const queue = [s];
  while (queue.length > 0) {
    const x = queue.shift() as string;
    for (const e of callersOf(t, x)) {
      const d = (out.get(x) ?? 0) + e.delayMs;
      if (d < (out.get(e.from) ?? Infinity)) {
        out.set(e.from, d);
        queue.push(e.from);
      }
    }
  }
  return out;
}

/** The dependency graph as the worker's `services:` config. */
export function servicesConfig(
  t: Topology,
  edges: readonly Pick<Edge, 'from' | 'to'>[] = t.edges,
): Record<string, { depends_on: string[] }> {
  return Object.fromEntries(
    t.services.map((s) => [
      s.name,
      { depends_on: edges.filter((e) => e.from === s.name).map((e) => e.to) },
    ]),
  );
}
