/**
 * `aiops_remediations_total{hook,outcome}`: every remediation decision (suggested, pending,
 * approved, rejected, skipped, would_run, started, succeeded, failed, verified, escalated).
 * Hook names come from the config, so the label set stays bounded.
 */
import { Counter, type Registry } from 'prom-client';

export class RemediationMetrics {
  readonly #decisions: Counter<'hook' | 'outcome'>;

  constructor(registry: Registry) {
    this.#decisions = new Counter({
      name: 'aiops_remediations_total',
      help: 'Remediation decisions, by hook and outcome (suggested, pending, approved, rejected, skipped, would_run, started, succeeded, failed, verified, escalated).',
      labelNames: ['hook', 'outcome'] as const,
      registers: [registry],
    });
  }

  count(hook: string, outcome: string): void {
    this.#decisions.inc({ hook, outcome });
  }
}
