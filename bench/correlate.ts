/**
 * Correlation figures over the generated cascade scenarios (src/demo/cascade-scenarios.ts),
 * each run through replay's pure cores (default detectors, then the correlator):
 * - per fault: whether exactly one incident opened with the right root cause;
 * - the time from fault onset to the incident opening (median);
 * - on slow-ramp faults, the lead over the rule a team would write for the root service:
 *   "error ratio > 5% or p99 latency > 3x its normal, for 2 minutes" (Prometheus `for:`);
 * - with logs that lead: the single-fault scenarios again, each service also writing logs and
 *   the root logging a new error 3 minutes before its metrics move (cascade-logs.ts): root
 *   cause right, and the time to open with and without the logs.
 *
 *   npm run bench -- correlate
 *   npm run bench -- correlate --suite independent   (bench/correlate-independent.ts)
 */
import { SIGNALS, type CascadeRecord, type Fault } from '../src/demo/cascade.js';
import { SCENARIOS, TOPOLOGIES } from '../src/demo/cascade-scenarios.js';
import { replayCascade } from '../src/demo/replay-cascade.js';

const MIN = 60_000;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? (s[m] ?? 0)
      : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** First time the rule has held for 2 minutes on the root's own series, or NaN. */
function ruleFiresAt(records: readonly CascadeRecord[], fault: Fault, learnedFrom: number): number {
  const mine = records.filter((r) => r.labels.service === fault.root);
  const p99s = mine
    .filter((r) => r.metric === SIGNALS.latency && r.ts < learnedFrom)
    .map((r) => r.value);
  const normalP99 = median(p99s);
  const byTs = new Map<number, { err?: number; p99?: number }>();
  for (const r of mine) {
    if (r.ts < fault.at - 10 * MIN) continue;
    const e = byTs.get(r.ts) ?? {};
    if (r.metric === SIGNALS.errors) e.err = r.value;
    if (r.metric === SIGNALS.latency) e.p99 = r.value;
    byTs.set(r.ts, e);
  }
  let pendingSince = Number.NaN;
  for (const [ts, e] of [...byTs].sort((a, b) => a[0] - b[0])) {
    const firing = (e.err ?? 0) > 0.05 || (e.p99 ?? 0) > 3 * normalP99;
    if (!firing) {
      pendingSince = Number.NaN;
      continue;
    }
    if (Number.isNaN(pendingSince)) pendingSince = ts;
    if (ts - pendingSince >= 2 * MIN) return ts;
  }
  return Number.NaN;
}

export async function main(args: string[] = []): Promise<void> {
  const suite = args.indexOf('--suite') >= 0 ? args[args.indexOf('--suite') + 1] : 'generated';
  if (suite === 'independent') {
    await (await import('./correlate-independent.js')).main(args);
    return;
  }
  if (suite !== 'generated')
    throw new Error(`--suite takes generated or independent, got ${suite}`);
  const toOpen: number[] = [];
  const rampLeads: number[] = [];
  let faults = 0;
  let right = 0;
  let extra = 0;
  const started = performance.now();
  process.stdout.write(
    `${'scenario'.padEnd(52)} ${'fault'.padEnd(9)} ${'root cause'.padEnd(10)} ${'to open'.padStart(8)} ${'lead'.padStart(8)}\n`,
  );
  for (const s of SCENARIOS) {
    const services = TOPOLOGIES[s.topology];
    const { incidents: all, records } = await replayCascade({
      services,
      faults: s.faults,
      start: s.start,
      end: s.end,
      stepMs: MIN,
      seed: s.seed,
    });
    const incidents = all.filter((i) => Date.parse(i.opened_at ?? '') >= s.learnedFrom);
    const matched = new Set<string>();
    if (s.faults.length === 0) process.stdout.write(`${s.name.padEnd(52)} ${'-'.padEnd(9)}\n`);
    for (const f of s.faults) {
      faults += 1;
      const mine = incidents.filter((i) => {
        const at = Date.parse(i.opened_at ?? '');
        return at >= f.at && at <= f.at + f.durationMs && i.services.includes(f.root);
      });
      const inc = mine.length === 1 ? mine[0] : undefined;
      if (inc) matched.add(inc.id);
      const ok = inc?.root_cause?.service === f.root;
      if (ok) right += 1;
      const openedAt = Date.parse(inc?.opened_at ?? '');
      const toOpenS = (openedAt - f.at) / 1000;
      if (Number.isFinite(toOpenS)) toOpen.push(toOpenS);
      let lead = '';
      if ((f.rampMs ?? 0) > 0) {
        const rule = ruleFiresAt(records, f, s.learnedFrom);
        const l = (rule - openedAt) / MIN;
        if (Number.isFinite(l)) rampLeads.push(l);
        lead = `${l.toFixed(1)} min`;
      }
      process.stdout.write(
        `${s.name.slice(0, 52).padEnd(52)} ${f.root.padEnd(9)} ${(inc?.root_cause?.service ?? `(${mine.length} incidents)`).padEnd(10)} ${`${toOpenS.toFixed(0)} s`.padStart(8)} ${lead.padStart(8)}${ok ? '' : '  WRONG'}\n`,
      );
    }
    extra += incidents.filter((i) => !matched.has(i.id)).length;
  }
  const LEAD = 3 * MIN;
  const withLogs: number[] = [];
  const withoutLogs: number[] = [];
  let leadRight = 0;
  let leadFaults = 0;
  for (const s of SCENARIOS.filter((x) => x.faults.length === 1)) {
    const f = s.faults[0] as Fault;
    const run = async (logLeadMs?: number): Promise<number> => {
      const { incidents } = await replayCascade({
        services: TOPOLOGIES[s.topology],
        faults: s.faults,
        start: s.start,
        end: s.end,
        stepMs: MIN,
        seed: s.seed,
        ...(logLeadMs === undefined ? {} : { logLeadMs }),
      });
      const mine = incidents.filter((i) => {
        const at = Date.parse(i.opened_at ?? '');
        return at >= s.learnedFrom && at >= f.at - LEAD && at <= f.at + f.durationMs;
      });
      if (logLeadMs !== undefined) {
        leadFaults += 1;
        if (mine.length === 1 && mine[0]?.root_cause?.service === f.root) leadRight += 1;
      }
      return (Date.parse(mine[0]?.opened_at ?? '') - f.at) / 1000;
    };
    withoutLogs.push(await run());
    withLogs.push(await run(LEAD));
  }
  // The runs without a fault, with logs: the logs alone must open nothing.
  let quietWithLogs = 0;
  for (const s of SCENARIOS.filter((x) => x.faults.length === 0)) {
    const { incidents } = await replayCascade({
      services: TOPOLOGIES[s.topology],
      faults: [],
      start: s.start,
      end: s.end,
      stepMs: MIN,
      seed: s.seed,
      logLeadMs: LEAD,
    });
    quietWithLogs += incidents.filter((i) => Date.parse(i.opened_at ?? '') >= s.learnedFrom).length;
  }
  const secs = (performance.now() - started) / 1000;
  process.stdout.write(
    `\n${SCENARIOS.length} scenarios (one row per fault, or a dash for none), ${faults} faults in ${secs.toFixed(1)} s\n` +
      `root cause top-1 right, one incident each: ${right}/${faults}; incidents that are no fault: ${extra}\n` +
      `median time from fault onset to incident open: ${median(toOpen).toFixed(0)} s\n` +
      `slow ramps: median lead over "error ratio > 5% or p99 > 3x normal for 2m": ${median(rampLeads).toFixed(1)} min (${rampLeads.map((l) => l.toFixed(1)).join(', ')})\n` +
      `logs leading metrics by ${LEAD / MIN} min (${leadFaults} single-fault scenarios): root cause right, one incident: ${leadRight}/${leadFaults}; ` +
      `median time from metric onset to open: ${median(withLogs).toFixed(0)} s with logs, ${median(withoutLogs).toFixed(0)} s without; ` +
      `incidents in the no-fault runs with logs: ${quietWithLogs}\n`,
  );
}
