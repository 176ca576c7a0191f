/**
 * The service dependency graph: `services.<name>.depends_on` from config (an edge from a caller
 * to what it calls). Failures flow against the edges: when a dependency fails, its callers
 * show symptoms. Pure: built once from config, queried by the correlator.
 */
import type { Edge } from '../queues/discovered-edges.js';

export interface GraphEdge extends Edge {
  readonly source: 'configured' | 'discovered';
}

export interface ServiceGraph {
  /** Every edge, configured or discovered. */
  readonly edges: readonly GraphEdge[];
  /** Services `s` calls (configured). */
  dependencies(s: string): readonly string[];
  /** Services that call `s`. */
  dependents(s: string): readonly string[];
  /** True when a and b are the same service or one calls the other. */
  adjacent(a: string, b: string): boolean;
  /** Every service that depends on `s`, directly or through others. */
  transitiveDependents(s: string): ReadonlySet<string>;
  /** A shortest dependency path from `from` down to `to` (caller first), or undefined. */
  pathDown(from: string, to: string): readonly string[] | undefined;
  readonly services: readonly string[];
}

/**
 * `discovered` edges (from service-graph metrics) are added where config says nothing about the
 * pair: an edge config already has, or its reverse, is left to config.
 */
export function serviceGraph(
  services: Readonly<Record<string, { readonly depends_on: readonly string[] }>>,
  discovered: readonly Edge[] = [],
): ServiceGraph {
  const edges: GraphEdge[] = [];
  const deps = new Map<string, string[]>();
  const users = new Map<string, string[]>();
  const add = (m: Map<string, string[]>, k: string, v: string): void => {
    const list = m.get(k);
    if (list) {
      if (!list.includes(v)) list.push(v);
    } else m.set(k, [v]);
  };
  for (const [name, svc] of Object.entries(services)) {
    deps.set(name, deps.get(name) ?? []);
    for (const d of svc.depends_on) {
      if (d === name) continue;
      add(deps, name, d);
      add(users, d, name);
      edges.push({ from: name, to: d, source: 'configured' });
    }
  }
  for (const e of discovered) {
    if (e.from === e.to) continue;
    if (deps.get(e.from)?.includes(e.to) || deps.get(e.to)?.includes(e.from)) continue;
    deps.set(e.to, deps.get(e.to) ?? []);
    add(deps, e.from, e.to);
    add(users, e.to, e.from);
    edges.push({ ...e, source: 'discovered' });
  }
  const closure = new Map<string, Set<string>>();
  const transitiveDependents = (s: string): Set<string> => {
    const cached = closure.get(s);
    if (cached) return cached;
    const seen = new Set<string>();
    const stack = [...(users.get(s) ?? [])];
    while (stack.length > 0) {
      const x = stack.pop() as string;
      if (seen.has(x) || x === s) continue;
      seen.add(x);
      stack.push(...(users.get(x) ?? []));
    }
    closure.set(s, seen);
    return seen;
  };
  return {
    edges,
    services: [...deps.keys()],
    dependencies: (s) => deps.get(s) ?? [],
    dependents: (s) => users.get(s) ?? [],
    adjacent: (a, b) =>
      a === b || (deps.get(a)?.includes(b) ?? false) || (deps.get(b)?.includes(a) ?? false),
    transitiveDependents,
    pathDown(from, to) {
      const prev = new Map<string, string>([[from, from]]);
      const queue = [from];
      while (queue.length > 0) {
        const x = queue.shift() as string;
        if (x === to) {
          const path = [to];
          while (path[0] !== from) path.unshift(prev.get(path[0] as string) as string);
          return path;
        }
        for (const d of deps.get(x) ?? []) {
          if (!prev.has(d)) {
            prev.set(d, x);
            queue.push(d);
          }
        }
      }
      return undefined;
    },
  };
}
