/**
 * Queue names, job names and payload types: the one module through which the stages talk.
 * Every job any stage adds or takes is named here, with its payload type; the public form of an
 * incident (what the API answers, replay writes and receivers get) is here too, since the
 * notify queue carries it. Payloads are JSON (BullMQ serialises job data); batches are columnar
 * to stay compact. A job name is part of the Redis state (job schedulers are keyed by it):
 * renaming one leaves the old scheduler running until it is removed.
 */

export const QueueNames = {
  /** Metric sample batches, one queue per partition, worked one job at a time. */
  samples: (partition: number) => `samples.${partition}`,
  /** Log record batches, one queue per partition (by service). */
  logs: (partition: number) => `logs.${partition}`,
  /** Anomaly events from every detector, consumed by the correlator. */
  anomalies: 'anomalies',
  /** Notification work: deliveries to direct receivers, Alertmanager syncs, reminders. */
  notify: 'notify',
  /** Pull runs (query_range readers, scrape targets), created by job schedulers. */
  pull: 'pull',
  /** Remediation runs, their verification and the open-for checks of hooks. */
  remediate: 'remediate',
} as const;

export const JobNames = {
  /** `samples.N`: a {@link SampleBatch}, from ingest to detect. */
  SampleBatch: 'sample-batch',
  /** `logs.N`: a {@link LogBatch}, from ingest to logs. */
  LogBatch: 'log-batch',
  /** `anomalies`: an {@link AnomalyEvent}, from detect and logs to correlate. */
  Anomaly: 'anomaly',
  /** `anomalies`: the correlator's clock ({@link EmptyJob}), from a job scheduler of that name. */
  CorrelateTick: 'correlate-tick',
  /** `anomalies`: an {@link AckJob}, from the API, applied by the correlator in turn. */
  IncidentAck: 'incident-ack',
  /** `notify`: a {@link DeliveryJob}, one incident transition for one receiver. */
  Deliver: 'deliver',
  /** `notify`: tell every Alertmanager the incidents ({@link EmptyJob}); scheduled and on demand. */
  AlertmanagerSync: 'alertmanager-sync',
  /** `notify`: queue the reminders due ({@link EmptyJob}), from a minutely job scheduler. */
  Reminders: 'receiver-reminders',
  /** `notify`: an {@link EscalationJob}: a remediation did not clear its incident. */
  Escalation: 'remediation-escalation',
  /** `remediate`: a {@link RemediationJob}: run an approved remediation (through the guardrails). */
  RemediationRun: 'remediation-run',
  /** `remediate`: a {@link RemediationJob}: did the run clear the incident within verify_within? */
  RemediationVerify: 'remediation-verify',
  /** `remediate`: an {@link OpenForJob}: is the incident still open for an `open_for` hook? */
  RemediationOpenFor: 'remediation-open-for',
  /** A team's own queue (a `queue` remediation action): a {@link TeamRemediationJob}. */
  TeamRemediation: 'remediation',
  /** `pull`: a {@link PullJob} of kind `query`, from a job scheduler per query. */
  PullQuery: 'pull-query',
  /** `pull`: a {@link PullJob} of kind `scrape`, from a job scheduler per target. */
  PullScrape: 'pull-scrape',
} as const;

/** The payload of jobs that carry nothing (ticks, syncs, reminders). */
export type EmptyJob = Readonly<Record<string, never>>;

/** An acknowledgement of an open incident: applied by the correlator like any other change. */
export interface AckJob {
  readonly id: string;
  readonly by: string;
  /** Wall-clock ms of the request. */
  readonly at: number;
}

/**
 * `reminder`: still open and not acknowledged after a receiver's `repeat_interval_ms`;
 * `escalated`: a remediation ran and the incident did not clear within its `verify_within_ms`.
 */
export type Transition =
  'opened' | 'acknowledged' | 'reopened' | 'resolved' | 'reminder' | 'escalated';

/** One incident transition for one receiver (by its configured name). */
export interface DeliveryJob {
  readonly receiver: string;
  readonly transition: Transition;
  readonly incident: IncidentJson;
  /** What to add to the message (an escalation: which hook ran, and what it answered). */
  readonly note?: string;
}

/**
 * What a `queue` remediation action puts on a team's queue (and what the `http` action's
 * CloudEvent carries as `data`): the hook, its target, the idempotency key and the incident.
 */
export interface TeamRemediationJob {
  readonly hook: string;
  readonly target: string;
  readonly idempotency_key: string;
  readonly incident: IncidentJson;
}

/**
 * A job id for a key made of names from the wire (a service name may hold `:`, which BullMQ
 * refuses in custom ids, as its key separator): `%` and `:` escaped, so ids stay distinct.
 */
export const jobIdOf = (key: string): string => key.replaceAll('%', '%25').replaceAll(':', '%3A');

/** A remediation (by its id) to run or verify. */
export interface RemediationJob {
  readonly id: string;
}

/** An `open_for` hook's check: once the delay passes, is the incident still open? */
export interface OpenForJob {
  readonly incident: string;
  readonly hook: string;
  /** The incident's reopen count when it was scheduled: a later opening is another check. */
  readonly reopened: number;
}

/** A remediation ran and its incident did not clear: receivers are told, with its result. */
export interface EscalationJob {
  readonly incident: string;
  /** The remediation's id: one escalation per remediation reaches each receiver. */
  readonly remediation: string;
  /** Which remediation, and what its action answered. */
  readonly note: string;
}

/** A remediation as an incident lists it (the API's answer, notifications). */
export interface IncidentRemediation {
  readonly id: string;
  readonly hook: string;
  readonly mode: 'suggest' | 'approve' | 'auto';
  readonly target: string;
  /** suggested, pending, approved, rejected, running, succeeded, failed, skipped, dry_run, verified, escalated */
  readonly state: string;
  readonly reason?: string;
}

/** A pull run: which configured query or scrape target to run (by name). */
export type PullJob = (
  | { readonly kind: 'query'; readonly source: string; readonly query: string }
  | { readonly kind: 'scrape'; readonly target: string }
) & {
  /** Times a process without this source in its configuration handed the run back. */
  readonly handedBack?: number;
  /** When it was first handed back (ms). */
  readonly handedBackAt?: number;
};

/** One series as a batch names it. */
export interface SeriesMeta {
  /** Metric name plus sorted labels, Prometheus style: `name{a="1",b="2"}`. */
  readonly key: string;
  readonly metric: string;
  readonly service: string;
  readonly labels: Readonly<Record<string, string>>;
  /** A monotonic counter: turned into a per-second rate before any detector sees it. */
  readonly counter: boolean;
}

/** The columns of a batch of samples: sample i is series[idx[i]] at ts[i], value val[i]. */
interface SampleColumns {
  /** Wall-clock ms when ingest queued the batch (for the detector-lag metric). */
  readonly queuedAt: number;
  readonly idx: readonly number[];
  readonly ts: readonly number[];
  readonly val: readonly number[];
}

/** A batch of metric samples for one partition, columnar, each series in full. */
export interface SampleBatch extends SampleColumns {
  readonly v: 1;
  readonly series: readonly SeriesMeta[];
}

/**
 * A series as a compact batch names it: `[key, service, 1 if a counter else 0]`, and its metric
 * and labels only when the key cannot give them back (series-key.ts `keyIsParseable`; every
 * ingest path's names can). Half the bytes of a `SeriesMeta` for series of 10 labels.
 */
export type CompactSeries =
  | readonly [key: string, service: string, counter: 0 | 1]
  | readonly [
      key: string,
      service: string,
      counter: 0 | 1,
      metric: string,
      labels: Readonly<Record<string, string>>,
    ];

/**
 * What ingest writes to a samples partition queue since the compact form (v 2); the detect
 * stage reads v 1 too (jobs queued by an earlier version) and turns both into a `SampleBatch`.
 */
export interface CompactSampleBatch extends SampleColumns {
  readonly v: 2;
  readonly series: readonly CompactSeries[];
}

export interface LogRecord {
  readonly ts: number;
  readonly service: string;
  readonly level: string;
  readonly message: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface LogBatch {
  readonly v: 1;
  readonly queuedAt: number;
  readonly records: readonly LogRecord[];
}

/**
 * An anomaly: one scored sample at or above the threshold, of a metric or of a log series
 * (template line counts, error ratio, a new template), or a metric sample right after one that
 * is still beyond the band edge it crossed (the anomaly persisted; at its score,
 * detect/score-batch.ts). Correlation consumes these.
 */
export interface AnomalyEvent {
  /** Stable id: the same sample always yields the same id (retries are deduplicated). */
  readonly id: string;
  readonly kind: 'metric' | 'log';
  readonly series: string;
  readonly service: string;
  readonly signal: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Event time, ms since epoch. */
  readonly ts: number;
  /** The value scored (a per-second rate for counters). */
  readonly value: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly score: number;
  readonly detector: string;
  /** Log anomalies: the template's most severe level (trace … fatal). */
  readonly level?: string;
  /** Log anomalies: the template text, variables as `<*>`. */
  readonly template?: string;
  /** Log anomalies: a few example lines. */
  readonly examples?: readonly string[];
}

/** An anomaly on an incident's timeline, as the public form shows it. */
export interface IncidentJsonAnomaly {
  /** RFC 3339. */
  readonly ts: string | null;
  readonly service: string;
  readonly signal: string;
  readonly series: string;
  readonly value: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly score: number;
  readonly detector: string;
  /** Present (`log`) for log anomalies only. */
  readonly kind?: 'log';
  readonly level?: string;
  readonly template?: string;
  /** Log anomalies: a few raw lines of the template. */
  readonly examples?: readonly string[];
  /**
   * Present (true) when its series was anomalous at this time of day on one of the last seven
   * days: shown, but no evidence for opening an incident (docs/incidents.md, "Opening").
   */
  readonly recurring?: true;
  /**
   * Present (RFC 3339) when its service was still learning (`correlate.learning_ms` after its
   * first record): when the learning ends. Shown, joins an open incident, opens none.
   */
  readonly learning_until?: string;
}

/**
 * The log anomaly of the root cause that led its metrics, or its first one while no metric of it
 * has failed (`leading_log` of an explanation): `text` says it for people, e.g. `auth logged a
 * new error 2 min before failing: "dependency check failed for tenant <*>: timeout after <*>"`.
 */
export interface IncidentJsonLeadingLog {
  readonly service: string;
  /** `log_new_template`, `log_template_lines` or `log_error_ratio`. */
  readonly signal: string;
  /** RFC 3339: the line's time (a new template), or its log bucket's end (a surge, a ratio). */
  readonly ts: string | null;
  readonly level?: string;
  readonly template?: string;
  /** A raw line (clipped). */
  readonly example?: string;
  readonly value: number;
  readonly upper: number;
  /**
   * The root cause's first failing metric, which the log led, its time (RFC 3339) and the lead
   * in ms: null while none of its metrics has failed (an incident opened on logs alone).
   */
  readonly metric_signal: string | null;
  readonly metric_ts: string | null;
  readonly lead_ms: number | null;
  readonly text: string;
}

/** Why an incident is what it is: its root cause, the paths to it, its evidence, its severity. */
export interface IncidentJsonExplanation {
  /** RFC 3339: when it was made (the opening for `explanation_at_open`, the latest change). */
  readonly frozen_at: string | null;
  readonly root_cause: string;
  readonly why: readonly string[];
  /** The severity the evidence gave then, and why in one sentence. */
  readonly severity: 'critical' | 'warning';
  readonly severity_reason: string;
  /** The root cause's log anomaly that led its metrics, or null. */
  readonly leading_log: IncidentJsonLeadingLog | null;
  readonly dependency_paths: readonly (readonly string[])[];
  readonly dependency_edges: readonly {
    readonly from: string;
    readonly to: string;
    readonly source: 'configured' | 'discovered';
  }[];
  /** The incident's anomalies then, as the timeline shows them. */
  readonly anomalies: readonly Omit<IncidentJsonAnomaly, 'series' | 'kind'>[];
}

/**
 * The public form of an incident: `GET /api/v1/incidents/:id`, replay's incidents.json, every
 * receiver's payload. Times are RFC 3339 (null until they happen).
 */
export interface IncidentJson {
  readonly id: string;
  readonly status: 'candidate' | 'open' | 'acknowledged' | 'resolved';
  /** Now: a warning the evidence makes critical is raised (never lowered while it lives). */
  readonly severity: 'critical' | 'warning';
  /** When a warning was raised to critical (null: it opened critical, or is a warning). */
  readonly severity_raised_at: string | null;
  readonly opened_at: string | null;
  readonly resolved_at: string | null;
  readonly resolved_by: 'quiet' | 'max_length' | null;
  readonly reopened: number;
  readonly acknowledged_at: string | null;
  readonly acknowledged_by: string | null;
  readonly root_cause: {
    readonly service: string;
    readonly signal: string;
    readonly confidence: number;
  } | null;
  readonly candidates: readonly {
    readonly service: string;
    readonly signal: string;
    readonly confidence: number;
    readonly reasons: readonly string[];
  }[];
  readonly services: readonly string[];
  readonly anomaly_count: number;
  readonly timeline: readonly IncidentJsonAnomaly[];
  /** Its remediation hooks and their state, when any matched. */
  readonly remediations?: readonly IncidentRemediation[];
  /**
   * The current explanation, made again whenever the incident changes: it agrees with
   * `root_cause` and `candidates`. Null until the incident opens.
   */
  readonly explanation: IncidentJsonExplanation | null;
  /** The explanation as the incident opened: what its page said. Null until it opens. */
  readonly explanation_at_open: IncidentJsonExplanation | null;
}
