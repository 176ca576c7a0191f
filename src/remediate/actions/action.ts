/**
 * What a remediation action gets and gives back. An action runs once the guardrails let a run
 * start (guardrails.ts); a run that crashed before recording its result may be run again with
 * the same idempotency key, so an action must pass that key on (HTTP header, env, job id) for
 * the receiver to deduplicate.
 */
import type { IncidentJson } from '../../queues/contract.js';

export interface ActionRun {
  /** The run's id, also its idempotency key: `<incident>.<hook>.<reopened>.<target>`. */
  readonly idempotencyKey: string;
  readonly hook: string;
  /** The service the action is for. */
  readonly target: string;
  readonly incident: IncidentJson;
  /** Wall-clock ms. */
  readonly nowMs: number;
}

export interface ActionResult {
  /** True when the action says it did what was asked (2xx, exit 0, job queued). */
  readonly ok: boolean;
  /** A short, bounded account: status and answer, exit code and output, job id. */
  readonly detail: string;
  /**
   * True when a failure may pass on a later attempt with the same key (a network error, 5xx,
   * 429): the run job is retried; otherwise the failure is final.
   */
  readonly retryable?: boolean;
}

export type Action = (run: ActionRun) => Promise<ActionResult>;
