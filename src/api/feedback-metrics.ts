/**
 * `aiops_feedback_total{verdict}`: feedback taken through the API, by verdict (`false_positive`,
 * `true_positive`). Counted by the process the request landed on. Both verdicts are exported at
 * 0 from the start, so `rate()` and `increase()` see the first feedback as an increase rather
 * than as the start of a new series.
 */
import { Counter, type Registry } from 'prom-client';
import { VERDICTS, type Verdict } from './feedback.js';

export class FeedbackMetrics {
  readonly #feedback: Counter<'verdict'>;

  constructor(registry: Registry) {
    this.#feedback = new Counter({
      name: 'aiops_feedback_total',
      help: 'Feedback on incidents taken through the API, by verdict (false_positive, true_positive).',
      labelNames: ['verdict'] as const,
      registers: [registry],
    });
    for (const verdict of VERDICTS) this.#feedback.inc({ verdict }, 0);
  }

  count(verdict: Verdict): void {
    this.#feedback.inc({ verdict });
  }
}
