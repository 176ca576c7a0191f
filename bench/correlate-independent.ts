/**
 * `npm run bench -- correlate --suite independent`: the correlation figures on scenarios made
 * by a generator that shares nothing with the ranker's model (bench/independent/): random
 * topologies of 5-30 services with shared stores, per-edge delays of 0-5 min, real exporters'
 * metric names, 15 s and 1 min steps, two weeks each (the first day for learning), and
 * confounders that are not faults. Each scenario is scored once through replay's core (the
 * default detectors, as a worker with only `services:` configured) and its anomalies folded
 * into incidents under each graph variant:
 * - `full`: the true dependency graph configured;
 * - `none`: `services: {}`, no graph at all;
 * - `missing`: the true graph less one edge into a fault's root (a caller that goes unlisted);
 * - `wrong`: the true graph plus one edge that does not exist (the root "calling" a stranger).
 *
 * Options: `--seeds test|dev|all` (default test: report on test seeds; choose on dev seeds),
 * `--graph full,none,missing,wrong` (default all four), `--limit N` (first N scenarios),
 * `--rows` (a row per fault and per false incident), `--cache DIR` (keep each scenario's
 * anomalies there and read them back on the next run: for trying correlator changes without
 * scoring again; clear it when the detectors or the generator change), `--correlate JSON`
 * (settings of the `correlate:` section, e.g. '{"corroboration":false}').
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { correlatorFromConfig } from '../src/correlate/from-config.js';
import { foldAll } from '../src/correlate/fold-all.js';
import { labelsSayErrors } from '../src/correlate/signal-kind.js';
import type { Incident } from '../src/correlate/incidents.js';
import { parseRecord, limitsFromConfig } from '../src/ingest/records.js';
import type { AnomalyEvent, SeriesMeta } from '../src/queues/contract.js';
import { replaySettingsFromConfig } from '../src/replay/replay-from-config.js';
import { replayColumns, serviceSinceOf } from '../src/replay/replay.js';
import { configIssues } from '../src/service/config-checks.js';
import { generate, SEEDS, type Generated } from './independent/generate.js';
import { median } from './nab-cv-plan.js';
import { random } from './independent/random.js';
import { DAY, MIN, type Confounder, type Fault, type Scenario } from './independent/scenario.js';
import { dependentsOf, servicesConfig, type Edge } from './independent/topology.js';
import { progress, progressDone } from './progress.js';

const GRAPHS = ['full', 'none', 'missing', 'wrong'] as const;
type GraphVariant = (typeof GRAPHS)[number];

const SERVICE_LABELS = ['service', 'job', 'service.name'];

interface FaultOutcome {
  readonly fault: Fault;
  readonly incidents: number;
  readonly top1: boolean;
  readonly rootNamed: string;
  readonly toOpenS: number;
  readonly leadMin: number;
}

interface VariantTally {
  faults: FaultOutcome[];
  falseIncidents: { scenario: string; services: string[]; at: number; near: string }[];
  unrelatedMerges: number;
  duringLearning: number;
  scenarioDays: number;
}

const emptyTally = (): VariantTally => ({
  faults: [],
  falseIncidents: [],
  unrelatedMerges: 0,
  duringLearning: 0,
  scenarioDays: 0,
});

/** The median of the finite values (a missed fault has no time to open). */
const finiteMedian = (xs: readonly number[]): number => median(xs.filter(Number.isFinite));

/** The samples as replay's columns, each series' metadata from the live path's record parser. */
function columns(g: Generated, limits: ReturnType<typeof limitsFromConfig>) {
  const series: SeriesMeta[] = [];
  const idx: number[] = [];
  const ts: number[] = [];
  const val: number[] = [];
  for (const s of g.series) {
    const first = s.ts[0];
    if (first === undefined) continue;
    const parsed = parseRecord(
      { ts: first, metric: s.metric, labels: s.labels, value: s.val[0], type: s.type },
      limits,
    );
    if (!parsed.ok || parsed.sample.kind !== 'metric') {
      throw new Error(
        `generated series ${s.metric} refused: ${parsed.ok ? 'a log' : parsed.rejection.message}`,
      );
    }
    const i = series.length;
    series.push(parsed.sample.series);
    for (let k = 0; k < s.ts.length; k++) {
      idx.push(i);
      ts.push(s.ts[k] as number);
      val.push(s.val[k] as number);
    }
  }
  return { series, idx, ts, val, logs: [] };
}

/** The graph each variant configures, and a note of what was changed. */
function graphOf(
  s: Scenario,
  variant: GraphVariant,
): { services: Record<string, { depends_on: string[] }>; change: string } {
  const t = s.topology;
  const r = random(s.seed ^ 0x2f6b);
  const root = s.faults[0]?.root ?? r.pick(t.services).name;
  switch (variant) {
    case 'full':
      return { services: servicesConfig(t), change: '' };
    case 'none':
      return { services: {}, change: '' };
    case 'missing': {
      const into = t.edges.filter((e) => e.to === root);
      const drop = into.length > 0 ? r.pick(into) : r.pick(t.edges);
      return {
        services: servicesConfig(
          t,
          t.edges.filter((e) => e !== drop),
        ),
        change: `without ${drop.from} -> ${drop.to}`,
      };
    }
    case 'wrong': {
      const strangers = t.services.filter(
        (x) =>
          x.name !== root &&
          !t.edges.some(
            (e) => (e.from === root && e.to === x.name) || (e.to === root && e.from === x.name),
          ),
      );
      if (strangers.length === 0) return { services: servicesConfig(t), change: 'no stranger' };
      const to = r.pick(strangers).name;
      const extra: Pick<Edge, 'from' | 'to'>[] = [...t.edges, { from: root, to }];
      return { services: servicesConfig(t, extra), change: `with ${root} -> ${to}` };
    }
  }
}

/** First time "error ratio > 5% or p99 > 3x normal" has held for 2 minutes at the root. */
function ruleFiresAt(g: Generated, f: Fault): number {
  const s = g.scenario;
  const trace = g.world.traces.get(f.root);
  if (!trace) return Number.NaN;
  let pendingSince = Number.NaN;
  for (let k = Math.floor((f.at - s.start) / s.stepMs); k < g.world.steps; k++) {
    const t = s.start + k * s.stepMs;
    if (t > f.at + f.durationMs) break;
    const firing = (trace.err[k] ?? 0) > 0.05 || (trace.lat[k] ?? 0) > 3 * trace.baseLat;
    if (!firing) {
      pendingSince = Number.NaN;
      continue;
    }
    if (Number.isNaN(pendingSince)) pendingSince = t;
    if (t - pendingSince >= 2 * MIN) return t;
  }
  return Number.NaN;
}

const affectedBy = (f: Fault): Set<string> => new Set([...f.reach.keys(), ...f.callees]);

/**
 * The services a confounder moves: a batch job's extra traffic flows down to what it calls, a
 * deploy that slows a service shows up in its callers; the rest stay on their own service.
 */
function touched(s: Scenario, c: Confounder): Set<string> {
  const out = new Set([c.service]);
  if (c.type === 'batch') {
    const queue = [c.service];
    while (queue.length > 0) {
      const x = queue.shift() as string;
      for (const e of s.topology.edges) {
        if (e.from !== x || out.has(e.to)) continue;
        out.add(e.to);
        queue.push(e.to);
      }
    }
  }
  if (c.type === 'deploy' && c.what === 'latency')
    for (const x of dependentsOf(s.topology, c.service).keys()) out.add(x);
  return out;
}

/** What else happened on an incident's services near its start (what a false incident is). */
function nearestConfounder(s: Scenario, inc: Incident): string {
  const at = inc.first_ts;
  const near = s.confounders.filter((c) => {
    if (!inc.services.some((x) => touched(s, c).has(x))) return false;
    switch (c.type) {
      case 'skew':
        return false;
      case 'batch': {
        const period = c.every === 'day' ? DAY : 7 * DAY;
        const since = (((at - c.firstAt) % period) + period) % period;
        return since <= c.durationMs + 10 * MIN || since >= period - 10 * MIN;
      }
      case 'gap':
        return at >= c.at - 10 * MIN && at <= c.at + c.durationMs + 10 * MIN;
      default:
        return Math.abs(at - c.at) <= 15 * MIN;
    }
  });
  if (near.length === 0) return 'nothing generated';
  return [
    ...new Set(
      near.map((c) =>
        c.type === 'blip'
          ? `blip (${c.signal})`
          : c.type === 'batch'
            ? `${c.every === 'day' ? 'daily' : 'weekly'} batch`
            : c.type,
      ),
    ),
  ].join(', ');
}

/** The first few distinct signals of an incident's timeline, with the largest score of each. */
function signalsOf(inc: Incident): string {
  const best = new Map<string, number>();
  for (const a of inc.timeline) {
    const status = labelsSayErrors(a.labels) ? '{5xx}' : '';
    const k = `${a.service}/${a.signal}${status}${a.value < a.expected ? ' down' : ' up'}`;
    best.set(k, Math.max(best.get(k) ?? 0, a.score));
  }
  const list = [...best].slice(0, 4).map(([k, v]) => `${k} ${v.toFixed(2)}`);
  return `${list.join(', ')}${best.size > 4 ? ', ...' : ''}`;
}

function tally(
  g: Generated,
  incidents: readonly Incident[],
  into: VariantTally,
  rows: string[],
): void {
  const s = g.scenario;
  const opened = incidents.filter((i) => i.opened_at !== null);
  into.duringLearning += opened.filter((i) => (i.opened_at as number) < s.learnedFrom).length;
  const live = opened.filter((i) => (i.opened_at as number) >= s.learnedFrom);
  into.scenarioDays += (s.end - s.learnedFrom) / DAY;
  const attributed = new Map<Incident, Fault[]>();
  for (const f of s.faults) {
    const affected = affectedBy(f);
    const mine = live
      .filter((i) => {
        const at = i.opened_at as number;
        return (
          at >= f.at - 5 * MIN &&
          at <= f.at + f.durationMs + 10 * MIN &&
          i.services.some((x) => affected.has(x))
        );
      })
      .sort((a, b) => (a.opened_at as number) - (b.opened_at as number));
    for (const i of mine) attributed.set(i, [...(attributed.get(i) ?? []), f]);
    const first = mine[0];
    const openedAt = first?.opened_at ?? Number.NaN;
    const lead = f.rampMs > 0 ? (ruleFiresAt(g, f) - openedAt) / MIN : Number.NaN;
    const outcome: FaultOutcome = {
      fault: f,
      incidents: mine.length,
      top1: first?.root_cause?.service === f.root,
      rootNamed: first?.root_cause?.service ?? '-',
      toOpenS: (openedAt - f.at) / 1000,
      leadMin: lead,
    };
    into.faults.push(outcome);
    rows.push(
      `  fault ${f.root} (${f.kind}${f.rampMs > 0 ? `, ramp ${f.rampMs / MIN} min` : ''}${f.concurrent ? ', during another' : ''}): ` +
        `${mine.length} incident${mine.length === 1 ? '' : 's'}, root cause ${outcome.rootNamed}${outcome.top1 ? '' : ' WRONG'}` +
        `${Number.isFinite(outcome.toOpenS) ? `, open after ${outcome.toOpenS.toFixed(0)} s` : ''}${Number.isFinite(lead) ? `, lead ${lead.toFixed(1)} min` : ''}`,
    );
  }
  for (const [inc, faults] of attributed) {
    const allowed = new Set(faults.flatMap((f) => [...affectedBy(f)]));
    const stranger = inc.services.filter((x) => !allowed.has(x));
    if (stranger.length > 0 || faults.length > 1) {
      into.unrelatedMerges += 1;
      rows.push(
        `  merge: ${inc.id} holds ${faults.map((f) => f.root).join(' + ')}${stranger.length > 0 ? ` and ${stranger.join(', ')}` : ''}`,
      );
    }
  }
  for (const inc of live) {
    if (attributed.has(inc)) continue;
    const near = nearestConfounder(s, inc);
    into.falseIncidents.push({
      scenario: s.name,
      services: inc.services,
      at: inc.opened_at as number,
      near,
    });
    rows.push(
      `  false incident at ${new Date(inc.opened_at as number).toISOString().slice(5, 16)}: ${inc.services.join(', ')} (near: ${near}; root ${inc.root_cause?.service ?? '-'}, ${inc.anomaly_count} anomalies: ${signalsOf(inc)})`,
    );
  }
}

function summary(variant: GraphVariant, t: VariantTally, scenarios: number): string {
  const n = t.faults.length;
  const pct = (k: number): string => (n === 0 ? '-' : `${((100 * k) / n).toFixed(1)}%`);
  const one = t.faults.filter((f) => f.incidents === 1).length;
  const top1 = t.faults.filter((f) => f.top1).length;
  const missed = t.faults.filter((f) => f.incidents === 0).length;
  const perTwenty = (20 * t.falseIncidents.length) / Math.max(1, t.scenarioDays);
  const minute = t.faults.filter((f) => f.fault.at && Number.isFinite(f.toOpenS));
  const leads = t.faults.map((f) => f.leadMin).filter(Number.isFinite);
  const byCause = new Map<string, number>();
  for (const x of t.falseIncidents) byCause.set(x.near, (byCause.get(x.near) ?? 0) + 1);
  return (
    `graph ${variant}: ${scenarios} scenarios, ${n} faults, ${t.scenarioDays.toFixed(0)} scenario-days after learning\n` +
    `  root cause top-1 (first incident of the fault): ${top1}/${n} = ${pct(top1)}\n` +
    `  one incident per fault: ${one}/${n} = ${pct(one)} (missed ${missed}, split ${n - one - missed})\n` +
    `  false incidents: ${t.falseIncidents.length} = ${perTwenty.toFixed(2)} per 20 scenario-days` +
    `${
      byCause.size > 0
        ? ` (near: ${[...byCause]
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${k} ${v}`)
            .join('; ')})`
        : ''
    }\n` +
    `  unrelated merges: ${t.unrelatedMerges}; incidents during learning: ${t.duringLearning}\n` +
    `  median onset to open: ${finiteMedian(minute.map((f) => f.toOpenS)).toFixed(0)} s; ` +
    `slow ramps: median lead over "error ratio > 5% or p99 > 3x normal for 2m" ${finiteMedian(leads).toFixed(1)} min (${leads.length} ramps the rule caught)\n`
  );
}

function run(args: string[]): void {
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const which = opt('--seeds') ?? 'test';
  if (which !== 'test' && which !== 'dev' && which !== 'all')
    throw new Error(`--seeds takes test, dev or all, got ${which}`);
  const graphs = (opt('--graph') ?? GRAPHS.join(',')).split(',') as GraphVariant[];
  for (const v of graphs)
    if (!GRAPHS.includes(v)) throw new Error(`--graph takes ${GRAPHS.join(', ')}, got ${v}`);
  const limit = Number(opt('--limit') ?? Infinity);
  if (!(limit >= 1))
    throw new Error(`--limit takes a count of scenarios (1 or more), got ${opt('--limit')}`);
  const rowsWanted = args.includes('--rows');
  const cacheDir = opt('--cache');
  let correlate: unknown;
  try {
    correlate = JSON.parse(opt('--correlate') ?? '{}');
  } catch (err) {
    throw new Error(`--correlate takes the correlate section as JSON: ${(err as Error).message}`);
  }
  if (cacheDir !== undefined) mkdirSync(cacheDir, { recursive: true });
  const seeds = (which === 'all' ? [...SEEDS.dev, ...SEEDS.test] : [...SEEDS[which]]).slice(
    0,
    limit,
  );

  const tallies = new Map(graphs.map((v) => [v, emptyTally()]));
  const minuteOnly = new Map(graphs.map((v) => [v, emptyTally()]));
  const started = performance.now();
  let samples = 0;
  for (const [i, seed] of seeds.entries()) {
    progress(
      `bench correlate --suite independent: scenario ${i + 1}/${seeds.length} (seed ${seed})`,
    );
    const g = generate(seed);
    const s = g.scenario;
    const base = parseConfig(
      { services: servicesConfig(s.topology), ingest: { service_labels: SERVICE_LABELS } },
      { check: configIssues },
    );
    const input = columns(g, limitsFromConfig(base.ingest));
    samples += input.ts.length;
    const since = serviceSinceOf(input);
    const cached = cacheDir === undefined ? undefined : join(cacheDir, `${seed}.json`);
    let anomalies: readonly AnomalyEvent[];
    if (cached !== undefined && existsSync(cached)) {
      anomalies = JSON.parse(readFileSync(cached, 'utf8')) as AnomalyEvent[];
    } else {
      anomalies = replayColumns(replaySettingsFromConfig(base), input).anomalies;
      if (cached !== undefined) writeFileSync(cached, JSON.stringify(anomalies));
    }
    process.stdout.write(
      `${s.name}: ${input.series.length} series, ${input.ts.length} samples, ${anomalies.length} anomalies\n`,
    );
    for (const v of graphs) {
      const { services, change } = graphOf(s, v);
      const config = parseConfig(
        { services, ingest: { service_labels: SERVICE_LABELS }, correlate },
        { check: configIssues },
      );
      const incidents = foldAll(correlatorFromConfig(config), anomalies, undefined, since);
      const rows: string[] = [];
      tally(g, incidents, tallies.get(v) as VariantTally, rows);
      if (s.stepMs === MIN) tally(g, incidents, minuteOnly.get(v) as VariantTally, []);
      if (rowsWanted && rows.length > 0)
        process.stdout.write(` graph ${v}${change ? ` (${change})` : ''}:\n${rows.join('\n')}\n`);
    }
  }
  progressDone();
  const secs = (performance.now() - started) / 1000;
  process.stdout.write(
    `\n${seeds.length} ${which} scenarios, ${(samples / 1e6).toFixed(1)}M samples, in ${secs.toFixed(0)} s\n\n`,
  );
  for (const v of graphs) {
    process.stdout.write(summary(v, tallies.get(v) as VariantTally, seeds.length));
    const m = minuteOnly.get(v) as VariantTally;
    process.stdout.write(
      `  at 1-minute steps only: median onset to open ${finiteMedian(m.faults.map((f) => f.toOpenS)).toFixed(0)} s over ${m.faults.filter((f) => Number.isFinite(f.toOpenS)).length} faults\n\n`,
    );
  }
}

export function main(args: string[]): Promise<void> {
  run(args);
  return Promise.resolve();
}
