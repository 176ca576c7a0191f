/**
 * `aiops_feedback_total{verdict}`: feedback taken through the API, by verdict (`false_positive`,
 * `true_positive`). Counted by the process the request landed on.
 */
import { Counter, type Registry } from 'prom-client';
import type { Verdict } from './feedback.js';

export class FeedbackMetrics {
  readonly #feedback: Counter<'verdict'>;

  constructor(registry: Registry) {
    this.#feedback = new Counter({
      name: 'aiops_feedback_total',
      help: 'Feedback on incidents taken through the API, by verdict (false_positive, true_positive).',
      labelNames: ['verdict'] as const,
      registers: [registry],
    });
  }

  count(verdict: Verdict): void {
    this.#feedback.inc({ verdict });
  }
}
