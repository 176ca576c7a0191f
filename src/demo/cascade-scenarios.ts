/**
 * Generated correlation scenarios (issue 6 acceptance): topologies from the three-service
 * example to deeper graphs with an unrelated component, faults as steps and slow ramps, two
 * unrelated faults at once, and quiet stretches with no fault. Each scenario learns for 24 h
 * of data (Monday 00:00 UTC on) before its first fault.
 */
import type { Fault } from './cascade.js';

type Graph = Readonly<Record<string, { readonly depends_on: readonly string[] }>>;

const deps = (m: Record<string, string[]>): Graph =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { depends_on: v }]));

export const TOPOLOGIES = {
  example: deps({ auth: ['storage'], routing: ['auth', 'storage'], storage: [] }),
  chain: deps({ edge: ['api'], api: ['auth'], auth: ['db'], db: ['disk'], disk: [] }),
  tree: deps({
    gateway: ['users', 'orders'],
    users: ['userdb'],
    orders: ['orderdb', 'payments'],
    payments: ['bank'],
    userdb: [],
    orderdb: [],
    bank: [],
    billing: ['ledger'],
    ledger: [],
  }),
} as const;

export type TopologyName = keyof typeof TOPOLOGIES;

export interface Scenario {
  readonly name: string;
  readonly seed: number;
  readonly topology: TopologyName;
  readonly faults: readonly Fault[];
  readonly start: number;
  readonly end: number;
  readonly learnedFrom: number;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Monday 2026-01-05 00:00 UTC. */
export const SCENARIO_T0 = Date.UTC(2026, 0, 5);

function scenario(
  name: string,
  seed: number,
  topology: TopologyName,
  faults: readonly { root: string; afterH: number; rampMin?: number }[],
): Scenario {
  const learnedFrom = SCENARIO_T0 + 24 * HOUR;
  // Onsets at an odd minute that varies with the seed, so no two scenarios line up.
  const fs: Fault[] = faults.map((f) => ({
    root: f.root,
    at: learnedFrom + f.afterH * HOUR + ((seed * 7) % 50) * MIN + 13_000,
    durationMs: 30 * MIN,
    rampMs: (f.rampMin ?? 0) * MIN,
  }));
  const last = Math.max(learnedFrom + 3 * HOUR, ...fs.map((f) => f.at + 90 * MIN));
  return { name, seed, topology, faults: fs, start: SCENARIO_T0, end: last, learnedFrom };
}

export const SCENARIOS: readonly Scenario[] = [
  scenario('auth outage (the story)', 1, 'example', [{ root: 'auth', afterH: 2 }]),
  scenario('auth outage, other seed', 2, 'example', [{ root: 'auth', afterH: 5 }]),
  scenario('auth outage then storage outage', 3, 'example', [
    { root: 'auth', afterH: 1 },
    { root: 'storage', afterH: 6 },
  ]),
  scenario('storage outage: auth and routing follow', 4, 'example', [
    { root: 'storage', afterH: 3 },
  ]),
  scenario('auth slow ramp', 5, 'example', [{ root: 'auth', afterH: 2, rampMin: 15 }]),
  scenario('storage slow ramp', 6, 'example', [{ root: 'storage', afterH: 4, rampMin: 15 }]),
  scenario('routing alone (a leaf)', 7, 'example', [{ root: 'routing', afterH: 2 }]),
  scenario('no fault (example)', 8, 'example', []),
  scenario('chain: db fails', 9, 'chain', [{ root: 'db', afterH: 2 }]),
  scenario('chain: disk fails (deepest)', 10, 'chain', [{ root: 'disk', afterH: 3 }]),
  scenario('chain: api fails', 11, 'chain', [{ root: 'api', afterH: 2 }]),
  scenario('chain: auth slow ramp', 12, 'chain', [{ root: 'auth', afterH: 5, rampMin: 20 }]),
  scenario('chain: db then edge', 13, 'chain', [
    { root: 'db', afterH: 1 },
    { root: 'edge', afterH: 7 },
  ]),
  scenario('no fault (chain)', 14, 'chain', []),
  scenario('tree: payments fails', 15, 'tree', [{ root: 'payments', afterH: 2 }]),
  scenario('tree: bank slow ramp', 16, 'tree', [{ root: 'bank', afterH: 3, rampMin: 15 }]),
  scenario('tree: userdb and ledger fail at once (unrelated)', 17, 'tree', [
    { root: 'userdb', afterH: 2 },
    { root: 'ledger', afterH: 2 },
  ]),
  scenario('tree: orderdb and billing fail at once (unrelated)', 18, 'tree', [
    { root: 'orderdb', afterH: 4 },
    { root: 'billing', afterH: 4 },
  ]),
  scenario('tree: users fails', 19, 'tree', [{ root: 'users', afterH: 6 }]),
  scenario('no fault (tree)', 20, 'tree', []),
  scenario('tree: gateway fails (the top)', 21, 'tree', [{ root: 'gateway', afterH: 2 }]),
  scenario('example: auth outage, third seed', 22, 'example', [{ root: 'auth', afterH: 8 }]),
];
