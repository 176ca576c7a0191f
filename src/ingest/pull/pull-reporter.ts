/**
 * Says how pull runs went, in metrics on every run and in the log only when a source's state
 * changes (it starts failing, fails for another reason, recovers), so a Prometheus that is down
 * for an hour costs one warning, not one per run, and never one per sample.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../telemetry/logger.js';
import { isRoutineRejection } from '../records.js';
import type { PullError } from './pull-error.js';

export class PullReporter {
  readonly #log: Logger;
  readonly #up: Gauge<'source'>;
  readonly #runs: Counter<'source' | 'outcome'>;
  readonly #failures: Counter<'source' | 'reason'>;
  readonly #duration: Gauge<'source'>;
  readonly #watermark: Gauge<'source'>;
  /** The last failure reason per source ('' when its last run went well). */
  readonly #state = new Map<string, string>();
  readonly #rejecting = new Set<string>();

  constructor(registry: Registry, log: Logger) {
    this.#log = log;
    const registers = [registry];
    this.#up = new Gauge({
      name: 'aiops_pull_up',
      help: 'Whether the last run of a pull source (query or scrape target) succeeded: 1 or 0.',
      labelNames: ['source'] as const,
      registers,
    });
    this.#runs = new Counter({
      name: 'aiops_pull_runs_total',
      help: 'Pull runs, by source and outcome (ok, failed, overlap: skipped while the previous run was still going, not_configured: no process that took it had the source configured).',
      labelNames: ['source', 'outcome'] as const,
      registers,
    });
    this.#failures = new Counter({
      name: 'aiops_pull_failures_total',
      help: 'Failed pull runs, by source and reason (timeout, network, http_status, api_error, bad_response, too_large, queue_unavailable).',
      labelNames: ['source', 'reason'] as const,
      registers,
    });
    this.#duration = new Gauge({
      name: 'aiops_pull_duration_seconds',
      help: 'How long the last run of a pull source took.',
      labelNames: ['source'] as const,
      registers,
    });
    this.#watermark = new Gauge({
      name: 'aiops_pull_watermark_seconds',
      help: 'End of the range a query_range reader has queued up to (unix seconds).',
      labelNames: ['source'] as const,
      registers,
    });
  }

  ok(source: string, seconds: number): void {
    this.#runs.inc({ source, outcome: 'ok' });
    this.#up.set({ source }, 1);
    this.#duration.set({ source }, seconds);
    if (this.#state.get(source)) this.#log.info({ source }, 'pull source recovered');
    this.#state.set(source, '');
  }

  failed(source: string, err: PullError, seconds: number): void {
    this.#runs.inc({ source, outcome: 'failed' });
    this.#failures.inc({ source, reason: err.reason });
    this.#up.set({ source }, 0);
    this.#duration.set({ source }, seconds);
    if (this.#state.get(source) !== err.reason) {
      this.#log.warn(
        { source, reason: err.reason, err },
        'pull failed; the next run retries (further failures for this reason are only counted)',
      );
    }
    this.#state.set(source, err.reason);
  }

  overlap(source: string): void {
    this.#runs.inc({ source, outcome: 'overlap' });
  }

  /** A run dropped: every process that took it lacked the source (logged once per source). */
  notConfigured(source: string, tries: number): void {
    this.#runs.inc({ source, outcome: 'not_configured' });
    if (this.#state.get(source) === 'not_configured') return;
    this.#state.set(source, 'not_configured');
    this.#log.warn(
      { source, tries },
      'pull run dropped: the processes that took it do not have this source configured (processes sharing a redis.prefix should share the pull section; further drops are only counted)',
    );
  }

  watermark(source: string, ms: number): void {
    this.#watermark.set({ source }, ms / 1000);
  }

  /** Samples of a source that failed validation (they are counted in aiops_ingest_rejected_total). */
  rejected(source: string, counts: ReadonlyMap<string, number>): void {
    // NaN values are routine (summaries without observations): counted, not warned about.
    if ([...counts.keys()].every(isRoutineRejection)) {
      this.#rejecting.delete(source);
      return;
    }
    if (this.#rejecting.has(source)) return;
    this.#rejecting.add(source);
    this.#log.warn(
      { source, rejected: Object.fromEntries(counts) },
      'pulled samples rejected (counted in aiops_ingest_rejected_total)',
    );
  }

  skipped(source: string, skippedMs: number): void {
    this.#log.warn(
      { source, skippedMs },
      'pull watermark is older than catch_up_ms; the range before the catch-up bound is not read',
    );
  }
}
