/** The log stage's settings as the config describes them (live path and replay alike). */
import type { LogTemplateOptions } from '../../detectors/log-template-options.js';
import type { Config } from '../config/schema.js';
import { detectorChoiceOrThrow } from '../detect/detector-choice.js';
import { scoringFromConfig } from '../detect/scoring-options.js';
import type { LogAnalysisSettings } from './log-service-state.js';

/** The miner's options from `logs.templates`. */
export function templateOptionsFromConfig(
  t: Config['logs']['templates'],
): Partial<LogTemplateOptions> {
  return {
    depth: t.depth,
    similarity: t.similarity,
    maxChildren: t.max_children,
    maxTemplates: t.max_templates,
    wordValues: t.word_values,
    templateKeys: t.template_keys,
  };
}

export function logSettingsFromConfig(
  config: Pick<Config, 'logs' | 'detect' | 'maintenance'>,
): LogAnalysisSettings {
  const l = config.logs;
  return {
    templates: templateOptionsFromConfig(l.templates),
    bucketMs: l.bucket_ms,
    learningMs: l.learning_ms,
    newTemplateLevels: new Set(l.new_template_levels),
    maxExamples: l.examples,
    maxGapBuckets: l.max_gap_buckets,
    minLines: l.min_lines,
    newTemplateLimit: l.new_template_limit,
    scoring: scoringFromConfig(config),
    detectorOf: detectorChoiceOrThrow(config.detect).forSeries,
  };
}
