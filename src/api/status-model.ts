/**
 * What the status side shows, as data: the answer of `GET /api/v1/services` and
 * `GET /api/v1/series`, and what the status and incident pages render (src/web/). Times are
 * RFC 3339 strings, as everywhere in the API.
 */
import type { IncidentJson } from '../queues/contract.js';

/**
 * A service's state, worst first (the first that applies wins):
 * - `outage`: root cause of an open critical incident;
 * - `affected`: in an open incident whose root cause is another service;
 * - `maintenance`: a maintenance window covers it now (its samples are neither learned nor
 *   scored, so a score still held from before the window says nothing new);
 * - `degraded`: a signal scores at or above `detect.anomaly_threshold` and no suppression
 *   matches it, or root cause of an open warning incident;
 * - `learning`: every signal is still learning (or none has been seen yet);
 * - `ok`: otherwise (a suppressed anomalous signal included; also a service scored recently
 *   none of whose series is among the most anomalous 10,000 the status side reads).
 */
export type ServiceState = 'outage' | 'affected' | 'maintenance' | 'degraded' | 'learning' | 'ok';

/** Worst first: the order of `ServiceState` above. */
export const SERVICE_STATES: readonly ServiceState[] = [
  'outage',
  'affected',
  'maintenance',
  'degraded',
  'learning',
  'ok',
];

/** One series of a service as last scored (the score board's entry). */
export interface SignalHealth {
  readonly series: string;
  readonly signal: string;
  readonly ts: string;
  readonly value: number;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly score: number;
  readonly learning: boolean;
  /**
   * True on an anomalous signal (score at or above `detect.anomaly_threshold`) that a
   * suppression matches: it does not make its service degraded. Absent otherwise.
   */
  readonly suppressed?: boolean;
}

/**
 * The open incident a service is part of: the one that sets its state (root cause of a critical
 * one before affected by another's), the newest when several do.
 */
export interface ServiceIncident {
  readonly id: string;
  readonly status: IncidentJson['status'];
  readonly severity: IncidentJson['severity'];
  readonly root_cause: string | null;
  readonly opened_at: string | null;
}

export interface ServiceHealth {
  readonly service: string;
  readonly state: ServiceState;
  /** One sentence saying why, in plain words ("auth: http_error_ratio 0.25, expected 0.004-0.006"). */
  readonly reason: string;
  /** The series its sparkline shows: the most anomalous now, else the configured key signal. */
  readonly key_series: string | null;
  /** Its series, the most anomalous first (at most `signals_per_service`). */
  readonly signals: readonly SignalHealth[];
  readonly incident: ServiceIncident | null;
  /** The configured description, if any. */
  readonly description?: string;
  /**
   * Present while the service is learning (`correlate.learning_ms` after its first record):
   * when that ends (RFC 3339). Until then its anomalies open no incident.
   */
  readonly learning_until?: string;
}

/** One point of a series' recent history, one per minute of event time. */
export interface SeriesPoint {
  readonly ts: string;
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
  readonly score: number;
}

export interface SeriesHistoryJson {
  readonly series: string;
  readonly service: string;
  readonly signal: string;
  readonly score: number;
  readonly points: readonly SeriesPoint[];
}
