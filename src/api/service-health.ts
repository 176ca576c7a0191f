/**
 * The health of each service (pure): its state, one sentence saying why, the series its
 * sparkline shows, its signals and its open incident, from the configured services, the score
 * board, the open incidents, the maintenance windows and the suppressions. The state rules are
 * in status-model.ts (worst wins: outage, affected, maintenance, degraded, learning, ok). A
 * service seen on the board or in an open incident but not configured is shown too
 * (`capUnconfigured` bounds how many).
 */
import { plainNumber } from '../util/plain-number.js';
import { globMatches, signalKind, type SignalPatterns } from '../correlate/signal-kind.js';
import { BOARD_READ_LIMIT, type BoardEntry } from '../detect/score-board.js';
import type { SuppressedCheck } from '../detect/suppressions.js';
import type { IncidentJson } from '../queues/contract.js';
import {
  SERVICE_STATES,
  type ServiceHealth,
  type ServiceIncident,
  type ServiceState,
  type SignalHealth,
} from './status-model.js';

/** Signals listed per service, the most anomalous first. */
export const SIGNALS_PER_SERVICE = 20;
/** Services seen on the board but not configured, listed at most (the worst first). */
export const UNCONFIGURED_SERVICES_MAX = 100;

/** What the health needs of a configured service (`services.<name>`). */
export interface ServiceSettings {
  readonly description?: string | undefined;
  /** The signal (metric name, `*` glob) shown while none is anomalous. */
  readonly key_signal?: string | undefined;
}

export interface ServiceHealthInput {
  readonly services: Readonly<Record<string, ServiceSettings>>;
  /** The score board's entries (ScoreBoard.all): at most its most anomalous `boardLimit`. */
  readonly board: readonly BoardEntry[];
  /**
   * The services scored recently (ScoreBoard.services), whether or not any of their series is
   * in `board`: one that has none there is `ok`, its series all scoring below those read.
   */
  readonly scoredServices?: ReadonlySet<string> | undefined;
  /** How many of the most anomalous series `board` holds at most (for the reason's wording). */
  readonly boardLimit?: number;
  /**
   * True when a suppression matches an anomalous signal (detect/suppressions.ts, at the
   * entry's event time): it is listed, marked `suppressed`, and does not make the service
   * degraded.
   */
  readonly suppressed?: SuppressedCheck | undefined;
  /** Open incidents (others are ignored), in their public form. */
  readonly incidents: readonly IncidentJson[];
  /** True while a maintenance window covers the service. */
  readonly inMaintenance?: ((service: string, nowMs: number) => boolean) | undefined;
  /**
   * The services still learning (`correlate.learning_ms` after their first record) and until
   * when (ms): listed even before any of their series scored; a calm one reads `learning`.
   */
  readonly learningUntil?: ReadonlyMap<string, number> | undefined;
  /** `detect.anomaly_threshold`. */
  readonly threshold: number;
  readonly nowMs: number;
  /** Which signals are error signals (`correlate.signals`); the built-in list by default. */
  readonly patterns?: SignalPatterns | undefined;
  readonly signalsPerService?: number;
}

export { plainNumber };

/** Six significant digits for the JSON: exact enough to plot, short to send. */
const sig6 = (n: number): number => (Number.isFinite(n) ? Number(n.toPrecision(6)) : n);
const r3 = (n: number): number => Math.round(n * 1000) / 1000;
const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** A state and the sentence that says why. */
interface Verdict {
  readonly state: ServiceState;
  readonly reason: string;
  readonly incident?: IncidentJson;
}

const rank = (s: ServiceState): number => SERVICE_STATES.indexOf(s);

/** The worst verdict; of equals, the first. */
function worst(verdicts: readonly (Verdict | undefined)[]): Verdict | undefined {
  let pick: Verdict | undefined;
  for (const v of verdicts) if (v && (!pick || rank(v.state) < rank(pick.state))) pick = v;
  return pick;
}

/** What an open incident makes of a service in it. */
function incidentVerdict(service: string, inc: IncidentJson): Verdict | undefined {
  const root = inc.root_cause?.service;
  if (root !== service && !inc.services.includes(service)) return undefined;
  if (root === service) {
    const signal = inc.root_cause?.signal ? ` (${inc.root_cause.signal})` : '';
    return {
      state: inc.severity === 'critical' ? 'outage' : 'degraded',
      reason: `root cause of ${inc.severity} incident ${inc.id}${signal}`,
      incident: inc,
    };
  }
  return {
    state: 'affected',
    reason:
      root === undefined
        ? `in incident ${inc.id}, whose root cause is not known yet`
        : `affected by ${root}'s incident ${inc.id}`,
    incident: inc,
  };
}

/** Newest opened first (RFC 3339 strings sort as times), then by id. */
const newestFirst = (a: IncidentJson, b: IncidentJson): number =>
  (b.opened_at ?? '').localeCompare(a.opened_at ?? '') || a.id.localeCompare(b.id);

/** "auth: http_error_ratio 0.257, expected 0.0041–0.0062 (score 0.99)". */
const outOfBand = (service: string, e: BoardEntry): string =>
  `${service}: ${e.metric} ${plainNumber(e.value)}, expected ` +
  `${plainNumber(e.lower)}–${plainNumber(e.upper)} (score ${e.score.toFixed(2)})`;

/**
 * What the anomalous signals make of a service: degraded by those no suppression matches;
 * when a suppression matches all of them, ok, and the reason says so.
 */
function signalVerdict(
  service: string,
  anomalous: readonly BoardEntry[],
  suppressed: ReadonlySet<BoardEntry>,
): Verdict | undefined {
  const active = anomalous.filter((e) => !suppressed.has(e));
  const held = anomalous.length - active.length;
  const top = active[0];
  if (top) {
    const more = active.length - 1;
    return {
      state: 'degraded',
      reason:
        outOfBand(service, top) +
        (more > 0 ? `, and ${plural(more, 'more signal', 'more signals')} out of band` : '') +
        (held > 0 ? `; ${plural(held, 'anomalous signal', 'anomalous signals')} suppressed` : ''),
    };
  }
  const first = anomalous[0];
  if (!first) return undefined;
  return {
    state: 'ok',
    reason:
      `${outOfBand(service, first)} (suppressed)` +
      (held > 1
        ? `, and ${plural(held - 1, 'more anomalous signal', 'more anomalous signals')} suppressed`
        : ''),
  };
}

function calmVerdict(signals: readonly BoardEntry[], scored: boolean, boardLimit: number): Verdict {
  const learning = signals.filter((s) => s.learning).length;
  const n = signals.length;
  if (n === 0 && scored) {
    return {
      state: 'ok',
      reason: `scored recently; its series all score below the most anomalous ${boardLimit.toLocaleString('en-US')}`,
    };
  }
  if (n === 0) return { state: 'learning', reason: 'learning: no signal seen yet' };
  if (learning === n) {
    return {
      state: 'learning',
      reason: `learning: ${n === 1 ? 'its one signal is' : `all ${n} signals are`} still learning`,
    };
  }
  const settled = n - learning;
  const within =
    settled === n
      ? n === 1
        ? 'its one signal is within its band'
        : `all ${n} signals within their bands`
      : `${plural(settled, 'signal', 'signals')} within ${settled === 1 ? 'its band' : 'their bands'}`;
  return { state: 'ok', reason: learning > 0 ? `${within}, ${learning} still learning` : within };
}

/** A calm service still learning (`correlate.learning_ms`) says so, and until when. */
function learningVerdict(calm: Verdict, until: number | undefined): Verdict {
  if (until === undefined) return calm;
  const at = `${new Date(until).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const why = calm.reason.replace(/^learning: /, '');
  return { state: 'learning', reason: `learning until ${at}, and pages from then: ${why}` };
}

/**
 * The series the sparkline shows: the most anomalous now (one no suppression matches before a
 * suppressed one); when none is anomalous, the configured key signal, else an error signal,
 * else the first by name.
 */
function keySeries(
  signals: readonly BoardEntry[],
  anomalous: readonly BoardEntry[],
  suppressed: ReadonlySet<BoardEntry>,
  keySignal: string | undefined,
  patterns: SignalPatterns | undefined,
): string | null {
  const top = anomalous.find((e) => !suppressed.has(e)) ?? anomalous[0];
  if (top) return top.key;
  const byName = [...signals].sort((a, b) => a.key.localeCompare(b.key));
  const configured = keySignal ? byName.find((s) => globMatches(keySignal, s.metric)) : undefined;
  const pick =
    configured ?? byName.find((s) => signalKind(s.metric, patterns) === 'errors') ?? byName[0];
  return pick?.key ?? null;
}

function signalHealth(e: BoardEntry, suppressed: boolean): SignalHealth {
  return {
    series: e.key,
    signal: e.metric,
    ts: new Date(e.ts).toISOString(),
    value: sig6(e.value),
    expected: sig6(e.expected),
    lower: sig6(e.lower),
    upper: sig6(e.upper),
    score: r3(e.score),
    learning: e.learning,
    ...(suppressed ? { suppressed: true } : {}),
  };
}

function serviceIncident(inc: IncidentJson): ServiceIncident {
  return {
    id: inc.id,
    status: inc.status,
    severity: inc.severity,
    root_cause: inc.root_cause?.service ?? null,
    opened_at: inc.opened_at,
  };
}

/** Every service's health, the worst state first, then by name. */
export function serviceHealth(input: ServiceHealthInput): ServiceHealth[] {
  const { threshold, nowMs, patterns } = input;
  const byService = new Map<string, BoardEntry[]>();
  for (const e of input.board) {
    const list = byService.get(e.service);
    if (list) list.push(e);
    else byService.set(e.service, [e]);
  }
  const open = input.incidents
    .filter((i) => i.status === 'open' || i.status === 'acknowledged')
    .sort(newestFirst);
  const scored = input.scoredServices ?? new Set<string>();
  const boardLimit = input.boardLimit ?? BOARD_READ_LIMIT;
  const names = new Set([
    ...Object.keys(input.services),
    ...byService.keys(),
    ...scored,
    ...(input.learningUntil?.keys() ?? []),
    ...open.flatMap((i) => [...i.services, ...(i.root_cause ? [i.root_cause.service] : [])]),
  ]);
  const limit = input.signalsPerService ?? SIGNALS_PER_SERVICE;

  const health = [...names].map((service): ServiceHealth => {
    const settings = Object.hasOwn(input.services, service) ? input.services[service] : undefined;
    const signals = (byService.get(service) ?? []).sort(
      (a, b) => b.score - a.score || a.key.localeCompare(b.key),
    );
    const anomalous = signals.filter((e) => e.score >= threshold);
    const suppressed = new Set(
      input.suppressed
        ? anomalous.filter((e) => input.suppressed?.(service, e.metric, e.key, e.ts) === true)
        : [],
    );
    const fromIncident = worst(open.map((inc) => incidentVerdict(service, inc)));
    const until = input.learningUntil?.get(service);
    const verdict =
      worst([
        fromIncident,
        signalVerdict(service, anomalous, suppressed),
        input.inMaintenance?.(service, nowMs)
          ? { state: 'maintenance', reason: 'in maintenance window' }
          : undefined,
      ]) ?? learningVerdict(calmVerdict(signals, scored.has(service), boardLimit), until);
    return {
      service,
      state: verdict.state,
      reason: verdict.reason,
      key_series: keySeries(signals, anomalous, suppressed, settings?.key_signal, patterns),
      signals: signals.slice(0, limit).map((e) => signalHealth(e, suppressed.has(e))),
      incident: fromIncident?.incident ? serviceIncident(fromIncident.incident) : null,
      ...(settings?.description === undefined ? {} : { description: settings.description }),
      ...(until === undefined ? {} : { learning_until: new Date(until).toISOString() }),
    };
  });
  return health.sort((a, b) => rank(a.state) - rank(b.state) || a.service.localeCompare(b.service));
}

/**
 * `health` (worst first) with every configured service and at most `max` others (the first
 * of them: the worst), and how many others were left out. With `max` 0, configured services
 * only (the public page's list).
 */
export function capUnconfigured(
  health: readonly ServiceHealth[],
  configured: Readonly<Record<string, unknown>>,
  max = UNCONFIGURED_SERVICES_MAX,
): { services: ServiceHealth[]; omitted: number } {
  const services: ServiceHealth[] = [];
  let others = 0;
  let omitted = 0;
  for (const h of health) {
    if (Object.hasOwn(configured, h.service)) services.push(h);
    else if (others < max) {
      services.push(h);
      others++;
    } else omitted++;
  }
  return { services, omitted };
}
