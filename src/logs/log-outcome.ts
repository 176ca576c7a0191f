/**
 * What one run of the log stage (log-analysis.ts) reports: its anomaly events, its counts, and
 * the services and series whose state changed.
 */
import type { LatestScore } from '../detect/score-batch.js';
import type { AnomalyEvent } from '../queues/contract.js';

export interface LogOutcome {
  readonly anomalies: AnomalyEvent[];
  /** Templates created (new), and refined or merged (changed). */
  created: number;
  changed: number;
  /** Records older than their service's open bucket: mined, counted in the open bucket. */
  late: number;
  /** Records dated after `maxTs` (a clock gone wrong): skipped. */
  future: number;
  /** New-template anomalies over `newTemplateLimit` in a bucket: counted, not emitted. */
  suppressedNew: number;
  /** Anomalies a suppression (detect/suppressions.ts) held back: counted, not emitted. */
  suppressed: number;
  readonly suppressedAnomalies: AnomalyEvent[];
  /** Series samples scored. */
  scored: number;
  /** Services whose state changed. */
  readonly touched: Set<string>;
  /** Per service, the template ids (-1: error ratio) whose detector series were scored. */
  readonly touchedSeries: Map<string, Set<number>>;
  /** Keys of detector series dropped (their template merged or evicted). */
  readonly droppedSeries: string[];
  /** The latest score of each log series scored (for the score board and /metrics). */
  readonly latest: Map<string, LatestScore>;
  /**
   * Each log series' earlier minutes closed within the batch (for the series history): only
   * with `scoring.keepStepEnds` (detect/score-batch.ts), else empty.
   */
  readonly stepEnds: LatestScore[];
}

export const emptyLogOutcome = (): LogOutcome => ({
  anomalies: [],
  created: 0,
  changed: 0,
  late: 0,
  future: 0,
  suppressedNew: 0,
  suppressed: 0,
  suppressedAnomalies: [],
  scored: 0,
  touched: new Set(),
  touchedSeries: new Map(),
  droppedSeries: [],
  latest: new Map(),
  stepEnds: [],
});

/** Template text in anomaly events is clipped to this many characters. */
export const TEMPLATE_CHARS = 500;

export const clip = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;
