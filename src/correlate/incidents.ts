/**
 * The incident state machine: folds anomaly events into incidents, in event time. Pure and
 * deterministic: the same anomalies and `now` give the same incidents, so replay and the live
 * correlator (which persists this state in Redis) agree by construction.
 *
 * - Errors or latency below normal are left out (signal-kind.ts: nothing is failing).
 * - Grouping: an anomaly joins an incident when it falls within `window_ms` of the incident's
 *   anomalies and its service is one of the incident's services or adjacent to one in the
 *   dependency graph (or shares a `grouping_labels` value). An anomaly that bridges several
 *   not yet open incidents merges them, so arrival order does not matter.
 * - Opening: an incident is a candidate first; it opens (and pages) `settle_ms` after its first
 *   anomaly, so the upstream cause can arrive before the page, if it holds `min_anomalies`
 *   anomalies or one scoring `severe_score` or more, corroborated (`corroboration`, default
 *   on; qualifyingTs): failing ones only (a traffic fall is a symptom), none recurring (seen
 *   at this time of day on an earlier day), none from a service still learning (`learning_ms`
 *   after its first record), from `min_anomalies` series or one severe anomaly on what users
 *   feel, at two sample times at least (no single sample opens an incident), on something
 *   other than load. A candidate that never qualifies is dropped once `window_ms` passes
 *   without a new anomaly.
 * - Alignment: those decisions wait, in event time, for every pipeline to have delivered the
 *   anomalies stamped up to the deadline (`through`, given by the caller: replay folds in
 *   event-time order, so its own time is enough; the live correlator measures what the detect
 *   and log queues still hold, correlate-worker.ts). A log bucket's surge or error-ratio rise
 *   is stamped at the bucket's end, and leaves the log stage when the service's first line of a
 *   later bucket does: up to one bucket after its first lines. With settle_ms ≥ logs.bucket_ms
 *   (the defaults: a minute each), every bucket that began by the incident's first anomaly has
 *   ended by the deadline, so its anomaly is in the page; the bucket holding the deadline is
 *   stamped after it and comes as an update (docs/incidents.md, "Opening").
 * - Life: open → (acknowledged) → resolved after `quiet_ms` without a new anomaly; an anomaly that would have
 *   joined it within `flap_hold_ms` of resolving reopens the same incident; past
 *   `max_incident_ms` an incident is resolved and new anomalies start a new one.
 * - Explanations: per anomaly the detector, value vs band and score; the root cause's dependency
 *   paths; why it ranked first; the log line that led its metrics (leading-log.ts); the
 *   severity and why. `explanation_at_open` is frozen when the incident opens (what the page
 *   said); `explanation` is the current one, made again whenever the incident changes, so it
 *   always agrees with `root_cause` and `candidates`.
 * - Severity (severity.ts) only rises while the incident lives: a warning that becomes critical
 *   emits `raised` (which pages the receivers that route critical incidents).
 */
import { fnv1a32 } from '../queues/partition.js';
import { learningUntil } from '../queues/service-since.js';
import type { GraphEdge, ServiceGraph } from './graph.js';
import { leadingLog, type LeadingLog } from './leading-log.js';
import { rankRootCauses, type RankedAnomaly, type RootCauseCandidate } from './rank.js';
import { assessSeverity, higher, storedSeverity, type Severity } from './severity.js';
import {
  anomalyKind,
  polarity,
  polarityOf,
  type SignalKind,
  type SignalPatterns,
} from './signal-kind.js';

export interface CorrelateSettings {
  readonly window_ms: number;
  readonly settle_ms: number;
  readonly min_anomalies: number;
  readonly severe_score: number;
  readonly quiet_ms: number;
  readonly flap_hold_ms: number;
  readonly max_incident_ms: number;
  readonly grouping_labels: readonly string[];
  /**
   * Opening needs corroboration (default true): failing, not recurring evidence from
   * `min_anomalies` series (or one severe one on what users feel), at two sample times at
   * least, on something other than load (qualifyingTs). False: the rule before.
   */
  readonly corroboration?: boolean;
  /**
   * How long a service is learning after its first record (event time; 0 or unset: off): its
   * anomalies join incidents but open none (`fold`'s `serviceSince`).
   */
  readonly learning_ms?: number;
  /** Timeline entries kept per incident (the count of all is kept too). */
  readonly max_timeline: number;
  /**
   * The log stage's bucket width (`logs.bucket_ms`): a log line can yield an anomaly stamped up
   * to a bucket after it, so the live correlator looks that much further back in the queues.
   */
  readonly log_bucket_ms?: number;
}

export interface IncidentAnomaly extends RankedAnomaly {
  readonly id: string;
  readonly series: string;
  readonly lower: number;
  readonly upper: number;
  readonly detector: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Log anomalies: the template text. */
  readonly template?: string;
  /** Log anomalies: a few raw lines of the template (clipped). */
  readonly examples?: readonly string[];
  /**
   * Set when its series was anomalous at this time of day on one of the last seven days (a
   * batch job, a nightly backup): on the timeline, but no evidence for opening an incident.
   */
  readonly recurring?: true;
  /**
   * Set, to the event time its learning ends, when its service was still learning
   * (`learning_ms` after its first record): on the timeline, joins an open incident, but no
   * evidence for opening one.
   */
  readonly learning_until?: number;
}

export interface Explanation {
  /** The event time it was made: the opening (explanation_at_open), the latest change. */
  readonly frozen_at: number;
  readonly root_cause: string;
  readonly why: readonly string[];
  /** What the incident's evidence makes it, and why (absent on incidents stored before). */
  readonly severity?: Severity;
  readonly severity_reason?: string;
  /** The root cause's log anomaly that led its metrics, when one did. */
  readonly leading_log?: LeadingLog | null;
  readonly dependency_paths: readonly (readonly string[])[];
  /** The edges on those paths, each `configured` or `discovered` (service-graph metrics). */
  readonly dependency_edges: readonly GraphEdge[];
  readonly anomalies: readonly {
    readonly ts: number;
    readonly service: string;
    readonly signal: string;
    readonly detector: string;
    readonly value: number;
    readonly expected: number;
    readonly lower: number;
    readonly upper: number;
    readonly score: number;
    readonly level?: string;
    readonly template?: string;
  }[];
}

export interface Incident {
  readonly id: string;
  status: 'candidate' | 'open' | 'resolved';
  first_ts: number;
  last_ts: number;
  /** The state's time when the incident first appeared: the settle window runs from here too. */
  seen_at: number;
  opened_at: number | null;
  resolved_at: number | null;
  /** Why it was resolved: quiet for quiet_ms, or split at max_incident_ms. */
  resolved_by: 'quiet' | 'max_length' | null;
  reopened: number;
  /** Set when on-call acknowledged it (cleared when it reopens). */
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  services: string[];
  anomaly_count: number;
  timeline: IncidentAnomaly[];
  root_cause: { service: string; signal: string; confidence: number } | null;
  candidates: RootCauseCandidate[];
  /** The current explanation (agrees with root_cause and candidates); null until it opens. */
  explanation: Explanation | null;
  /** The explanation as it was when the incident opened: what the page said. */
  explanation_at_open?: Explanation | null;
  /** Its severity: as it opened, raised to critical once the evidence says so, never lowered. */
  severity?: Severity;
  /** Event time at which a warning became critical (null: it opened critical, or is a warning). */
  raised_at?: number | null;
}

export interface CorrelatorState {
  /** Candidates, open incidents and resolved ones still inside their flap hold. */
  incidents: Incident[];
  /** The latest anomaly time seen. */
  watermark: number;
  /** The time the state was last advanced to (anomaly time, or a live tick's clock). */
  now: number;
  /** Ids of the anomalies folded in lately (id → time), so a redelivered one changes nothing. */
  seen: Record<string, number>;
  /**
   * Transitions saved with the state but not yet handed on (notifications): written in the same
   * transaction as the change, removed once handed on, so a crash in between loses none.
   */
  outbox: { readonly type: IncidentEvent['type']; readonly incident: Incident }[];
  /**
   * When each series was last anomalous, one time per episode (times at least `window_ms`
   * apart), over the last week: an anomaly at the time of day one was seen on an earlier day
   * is not news (recurringBefore).
   */
  history: Record<string, number[]>;
}

/** How long (event time) and how many anomaly ids are remembered for deduplication. */
const SEEN_RETENTION_MS = 3_600_000;
const SEEN_MAX = 50_000;

/**
 * `updated`: new evidence joined an open incident (no page); `raised`: an open warning became
 * critical (pages the receivers that route critical incidents and had not been paged).
 */
export type IncidentEvent =
  | {
      readonly type: 'opened' | 'acknowledged' | 'reopened' | 'resolved' | 'updated' | 'raised';
      readonly incident: Incident;
    }
  | { readonly type: 'dropped'; readonly incident: Incident };

export const emptyCorrelatorState = (): CorrelatorState => ({
  incidents: [],
  watermark: Number.NEGATIVE_INFINITY,
  now: Number.NEGATIVE_INFINITY,
  seen: {},
  outbox: [],
  history: {},
});

export class Correlator {
  private graph: ServiceGraph;
  private readonly cfg: CorrelateSettings;
  get settings(): CorrelateSettings {
    return this.cfg;
  }

  /** Swaps the dependency graph (when service-graph metrics discover new edges). */
  setGraph(graph: ServiceGraph): void {
    this.graph = graph;
  }
  private readonly patterns: SignalPatterns | undefined;

  constructor(graph: ServiceGraph, cfg: CorrelateSettings, patterns?: SignalPatterns) {
    this.graph = graph;
    this.cfg = cfg;
    this.patterns = patterns;
  }

  /** Same or adjacent service (or a shared grouping label), close enough in time. */
  private related(inc: Incident, a: IncidentAnomaly): boolean {
    // A resolved incident's time test is its flap hold (checked by the caller).
    const recent =
      inc.status === 'resolved' ||
      (a.ts <= inc.last_ts + this.cfg.window_ms && a.ts >= inc.first_ts - this.cfg.window_ms);
    if (!recent) return false;
    if (inc.services.some((s) => this.graph.adjacent(s, a.service))) return true;
    // Topology unknown (the graph names neither the anomaly's service nor the incident's):
    // time alone groups them, within window_ms of the incident's onset.
    if (
      inc.status !== 'resolved' &&
      !this.knows(a.service) &&
      inc.services.every((s) => !this.knows(s)) &&
      a.ts <= inc.first_ts + this.cfg.window_ms
    ) {
      return true;
    }
    return this.cfg.grouping_labels.some((l) => {
      const v = a.labels[l];
      return v !== undefined && inc.timeline.some((x) => x.labels[l] === v);
    });
  }

  /** The services the current graph names (made again when the graph is swapped). */
  private known: { graph: ServiceGraph; services: ReadonlySet<string> } | undefined;

  /** True when the graph names the service (configured, or an end of a discovered edge). */
  private knows(service: string): boolean {
    if (this.known?.graph !== this.graph) {
      this.known = { graph: this.graph, services: new Set(this.graph.services) };
    }
    return this.known.services.has(service);
  }
  /**
   * Whether each service of the incident must qualify on its own evidence: when it holds a
   * service the graph does not name (grouped by time alone, or by a label, or named only since
   * by a discovered edge), evidence from several services is no corroboration. Only services
   * the graph names corroborate each other.
   */
  private alone(inc: Incident): boolean {
    return inc.services.length > 1 && inc.services.some((s) => !this.knows(s));
  }

  private rerank(inc: Incident): void {
    // Grouped by time alone: a root cause must have failed on its own evidence.
    const own = this.alone(inc)
      ? inc.services.filter((s) => ownQualifyingTs(inc, s, this.cfg, this.patterns) !== null)
      : [];
    // None corroborated yet (a candidate): no service is set apart.
    const corroborated = own.length > 0 ? new Set(own) : undefined;
    inc.candidates = rankRootCauses(inc.timeline, this.graph, this.patterns, corroborated);
    const top = inc.candidates[0];
    inc.root_cause = top
      ? { service: top.service, signal: top.signal, confidence: round(top.confidence) }
      : null;
  }

  private add(inc: Incident, a: IncidentAnomaly): void {
    inc.anomaly_count += 1;
    inc.first_ts = Math.min(inc.first_ts, a.ts);
    inc.last_ts = Math.max(inc.last_ts, a.ts);
    if (!inc.services.includes(a.service)) inc.services.push(a.service);
    // Keep the earliest entries: the onset is what explains an incident. But past the bound,
    // the latest entry that is no evidence (a learning service's, a recurring one) goes first:
    // a candidate filled with them must still see what would open it.
    inc.timeline.push(a);
    inc.timeline.sort((x, y) => x.ts - y.ts || x.id.localeCompare(y.id));
    if (inc.timeline.length > this.cfg.max_timeline) {
      const idle = inc.timeline.findLastIndex(
        (x) => x.learning_until !== undefined || x.recurring === true,
      );
      if (idle >= 0) inc.timeline.splice(idle, 1);
      else inc.timeline.length = this.cfg.max_timeline;
    }
  }

  /**
   * Folds one anomaly in: first moves time to the anomaly's (so what resolved or split before it
   * is settled), then groups it, then opens what now qualifies. Returns the events.
   * `through`: the event time up to which every pipeline has delivered its anomalies (see
   * advance); by default, all of them (replay folds in event-time order). `serviceSince`: the
   * event time of the anomaly's service's first record (queues/service-since.ts), undefined
   * when unknown (then it is not learning).
   */
  fold(
    state: CorrelatorState,
    anomaly: IncidentAnomaly,
    through = Infinity,
    serviceSince?: number,
  ): IncidentEvent[] {
    let a = anomaly;
    if (Object.hasOwn(state.seen, a.id)) return [];
    state.watermark = Math.max(state.watermark, a.ts);
    const events = this.advance(state, a.ts, through);
    // Errors or latency below normal: an anomaly, but nothing is failing.
    if (polarity(a, this.patterns) === 'benign') return events;
    remember(state, a);
    if (recurringBefore(state, a, this.cfg.window_ms)) a = { ...a, recurring: true };
    const until = learningUntil(serviceSince, this.cfg.learning_ms ?? 0, a.ts);
    if (until !== undefined) a = { ...a, learning_until: until };
    const live = state.incidents.filter(
      (inc) => inc.status !== 'resolved' || inc.resolved_by === 'quiet',
    );
    const matches = live.filter((inc) =>
      inc.status === 'resolved'
        ? a.ts <= (inc.resolved_at ?? 0) + this.cfg.flap_hold_ms && this.related(inc, a)
        : this.related(inc, a),
    );
    // Prefer an open incident (it has paged), the earliest opened first.
    matches.sort(
      (x, y) =>
        rank(x.status) - rank(y.status) ||
        (x.opened_at ?? x.first_ts) - (y.opened_at ?? y.first_ts),
    );
    const target = matches[0];
    let reopenedNow = false;
    if (!target) {
      state.incidents.push({
        id: incidentId(a),
        status: 'candidate',
        first_ts: a.ts,
        last_ts: a.ts,
        seen_at: state.now,
        opened_at: null,
        resolved_at: null,
        resolved_by: null,
        reopened: 0,
        acknowledged_at: null,
        acknowledged_by: null,
        services: [a.service],
        anomaly_count: 1,
        timeline: [a],
        root_cause: null,
        candidates: [],
        explanation: null,
        explanation_at_open: null,
      });
      this.rerank(state.incidents.at(-1) as Incident);
    } else {
      if (target.status === 'resolved') {
        target.status = 'open';
        target.resolved_at = null;
        target.resolved_by = null;
        target.reopened += 1;
        target.acknowledged_at = null;
        target.acknowledged_by = null;
        reopenedNow = true;
        events.push({ type: 'reopened', incident: target });
      }
      this.add(target, a);
      // Candidates the anomaly also belongs to merge into the target (nothing has paged).
      for (const other of matches.slice(1)) {
        if (other.status !== 'candidate') continue;
        for (const x of other.timeline) this.add(target, x);
        target.seen_at = Math.min(target.seen_at, other.seen_at);
        target.anomaly_count += other.anomaly_count - other.timeline.length;
        state.incidents.splice(state.incidents.indexOf(other), 1);
      }
      this.rerank(target);
      if (target.status === 'open') {
        events.push({ type: 'updated', incident: target });
        // A reopening pages with the severity it has now: no separate raise.
        if (this.refresh(target, state.now) && !reopenedNow) {
          events.push({ type: 'raised', incident: target });
        }
      }
    }
    return [...events, ...this.advance(state, state.now, through)];
  }

  /**
   * The event time after which a candidate may open, its settle deadline: from its first
   * anomaly's time, or from when it appeared if later (live data minutes old: anomalies of
   * other partitions are still on their way).
   */
  opensAfter(inc: Incident): number {
    return Math.max(inc.first_ts, inc.seen_at) + this.cfg.settle_ms;
  }

  /**
   * The candidates whose decision (open or drop) is due at the state's time but waits for the
   * pipelines: the earliest first anomaly among them (anomalies older than it by more than
   * `window_ms` cannot join them), or null when none waits.
   */
  awaiting(state: CorrelatorState): number | null {
    let earliest: number | null = null;
    for (const inc of state.incidents) {
      if (inc.status !== 'candidate') continue;
      const due = this.qualifies(inc)
        ? state.now > this.opensAfter(inc)
        : state.now > inc.last_ts + this.cfg.window_ms;
      if (due) earliest = Math.min(earliest ?? Infinity, inc.first_ts);
    }
    return earliest;
  }

  private qualifies(inc: Incident): boolean {
    return qualifyingTs(inc, this.cfg, this.patterns, this.alone(inc)) !== null;
  }

  /**
   * Makes the current explanation and severity again (an open incident changed). Returns true
   * when the severity rose from warning to critical.
   */
  private refresh(inc: Incident, at: number): boolean {
    // An incident stored before severities were kept: the severity its labels were given.
    const stored =
      inc.explanation === null
        ? undefined
        : storedSeverity((inc.explanation_at_open ?? inc.explanation).anomalies);
    const before = inc.severity ?? stored;
    inc.explanation = this.explain(inc, at);
    const now = inc.explanation.severity ?? 'warning';
    inc.severity = before === undefined ? now : higher(before, now);
    if (before === 'warning' && inc.severity === 'critical') {
      inc.raised_at = at;
      return true;
    }
    return false;
  }

  /**
   * On-call acknowledged an open incident: it stays open (and keeps grouping) but is marked, with
   * an event. Returns no event when the incident is not open or already acknowledged.
   */
  acknowledge(state: CorrelatorState, id: string, by: string, at: number): IncidentEvent[] {
    const inc = state.incidents.find((i) => i.id === id);
    if (!inc || inc.status !== 'open' || inc.acknowledged_at !== null) return [];
    inc.acknowledged_at = at;
    inc.acknowledged_by = by;
    return [{ type: 'acknowledged', incident: inc }];
  }

  /**
   * Moves event time to `now`: opens settled candidates, resolves quiet incidents. A candidate
   * is decided (opened, or dropped) only once `through`, the event time up to which every
   * pipeline has delivered its anomalies, has passed its deadline too: so the anomalies stamped
   * before it (a log stage running behind the metrics, another partition) are in the page.
   */
  advance(state: CorrelatorState, to: number, through = Infinity): IncidentEvent[] {
    // Time never goes back: an anomaly older than the state's time is grouped at that time.
    const now = Math.max(state.now, to);
    state.now = now;
    const clock = Math.min(now, through);
    const events: IncidentEvent[] = [];
    const cfg = this.cfg;
    for (const inc of [...state.incidents]) {
      if (inc.status === 'candidate') {
        const qualifies = this.qualifies(inc);
        const opensAfter = this.opensAfter(inc);
        // Strictly after: an anomaly at the very end of the settle window still joins first.
        if (qualifies && clock > opensAfter) {
          inc.status = 'open';
          inc.opened_at = Math.max(
            opensAfter,
            qualifyingTs(inc, cfg, this.patterns, this.alone(inc)) ?? inc.last_ts,
          );
          this.rerank(inc);
          this.refresh(inc, inc.opened_at);
          inc.explanation_at_open = inc.explanation;
          events.push({ type: 'opened', incident: inc });
        } else if (!qualifies && clock > inc.last_ts + cfg.window_ms) {
          state.incidents.splice(state.incidents.indexOf(inc), 1);
          events.push({ type: 'dropped', incident: inc });
        }
      } else if (inc.status === 'open') {
        if (now >= inc.last_ts + cfg.quiet_ms) {
          inc.status = 'resolved';
          inc.resolved_at = inc.last_ts + cfg.quiet_ms;
          inc.resolved_by = 'quiet';
          events.push({ type: 'resolved', incident: inc });
        } else if (now >= (inc.opened_at ?? now) + cfg.max_incident_ms) {
          inc.status = 'resolved';
          inc.resolved_at = (inc.opened_at ?? now) + cfg.max_incident_ms;
          inc.resolved_by = 'max_length';
          events.push({ type: 'resolved', incident: inc });
        }
      }
      if (
        inc.status === 'resolved' &&
        (inc.resolved_by === 'max_length' || now > (inc.resolved_at ?? 0) + cfg.flap_hold_ms)
      ) {
        state.incidents.splice(state.incidents.indexOf(inc), 1);
      }
    }
    return events;
  }

  private explain(inc: Incident, at: number): Explanation {
    const top = inc.candidates[0];
    const root = top?.service ?? '';
    const severity = assessSeverity(inc.services, inc.timeline, this.patterns);
    const paths = inc.services
      .filter((s) => s !== root)
      // Callers down to the root cause, or the root cause down to what it calls.
      .map((s) => this.graph.pathDown(s, root) ?? this.graph.pathDown(root, s))
      .filter((p): p is readonly string[] => p !== undefined);
    return {
      frozen_at: at,
      root_cause: root,
      why: top?.reasons ?? [],
      severity: severity.severity,
      severity_reason: severity.reason,
      leading_log: root === '' ? null : leadingLog(root, inc.timeline, this.patterns),
      dependency_paths: paths,
      dependency_edges: this.graph.edges.filter((e) =>
        paths.some((p) => p.some((x, i) => x === e.from && p[i + 1] === e.to)),
      ),
      anomalies: inc.timeline.map((a) => ({
        ts: a.ts,
        service: a.service,
        signal: a.signal,
        detector: a.detector,
        value: a.value,
        expected: a.expected,
        lower: a.lower,
        upper: a.upper,
        score: a.score,
        ...(a.level === undefined ? {} : { level: a.level }),
        ...(a.template === undefined ? {} : { template: a.template }),
      })),
    };
  }
}

/** 64 bits from the first anomaly's id and time: stable across restarts, unlikely to repeat. */
function incidentId(a: IncidentAnomaly): string {
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  return `inc-${hex(fnv1a32(a.id))}${hex(fnv1a32(`${a.id}|${a.ts}`))}`;
}

const DAY_MS = 86_400_000;
const HISTORY_DAYS = 7;
/** Episodes kept per series, and series kept: the state stays bounded whatever the load. */
const HISTORY_PER_SERIES = 32;
const HISTORY_SERIES = 5_000;

/**
 * Whether the anomaly's series was anomalous at the same time of day (within `toleranceMs`) on
 * one of the last seven days, a week ago included (a weekly job); then records this one. The
 * first run of a daily job pages; its repeats are not news.
 */
export function recurringBefore(
  state: CorrelatorState,
  a: { readonly series: string; readonly ts: number },
  toleranceMs: number,
): boolean {
  const times = state.history[a.series] ?? [];
  let recurring = false;
  for (const t of times) {
    const days = Math.round((a.ts - t) / DAY_MS);
    if (days < 1 || days > HISTORY_DAYS) continue;
    if (Math.abs(a.ts - t - days * DAY_MS) <= toleranceMs) {
      recurring = true;
      break;
    }
  }
  const last = times.at(-1);
  if (last === undefined || a.ts - last >= toleranceMs) {
    const oldest = a.ts - (HISTORY_DAYS * DAY_MS + toleranceMs);
    const kept = times.filter((t) => t >= oldest);
    kept.push(a.ts);
    if (kept.length > HISTORY_PER_SERIES) kept.splice(0, kept.length - HISTORY_PER_SERIES);
    if (state.history[a.series] === undefined) pruneHistory(state, oldest);
    state.history[a.series] = kept;
  }
  return recurring;
}

/**
 * Evidence of something other than load: not traffic, and when traffic rose in the incident,
 * not what follows it (saturation, signals of no known kind, the total time spent serving).
 * Errors, availability and latency as a latency (p99, max, mean) always are.
 */
function notLoad(kind: SignalKind, timeSpent: boolean, loaded: boolean): boolean {
  if (kind === 'traffic') return false;
  if (!loaded) return true;
  return kind !== 'saturation' && kind !== 'other' && !timeSpent;
}

/**
 * What users feel: errors, availability, latency; the total time spent serving (a histogram's
 * `_sum`) only when no traffic rise explains it.
 */
function felt(kind: SignalKind, timeSpent: boolean, loaded: boolean): boolean {
  if (kind === 'errors' || kind === 'availability') return true;
  return kind === 'latency' && (!loaded || !timeSpent);
}

/** A latency signal that sums time spent serving (it grows with load as with latency). */
const isTimeSpent = (kind: SignalKind, signal: string): boolean =>
  kind === 'latency' &&
  /_sum$|(?:duration|time)_seconds_total$/.test(signal.toLowerCase().replaceAll('.', '_'));

/** Before a new series is added: drops series quiet for a week, and the oldest past the cap. */
function pruneHistory(state: CorrelatorState, oldest: number): void {
  const entries = Object.entries(state.history);
  if (entries.length < HISTORY_SERIES) return;
  const live = entries
    .filter(([, ts]) => (ts.at(-1) ?? -Infinity) >= oldest)
    .sort((x, y) => (y[1].at(-1) ?? 0) - (x[1].at(-1) ?? 0))
    .slice(0, Math.floor(HISTORY_SERIES * 0.9));
  state.history = Object.fromEntries(live);
}

function remember(state: CorrelatorState, a: IncidentAnomaly): void {
  state.seen[a.id] = a.ts;
  const ids = Object.keys(state.seen);
  const oldest = state.watermark - SEEN_RETENTION_MS;
  if (ids.length <= SEEN_MAX && (state.seen[ids[0] ?? ''] ?? Infinity) >= oldest) return;
  const kept = Object.entries(state.seen)
    .filter(([, ts]) => ts >= oldest)
    .sort((x, y) => y[1] - x[1])
    .slice(0, SEEN_MAX);
  state.seen = Object.fromEntries(kept);
}

/**
 * An anomaly severe enough to open an incident alone: a metric one scoring `severe` or more. A
 * log anomaly never is: one log signal (a burst of a rare template) needs another to page.
 */
export const isSevere = (
  a: { readonly kind: string; readonly score: number },
  severe: number,
): boolean => a.kind !== 'log' && a.score >= severe;

const rank = (s: Incident['status']): number => (s === 'open' ? 0 : s === 'resolved' ? 1 : 2);
const round = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Event time at which the candidate first qualified to open, or null while it does not. Without
 * corroboration: its `min_anomalies`-th anomaly, or its first severe one. With it (the
 * default), only failing evidence counts: a traffic fall is what a failed caller's callees see
 * (a symptom), and recurring anomalies are none. It must come from `min_anomalies` series (a
 * series that stays anomalous counts once: the detect stage confirms a lasting anomaly with a
 * second event) or hold a severe anomaly on what users feel (`felt`), span two sample times (no
 * single sample opens an incident, on any signal) and hold something other than load
 * (`notLoad`: a rise in traffic alone is load, not a fault).
 */
/** When `service`'s own anomalies in the incident qualified it to open, or null. */
function ownQualifyingTs(
  inc: Incident,
  service: string,
  cfg: CorrelateSettings,
  patterns: SignalPatterns | undefined,
): number | null {
  const timeline = inc.timeline.filter((x) => x.service === service);
  return qualifyingTs({ ...inc, timeline, anomaly_count: timeline.length }, cfg, patterns);
}

function qualifyingTs(
  inc: Incident,
  cfg: CorrelateSettings,
  patterns: SignalPatterns | undefined,
  perService = false,
): number | null {
  if (perService) {
    let at: number | null = null;
    for (const service of inc.services) {
      const ts = ownQualifyingTs(inc, service, cfg, patterns);
      if (ts !== null && (at === null || ts < at)) at = ts;
    }
    return at;
  }
  if (cfg.corroboration === false) {
    // A learning service's anomalies are never evidence (and the count of all only stands for
    // them when none is learning).
    const evidence = inc.timeline.filter((x) => x.learning_until === undefined);
    const severe = evidence.find((x) => isSevere(x, cfg.severe_score))?.ts ?? Infinity;
    const whole = evidence.length === inc.timeline.length;
    const nth =
      (whole ? inc.anomaly_count : evidence.length) >= cfg.min_anomalies
        ? (evidence[cfg.min_anomalies - 1]?.ts ?? inc.last_ts)
        : Infinity;
    const at = Math.min(severe, nth);
    return Number.isFinite(at) ? at : null;
  }
  // Each anomaly's kind once (a glob match); whether traffic rose anywhere in the incident:
  // then CPU, memory, busy time and the like follow the load.
  const kinds = inc.timeline.map((x) => anomalyKind(x, patterns));
  const loaded = inc.timeline.some((x, i) => kinds[i] === 'traffic' && x.value > x.expected);
  const series = new Set<string>();
  let severe = false;
  let beyondTraffic = false;
  let firstTs = Number.NaN;
  let twoTimes = false;
  for (const [i, x] of inc.timeline.entries()) {
    const kind = kinds[i] ?? 'other';
    if (x.recurring === true || x.learning_until !== undefined) continue;
    if (polarityOf(kind, x.value < x.expected) !== 'failure') continue;
    const timeSpent = isTimeSpent(kind, x.signal);
    series.add(x.series);
    severe ||= isSevere(x, cfg.severe_score) && felt(kind, timeSpent, loaded);
    beyondTraffic ||= x.kind === 'log' || notLoad(kind, timeSpent, loaded);
    if (Number.isNaN(firstTs)) firstTs = x.ts;
    twoTimes ||= x.ts !== firstTs;
    if ((series.size >= cfg.min_anomalies || severe) && twoTimes && beyondTraffic) return x.ts;
  }
  return null;
}
