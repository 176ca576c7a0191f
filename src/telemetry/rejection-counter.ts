/**
 * `aiops_ingest_rejected_total{reason}` plus what a once-per-interval log line needs: every
 * rejection is counted here, and `takePending` hands over what was counted since the last call
 * (counts per reason and the first message of each), so ingest logs a summary per interval
 * and never a line per sample.
 */
import { Counter, type Registry } from 'prom-client';

export interface PendingRejections {
  readonly total: number;
  readonly byReason: Readonly<Record<string, number>>;
  /** The first message seen per reason in the interval, where the caller gave one. */
  readonly examples: Readonly<Record<string, string>>;
}

/** Distinct reasons kept per interval at most (reasons are a small fixed set; a guard). */
const MAX_REASONS = 64;

export class RejectionCounter {
  readonly #counter: Counter<'reason'>;
  #counts = new Map<string, number>();
  #examples = new Map<string, string>();

  constructor(registry: Registry) {
    this.#counter = new Counter({
      name: 'aiops_ingest_rejected_total',
      help: 'Records (samples, log lines, requests) refused by ingest, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
  }

  inc(labels: { readonly reason: string }, value = 1, example?: string): void {
    if (value <= 0) return;
    this.#counter.inc({ reason: labels.reason }, value);
    const had = this.#counts.get(labels.reason);
    if (had === undefined && this.#counts.size >= MAX_REASONS) return;
    this.#counts.set(labels.reason, (had ?? 0) + value);
    if (example !== undefined && !this.#examples.has(labels.reason)) {
      this.#examples.set(
        labels.reason,
        example.length > 300 ? `${example.slice(0, 297)}...` : example,
      );
    }
  }

  /** What was counted since the last call; resets the interval. */
  takePending(): PendingRejections {
    let total = 0;
    for (const n of this.#counts.values()) total += n;
    const pending = {
      total,
      byReason: Object.fromEntries(this.#counts),
      examples: Object.fromEntries(this.#examples),
    };
    this.#counts = new Map();
    this.#examples = new Map();
    return pending;
  }
}
