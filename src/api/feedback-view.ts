/**
 * What the incident and status pages (src/web/) show of feedback: an incident's verdicts, the
 * suppressions in force, and which of them its feedback created.
 */
import type { SuppressionStore } from '../detect/suppression-store.js';
import type { Suppression } from '../detect/suppressions.js';
import type { FeedbackEntry } from './feedback.js';
import type { FeedbackStore } from './feedback-store.js';

export interface FeedbackView {
  /** The incident's feedback, oldest first. */
  readonly feedback: readonly FeedbackEntry[];
  /** Every suppression in force, oldest first (the status page lists them). */
  readonly suppressions: readonly Suppression[];
  /** The ones the incident's feedback created (still in force). */
  readonly incident_suppressions: readonly Suppression[];
}

export async function readFeedbackView(
  stores: {
    readonly feedback: Pick<FeedbackStore, 'ofIncident'>;
    readonly suppressions: Pick<SuppressionStore, 'list'>;
  },
  incident: string,
): Promise<FeedbackView> {
  const [feedback, suppressions] = await Promise.all([
    stores.feedback.ofIncident(incident),
    stores.suppressions.list(),
  ]);
  return {
    feedback,
    suppressions,
    incident_suppressions: suppressions.filter((s) => s.incident === incident),
  };
}
