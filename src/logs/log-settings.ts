/** The log stage's settings as the config describes them (live path and replay alike). */
import type { Config } from '../config/schema.js';
import { detectorChoiceOrThrow } from '../detect/detector-choice.js';
import { scoringFromConfig } from '../detect/scoring-options.js';
import type { LogAnalysisSettings } from './log-analysis.js';

export function logSettingsFromConfig(
  config: Pick<Config, 'logs' | 'detect' | 'maintenance'>,
): LogAnalysisSettings {
  const l = config.logs;
  return {
    templates: {
      depth: l.templates.depth,
      similarity: l.templates.similarity,
      maxChildren: l.templates.max_children,
      maxTemplates: l.templates.max_templates,
      wordValues: l.templates.word_values,
    },
    bucketMs: l.bucket_ms,
    learningMs: l.learning_ms,
    newTemplateLevels: new Set(l.new_template_levels),
    maxExamples: l.examples,
    maxGapBuckets: l.max_gap_buckets,
    minLines: l.min_lines,
    scoring: scoringFromConfig(config),
    detectorOf: detectorChoiceOrThrow(config.detect).forSeries,
  };
}
